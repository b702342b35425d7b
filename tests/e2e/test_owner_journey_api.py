"""An owner's whole journey through the REST API, with real email and the offline gazetteer."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from registry.geodesy import Point
from registry.queries import cameras_within
from tests.support.mail import deliver_mail
from tests.support.sign_in import enrol, next_code

EMAIL = "maria.lopez@example.org"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def gazetteer(cli, shared_data):
    result = cli.invoke(
        args=["geocoder", "import", str(shared_data / "openaddresses_monterey_county_ca.csv")]
    )
    assert result.exit_code == 0, result.output


def link_token(message) -> str:
    url = re.search(r"https?://\S+", message.get_content()).group(0)
    return parse_qs(urlparse(url).query)["token"][0]


def sign_up_and_verify(client, mailbox, email=EMAIL, name="Maria Lopez") -> str:
    """Sign up, confirm through the emailed link, and return a bearer token."""
    response = client.post(
        "/api/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert response.status_code == 202
    deliver_mail(client.application)
    [message] = mailbox.to(email)
    assert message["Subject"] == "Confirm your email address for the camera registry"
    token = link_token(message)
    assert client.post("/api/v1/accounts/verify", json={"token": token}).status_code == 200
    issued = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": "laptop"}
    )
    assert issued.status_code == 201
    return issued.get_json()["token"]


@pytest.mark.slow
def test_an_owner_signs_up_registers_a_site_by_address_and_manages_it(
    app, client, mailbox, gazetteer
):
    services = app.extensions["canvass"]
    bearer = {"Authorization": f"Bearer {sign_up_and_verify(client, mailbox)}"}

    created = client.post(
        "/api/v1/sites",
        headers=bearer,
        json={
            "label": "Home",
            "address": "1531 McKinnon St, Salinas",
            "cameras": [
                {
                    "label": "Front door",
                    "bearing_degrees": 180,
                    "field_of_view_degrees": 90,
                    "range_metres": 15,
                    "retention_days": 14,
                },
                {
                    "label": "Driveway",
                    "bearing_degrees": 270,
                    "field_of_view_degrees": 110,
                    "range_metres": 25,
                    "retention_days": 30,
                    "recording": "motion",
                },
            ],
        },
    )
    assert created.status_code == 201, created.get_json()
    site = created.get_json()
    site_id = site["site_id"]
    assert site["location_source"] == "address"
    assert sorted(camera["label"] for camera in site["cameras"]) == ["Driveway", "Front door"]
    home = Point(site["latitude"], site["longitude"])

    def searchable() -> set[str]:
        with services.engine.connect() as conn:
            return {hit.site_id for hit in cameras_within(conn, services.vault, home, 50)}

    assert searchable() == {site_id}

    edited = client.patch(
        f"/api/v1/sites/{site_id}",
        headers=bearer,
        json={"label": "Our house", "latitude": home.latitude, "longitude": home.longitude},
    )
    assert edited.status_code == 200 and edited.get_json()["label"] == "Our house"

    assert (
        client.post(f"/api/v1/sites/{site_id}/pause", headers=bearer).get_json()["status"]
        == "paused"
    )
    assert searchable() == set()
    assert (
        client.post(f"/api/v1/sites/{site_id}/resume", headers=bearer).get_json()["status"]
        == "active"
    )
    assert searchable() == {site_id}

    assert client.delete(f"/api/v1/sites/{site_id}", headers=bearer).status_code == 204
    assert searchable() == set()
    assert client.get(f"/api/v1/sites/{site_id}", headers=bearer).status_code == 404
    assert client.get("/api/v1/sites", headers=bearer).get_json() == {"sites": []}

    types = [event.type for event in services.store.read_stream(f"site-{site_id}")]
    assert types == [
        "SiteRegistered",
        "CameraAdded",
        "CameraAdded",
        "SiteDetailsChanged",
        "SitePaused",
        "SiteResumed",
        "SiteUnregistered",
    ]
    assert all(e.metadata["role"] == "owner" for e in services.store.read_stream(f"site-{site_id}"))


def test_a_confirmation_link_works_once(client, mailbox):
    client.post(
        "/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD, "display_name": "M"}
    )
    deliver_mail(client.application)
    token = link_token(mailbox.to(EMAIL)[0])
    assert client.post("/api/v1/accounts/verify", json={"token": token}).status_code == 200
    again = client.post("/api/v1/accounts/verify", json={"token": token})
    assert again.status_code == 400
    assert "used already" in again.get_json()["message"]


def test_an_unconfirmed_owner_cannot_get_a_token_and_is_told_why(client, mailbox):
    client.post(
        "/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD, "display_name": "M"}
    )
    response = client.post(
        "/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "x"}
    )
    assert response.status_code == 403
    assert "confirm your email address" in response.get_json()["message"]


def test_signing_up_twice_says_the_same_and_sends_one_confirmation(client, mailbox):
    body = {"email": EMAIL, "password": PASSWORD, "display_name": "Maria"}
    first, second = (
        client.post("/api/v1/accounts", json=body),
        client.post("/api/v1/accounts", json=body),
    )
    assert first.status_code == second.status_code == 202
    assert first.get_json() == second.get_json()
    deliver_mail(client.application)
    confirmation, reminder = mailbox.to(EMAIL)
    assert confirmation["Subject"] == "Confirm your email address for the camera registry"
    assert "You already have an account" in reminder.get_content()


def test_repeated_wrong_passwords_pause_logins_with_a_clear_message(client, mailbox):
    sign_up_and_verify(client, mailbox)
    wrong = {"email": EMAIL, "password": "not the password", "name": "x"}
    statuses = [client.post("/api/v1/tokens", json=wrong).status_code for _ in range(5)]
    assert statuses == [401] * 5
    locked = client.post("/api/v1/tokens", json={**wrong, "password": PASSWORD})
    assert locked.status_code == 429
    assert "wait" in locked.get_json()["message"]
    assert int(locked.headers["Retry-After"]) > 0


def test_a_revoked_token_stops_working_at_once(client, mailbox):
    token = sign_up_and_verify(client, mailbox)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=bearer).get_json()["role"] == "owner"
    token_id = client.get("/api/v1/tokens", headers=bearer).get_json()["tokens"][0]["token_id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer).status_code == 204
    assert client.get("/api/v1/me", headers=bearer).status_code == 401


def test_a_password_can_be_reset_through_the_emailed_link_once(client, mailbox):
    sign_up_and_verify(client, mailbox)
    assert client.post("/api/v1/password-reset", json={"email": EMAIL}).status_code == 202
    deliver_mail(client.application)
    message = mailbox.to(EMAIL)[-1]
    assert message["Subject"] == "Choose a new password for the camera registry"
    token = link_token(message)
    new = "a brand new passphrase"
    confirm = {"token": token, "password": new}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 400
    login = client.post("/api/v1/tokens", json={"email": EMAIL, "password": new, "name": "x"})
    assert login.status_code == 201


def test_staff_created_by_an_admin_choose_their_password_by_email(app, cli, client, mailbox):
    result = cli.invoke(
        args=[
            "accounts",
            "create",
            "--role",
            "investigator",
            "--agency",
            "Salinas PD",
            "--email",
            "det.lee@salinas.example",
            "--name",
            "Dana Lee",
        ]
    )
    assert result.exit_code == 0, result.output
    [message] = mailbox.to("det.lee@salinas.example")
    assert "an investigator account for you at Salinas PD" in message.get_content()
    confirm = {"token": link_token(message), "password": "investigator passphrase"}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200
    enrol(app, "det.lee@salinas.example", "investigator passphrase")  # at the first login
    login = client.post(
        "/api/v1/tokens",
        json={
            "email": "det.lee@salinas.example",
            "password": "investigator passphrase",
            "name": "desk",
            "code": next_code(app, "det.lee@salinas.example"),
        },
    )
    assert login.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login.get_json()['token']}"})
    assert me.get_json()["agency"] == "Salinas PD"


def test_no_request_sends_mail_itself_the_mail_job_does(client, mailbox):
    body = {"email": EMAIL, "password": PASSWORD, "display_name": "M"}
    assert client.post("/api/v1/accounts", json=body).status_code == 202
    assert mailbox.to(EMAIL) == []  # the answer came back without waiting for a mail server
    assert deliver_mail(client.application) == 1
    assert client.post("/api/v1/password-reset", json={"email": EMAIL}).status_code == 202
    assert len(mailbox.to(EMAIL)) == 1
    assert deliver_mail(client.application) == 1
    assert len(mailbox.to(EMAIL)) == 2
