"""Investigators open canvasses around real San Francisco incidents among real camera nodes."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from registry.commands import CameraSpec
from registry.geodesy import Point
from registry.importing import import_sites, read_file
from registry.queries import cameras_within
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.support.sign_in import enrol, next_code

SAN_FRANCISCO = (37.70, -122.52, 37.83, -122.35)
PACIFIC = ZoneInfo("America/Los_Angeles")
CATEGORIES = {"Burglary": "property_crime", "Robbery": "violent_crime", "Assault": "violent_crime"}

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def varied_camera(site) -> CameraSpec:
    """The OpenStreetMap nodes say nothing of direction or recorder: vary both, reproducibly."""
    number = int(site.source_ref.split(":")[1])
    return CameraSpec(
        "Camera",
        float(number * 37 % 360),
        100.0,
        60.0,
        "outdoor",
        "continuous",
        (3, 7, 14, 30)[number % 4],
    )


@pytest.fixture
def cameras(app, shared_data):
    services = app.extensions["canvass"]
    rows = read_file(
        shared_data / "osm_surveillance_nodes_us_west.json", "osm-surveillance", SAN_FRANCISCO
    )
    report = import_sites(services.registry, rows, varied_camera)
    assert report.added == len(rows) > 1000
    return services


@pytest.fixture
def incident(cameras, shared_data):
    """The first burglary, robbery or assault of December 2018 with 3+ cameras within 250 m."""
    with (shared_data / "sf_police_incidents_2018-12.csv").open() as file:
        for record in csv.DictReader(file):
            if record["Incident Category"] not in CATEGORIES or not record["Latitude"]:
                continue
            place = Point(float(record["Latitude"]), float(record["Longitude"]))
            with cameras.engine.connect() as conn:
                if len(cameras_within(conn, cameras.vault, place, 250)) >= 3:
                    at = datetime.strptime(record["Incident Datetime"], "%Y/%m/%d %I:%M:%S %p")
                    return (
                        place,
                        at.replace(tzinfo=PACIFIC),
                        CATEGORIES[record["Incident Category"]],
                    )
    pytest.fail("no incident with cameras nearby")


def staff(cli, client, mailbox, role, agency, email):
    assert (
        cli.invoke(
            args=["accounts", "create", "--role", role, "--agency", agency, "--email", email]
        ).exit_code
        == 0
    )
    confirm = {"token": link_token(mailbox.to(email)[-1]), "password": "a staff passphrase"}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200
    enrol(client.application, email, "a staff passphrase")  # at the first login, as staff must
    code = next_code(client.application, email)
    issued = client.post(
        "/api/v1/tokens",
        json={"email": email, "password": "a staff passphrase", "name": "desk", "code": code},
    )
    return {"Authorization": f"Bearer {issued.get_json()['token']}"}


def canvass_body(place, at, category, radius_m, changes=None):
    return {
        "case_number": "181-004512",
        "category": category,
        "incident": {"latitude": place.latitude, "longitude": place.longitude},
        "window_start": (at - timedelta(minutes=30)).isoformat(),
        "window_end": (at + timedelta(minutes=30)).isoformat(),
        "area": {"radius_m": radius_m},
        "justification": "Looking for the suspect's route away from the scene.",
        "legal_basis": "owner_consent",
    } | (changes or {})


def test_a_canvass_within_the_limits_is_approved_and_lists_ranked_candidates_without_owners(
    app, client, cli, mailbox, cameras, incident
):
    place, at, category = incident
    cameras.canvass.clock = lambda: at + timedelta(days=2)  # two days after the incident
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")

    opened = client.post(
        "/api/v1/canvasses", headers=detective, json=canvass_body(place, at, category, 250)
    )
    assert opened.status_code == 201, opened.get_json()
    canvass = opened.get_json()
    assert canvass["status"] == "draft" and 0.07 < canvass["area_square_miles"] < 0.08
    # Given in Pacific time, kept as the same instant on every backend.
    assert datetime.fromisoformat(canvass["window_end"]) == at + timedelta(minutes=30)
    submitted = client.post(f"/api/v1/canvasses/{canvass['canvass_id']}/submit", headers=detective)
    assert submitted.get_json()["status"] == "approved"
    assert submitted.get_json()["approved_by"] == "policy"

    listed = client.get(f"/api/v1/canvasses/{canvass['canvass_id']}/candidates", headers=detective)
    body = listed.get_json()
    ranked, gone = body["ranked"], body["likely_overwritten"]
    assert len(ranked) + len(gone) >= 3
    keys = [
        (not c["view_covers_incident"], c["footage_expires_at"], c["distance_m"]) for c in ranked
    ]
    assert keys == sorted(keys)
    # A site known by its cell is listed when the cell touches the area; its distance is the
    # cell centre's, which may lie up to half a cell's diagonal beyond the area's edge.
    assert all(c["distance_m"] <= (250 if c["exact_location"] else 350) for c in ranked + gone)
    now = (at + timedelta(days=2)).isoformat()
    assert all(
        datetime.fromisoformat(c["footage_expires_at"]) > datetime.fromisoformat(now)
        for c in ranked
    )
    assert all(c["retention_days"] == 3 for c in gone)
    for candidate in ranked + gone:
        assert not {"latitude", "longitude", "address", "owner_id", "email"} & set(candidate)

    dispatched = client.post(
        f"/api/v1/canvasses/{canvass['canvass_id']}/dispatch", headers=detective
    )
    assert dispatched.get_json()["canvass"]["status"] == "dispatched"
    # The imported nodes have no owner accounts: nobody can be emailed about them.
    owners = {c["site_id"] for c in ranked}
    assert dispatched.get_json()["requests"] == {"no_contact_on_file": len(owners)}


def test_a_canvass_beyond_the_limits_needs_a_supervisors_recorded_reason(
    app, client, cli, mailbox, cameras, incident
):
    place, at, category = incident
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    supervisor = staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.ray@sfpd.example")
    elsewhere = staff(cli, client, mailbox, "supervisor", "Oakland PD", "sgt.kim@oakland.example")

    canvass = client.post(
        "/api/v1/canvasses", headers=detective, json=canvass_body(place, at, category, 700)
    ).get_json()
    path = f"/api/v1/canvasses/{canvass['canvass_id']}"
    submitted = client.post(f"{path}/submit", headers=detective).get_json()
    assert submitted["status"] == "submitted"
    assert "above the maximum of 0.5" in submitted["exceedances"]["area"][0]
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 409

    reason = {"reason": "Armed robbery; the suspect drove off and the route is unknown."}
    assert client.post(f"{path}/approve", headers=elsewhere, json=reason).status_code == 404
    assert client.post(f"{path}/approve", headers=detective, json=reason).status_code == 403
    approved = client.post(f"{path}/approve", headers=supervisor, json=reason).get_json()
    assert approved["status"] == "approved"
    assert approved["override_reason"] == reason["reason"]
    overrides = [
        e
        for e in app.extensions["canvass"].store.read_stream(f"canvass-{canvass['canvass_id']}")
        if e.type == "OverrideApproved"
    ]
    assert overrides[0].data["reason"] == reason["reason"]
    assert overrides[0].metadata["role"] == "supervisor"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "lawful_protest_or_assembly"}, "category"),
        ({"category": "immigration_enforcement"}, "category"),
        ({"case_number": ""}, "case_number"),
        ({"legal_basis": "hunch"}, "legal_basis"),
        ({"window_end": "2099-01-01T00:00:00Z"}, "window_end"),
        ({"window_start": "yesterday"}, "window_start"),
        ({"area": {"radius_m": 100, "polygon": [[0, 0], [0, 1], [1, 1]]}}, "area"),
        ({"incident": {"latitude": 95, "longitude": 0}}, "incident"),
    ],
)
def test_a_canvass_that_breaks_a_fixed_rule_is_refused_naming_the_field(
    app, client, cli, mailbox, changes, field
):
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    at = datetime(2018, 12, 1, 0, 25, tzinfo=PACIFIC)
    body = canvass_body(Point(37.7335, -122.4341), at, "violent_crime", 250, changes)
    head = app.extensions["canvass"].store.head()
    response = client.post("/api/v1/canvasses", headers=detective, json=body)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert app.extensions["canvass"].store.head() == head


def test_owners_cannot_see_canvasses(app, client, mailbox):
    owner = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox)}
    assert client.get("/api/v1/canvasses", headers=owner).status_code == 403
    assert client.post("/api/v1/canvasses", headers=owner, json={}).status_code == 403
