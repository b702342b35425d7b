"""Owners see and change only their own sites; nobody else can even tell a site exists."""

from __future__ import annotations

import pytest

from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.support.sign_in import enrol, next_code

PIN = {"label": "Shop", "latitude": 36.6777, "longitude": -121.6555}
CAMERA = {
    "label": "Till",
    "bearing_degrees": 10,
    "field_of_view_degrees": 80,
    "range_metres": 10,
    "retention_days": 7,
}
CONSENT = {"contact_for_requests": False, "categories": ["all"], "share_exact_location": False}


def site_routes(site_id: str, camera_id: str) -> list[tuple[str, str, dict | None]]:
    """Every registry endpoint that names a site, with a valid body."""
    return [
        ("GET", f"/api/v1/sites/{site_id}", None),
        ("PATCH", f"/api/v1/sites/{site_id}", PIN),
        ("PUT", f"/api/v1/sites/{site_id}/consent", CONSENT),
        ("PATCH", f"/api/v1/sites/{site_id}/consent", {"contact_for_requests": False}),
        ("POST", f"/api/v1/sites/{site_id}/pause", None),
        ("POST", f"/api/v1/sites/{site_id}/resume", None),
        ("POST", f"/api/v1/sites/{site_id}/cameras", CAMERA),
        ("PATCH", f"/api/v1/sites/{site_id}/cameras/{camera_id}", CAMERA),
        ("DELETE", f"/api/v1/sites/{site_id}/cameras/{camera_id}", None),
        ("DELETE", f"/api/v1/sites/{site_id}", None),
    ]


@pytest.fixture
def two_owners(app, client, mailbox):
    alice = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, "alice@example.org")}
    bob = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, "bob@example.org")}
    site = client.post("/api/v1/sites", headers=alice, json=PIN | {"cameras": [CAMERA]}).get_json()
    return alice, bob, site


def test_another_owners_site_answers_exactly_like_a_site_that_does_not_exist(client, two_owners):
    alice, bob, site = two_owners
    camera_id = site["cameras"][0]["camera_id"]
    for method, path, body in site_routes(site["site_id"], camera_id):
        theirs = client.open(path, method=method, headers=bob, json=body)
        missing = client.open(
            path.replace(site["site_id"], "00000000-0000-4000-8000-000000000000"),
            method=method,
            headers=bob,
            json=body,
        )
        assert theirs.status_code == missing.status_code == 404, (method, path)
        assert theirs.get_json() == missing.get_json(), (method, path)
    assert client.get("/api/v1/sites", headers=bob).get_json() == {"sites": []}

    mine = client.get(f"/api/v1/sites/{site['site_id']}", headers=alice).get_json()
    assert mine["label"] == "Shop" and mine["status"] == "active"
    assert len(mine["cameras"]) == 1


def test_requests_without_credentials_are_told_to_log_in(client, two_owners):
    _, _, site = two_owners
    routes = site_routes(site["site_id"], site["cameras"][0]["camera_id"])
    for method, path, body in [
        *routes,
        ("GET", "/api/v1/sites", None),
        ("POST", "/api/v1/sites", PIN),
        ("GET", "/api/v1/tokens", None),
        ("GET", "/api/v1/me", None),
        ("GET", "/api/v1/geocode?address=1+Main+St", None),
    ]:
        response = client.open(path, method=method, json=body)
        assert response.status_code == 401, (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "Log in" in response.get_json()["message"]


@pytest.mark.parametrize("bad", ["Bearer nonsense", "Bearer cvs_0000_xxxx", "Basic YTpi"])
def test_a_forged_or_unknown_token_is_refused(client, two_owners, bad):
    assert client.get("/api/v1/sites", headers={"Authorization": bad}).status_code == 401


def test_staff_cannot_register_sites(app, cli, client, mailbox):
    from tests.e2e.test_owner_journey_api import link_token

    cli.invoke(
        args=[
            "accounts",
            "create",
            "--role",
            "auditor",
            "--agency",
            "City",
            "--email",
            "audit@city.example",
            "--name",
            "Ana",
        ]
    )
    token = link_token(mailbox.to("audit@city.example")[0])
    client.post("/api/v1/password-reset/confirm", json={"token": token, "password": "x" * 12})
    enrol(client.application, "audit@city.example", "x" * 12)  # staff, at the first login
    code = next_code(client.application, "audit@city.example")
    issued = client.post(
        "/api/v1/tokens",
        json={"email": "audit@city.example", "password": "x" * 12, "name": "t", "code": code},
    )
    headers = {"Authorization": f"Bearer {issued.get_json()['token']}"}
    response = client.post("/api/v1/sites", headers=headers, json=PIN)
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_credentials_are_checked_before_the_body(client):
    for path in ("/api/v1/sites", "/api/v1/canvasses"):
        response = client.post(path, json={"not": "valid"})
        assert response.status_code == 401, path


def test_the_openapi_document_describes_request_bodies_and_answers(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    new_site = spec["paths"]["/api/v1/sites"]["post"]
    assert "requestBody" in new_site and "201" in new_site["responses"]
    assert "requestBody" in spec["paths"]["/api/v1/canvasses"]["post"]
