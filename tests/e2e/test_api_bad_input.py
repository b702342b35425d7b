"""Every field of every endpoint, given bad values: a 4xx naming the field, and nothing stored."""

from __future__ import annotations

import pytest

from tests.e2e.test_owner_journey_api import sign_up_and_verify

MISSING = object()
TEXT = [MISSING, 12345, "", "x" * 5000]
CAMERA = {
    "label": "Door",
    "bearing_degrees": 90,
    "field_of_view_degrees": 90,
    "range_metres": 20,
    "retention_days": 14,
    "placement": "outdoor",
    "recording": "motion",
}
CAMERA_BAD = {
    "label": TEXT,
    "bearing_degrees": [MISSING, "east", -1, 360, 1e300],
    "field_of_view_degrees": [MISSING, "wide", 0, 361],
    "range_metres": [MISSING, [], 0, 501, 1e300],
    "retention_days": [MISSING, "two weeks", 7.5, 0, 366, 10**12],
    "placement": [12, "underwater", "x" * 5000],
    "recording": [True, "sometimes"],
}
PIN = {"label": "Home", "latitude": 36.6777, "longitude": -121.6555}
LOCATION_BAD = {
    "label": TEXT,
    "address": [12345, "x" * 5000],
    "latitude": ["north", 90.5, -91, 1e300],
    "longitude": ["west", 180.5, -181],
}
CONSENT_BAD = {
    "contact_for_requests": ["perhaps", 7],
    "categories": ["all", [], ["jaywalking"], ["traffic"] * 50, [1]],
    "share_exact_location": ["maybe", [True]],
}
SITE_BAD = (
    LOCATION_BAD
    | CONSENT_BAD
    | {
        "kind": ["castle", 3, "x" * 5000],
        "cameras": ["one", [CAMERA] * 65, [{**CAMERA, "range_metres": -5}]],
    }
)
ACCOUNT = {"email": "new.owner@example.org", "password": "a long passphrase", "display_name": "N"}

# endpoint: (method, path, a valid body, {field: [bad values]})
ENDPOINTS = {
    "sign up": ("POST", "/api/v1/accounts", ACCOUNT, {
        "email": [*TEXT, "not-an-email"],
        "password": [MISSING, 12345, "short", "x" * 5000],
        "display_name": TEXT,
    }),
    "confirm address": ("POST", "/api/v1/accounts/verify", {"token": "t"}, {"token": TEXT}),
    "ask for a reset": ("POST", "/api/v1/password-reset", {"email": "a@example.org"},
                        {"email": [*TEXT, "nope"]}),
    "set a password": ("POST", "/api/v1/password-reset/confirm",
                       {"token": "t", "password": "a long passphrase"},
                       {"token": TEXT, "password": [MISSING, 1, "short", "x" * 5000]}),
    "get a token": ("POST", "/api/v1/tokens",
                    {"email": "a@example.org", "password": "whatever it is", "name": "laptop"},
                    {"email": TEXT, "password": TEXT, "name": TEXT}),
    "register a site": ("POST", "/api/v1/sites", PIN, SITE_BAD),
    "change a site": ("PATCH", "/api/v1/sites/{site}", PIN, LOCATION_BAD),
    "set consent": ("PUT", "/api/v1/sites/{site}/consent", {}, CONSENT_BAD),
    "add a camera": ("POST", "/api/v1/sites/{site}/cameras", CAMERA, CAMERA_BAD),
    "change a camera": ("PATCH", "/api/v1/sites/{site}/cameras/{camera}", CAMERA, CAMERA_BAD),
}  # fmt: skip


def cases():
    for endpoint, (method, path, valid, fields) in ENDPOINTS.items():
        for field, values in fields.items():
            for value in values:
                label = "missing" if value is MISSING else repr(value)[:30]
                yield pytest.param(
                    method, path, valid, field, value, id=f"{endpoint}-{field}-{label}"
                )


@pytest.fixture
def owner(app, client, mailbox):
    bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox)}
    site = client.post("/api/v1/sites", headers=bearer, json=PIN | {"cameras": [CAMERA]})
    body = site.get_json()
    return bearer, body["site_id"], body["cameras"][0]["camera_id"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("method", "path", "valid", "field", "value"), list(cases()))
def test_a_bad_value_is_refused_naming_its_field_and_nothing_is_stored(
    app, client, owner, method, path, valid, field, value
):
    bearer, site_id, camera_id = owner
    body = {k: v for k, v in valid.items() if k != field}
    if value is not MISSING:
        body[field] = value
    store = app.extensions["canvass"].store
    head = store.head()

    response = client.open(
        path.format(site=site_id, camera=camera_id), method=method, headers=bearer, json=body
    )

    assert response.status_code in (400, 422), response.get_json()
    answer = response.get_json()
    assert field in answer["errors"], answer
    assert answer["message"]
    assert store.head() == head


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("payload", "content_type"),
    [("not json at all", "application/json"), ("[1, 2, 3]", "application/json"),
     ("label=Home", "application/x-www-form-urlencoded")],
)  # fmt: skip
def test_a_body_that_is_not_a_json_object_is_refused_clearly(client, owner, payload, content_type):
    bearer, _, _ = owner
    response = client.post("/api/v1/sites", headers=bearer, data=payload, content_type=content_type)
    assert response.status_code in (400, 415, 422)
    assert set(response.get_json()) == {"code", "message", "errors"}


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_oversized_request_is_refused_before_it_is_read(app, client, owner):
    bearer, _, _ = owner
    head = app.extensions["canvass"].store.head()
    response = client.post(
        "/api/v1/sites", headers=bearer, json=PIN | {"label": "x" * (2 * 1024 * 1024)}
    )
    assert response.status_code == 413
    assert response.get_json()["code"] == "request_entity_too_large"
    assert app.extensions["canvass"].store.head() == head


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("address", ["", "ab", "x" * 201])
def test_a_bad_address_lookup_names_the_field(client, owner, address):
    bearer, _, _ = owner
    response = client.get("/api/v1/geocode", headers=bearer, query_string={"address": address})
    assert response.status_code == 422
    assert "address" in response.get_json()["errors"]
