"""The door-to-door log, and the canvass exported as GeoJSON and CSV for the case file."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.test_canvass_requests import neighbourhood, open_and_dispatch  # noqa: F401

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

VISIT = {
    "latitude": 37.7618,
    "longitude": -122.4238,
    "address": "2400 Mission St",
    "result": "camera_present",
    "retention_days": 7,
    "clock_offset_seconds": 120,
    "contact_made": True,
    "revisit_due": "2018-12-17",
    "note": "Shop manager back at 4",
}


def test_visits_are_logged_and_exported_beside_the_candidates(app, client, neighbourhood):  # noqa: F811
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)

    recorded = client.post(f"{path}/visits", headers=detective, json=VISIT)
    assert recorded.status_code == 201, recorded.get_json()
    assert recorded.get_json()["address"] == "2400 Mission St"
    client.post(
        f"{path}/visits",
        headers=detective,
        json={"latitude": 37.7620, "longitude": -122.4230, "result": "no_answer"},
    )
    assert [
        v["result"] for v in client.get(f"{path}/visits", headers=detective).get_json()["visits"]
    ] == [
        "camera_present",
        "no_answer",
    ]
    stored = [e for e in app.extensions["canvass"].store.read_all() if e.type == "VisitRecorded"]
    assert "Mission" not in str(stored[0].data)  # the address is sealed in the log

    geo = client.get(f"{path}/export.geojson", headers=detective)
    assert geo.mimetype == "application/geo+json"
    features = geo.get_json()["features"]
    kinds = [f["properties"]["kind"] for f in features]
    assert kinds[:2] == ["incident", "area"] and kinds.count("visit") == 2
    assert kinds.count("candidate") == 3
    ring = next(f for f in features if f["properties"]["kind"] == "area")["geometry"][
        "coordinates"
    ][0]
    assert ring[0] == ring[-1] and len(ring) == 73
    # The owners keep their exact place to themselves: each candidate is its cell, no point.
    candidates = [f for f in features if f["properties"]["kind"] == "candidate"]
    assert all(f["geometry"]["type"] == "Polygon" for f in candidates)
    assert all(len(f["geometry"]["coordinates"][0]) == 5 for f in candidates)
    assert all(f["properties"]["exact_location"] is False for f in candidates)

    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"{path}/export.csv", headers=detective).get_data(as_text=True))
        )
    )
    assert [r["kind"] for r in rows] == ["candidate"] * 3 + ["visit"] * 2
    assert rows[0]["footage_expires_at"] and rows[-2]["result"] == "camera_present"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"result": "maybe"}, "result"),
        ({"latitude": 91}, "latitude"),
        ({"retention_days": 0}, "retention_days"),
        ({"revisit_due": "next week"}, "revisit_due"),
        ({"address": "x" * 201}, "address"),
    ],
)
def test_a_bad_visit_is_refused_naming_the_field(app, client, neighbourhood, changes, field):  # noqa: F811
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    head = app.extensions["canvass"].store.head()
    response = client.post(f"{path}/visits", headers=detective, json=VISIT | changes)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert app.extensions["canvass"].store.head() == head


def test_the_printable_report_shows_the_case_without_owners(app, client, mailbox, neighbourhood):  # noqa: F811
    from tests.support.sign_in import sign_in

    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    client.post(f"{path}/visits", headers=detective, json=VISIT)
    canvass_id = path.rsplit("/", 1)[-1]
    assert client.get(f"/canvasses/{canvass_id}/report").status_code == 302  # log in first

    sign_in(client, "det.lee@sfpd.example", "a staff passphrase")
    report = client.get(f"/canvasses/{canvass_id}/report").get_data(as_text=True)
    assert "Video canvass, case 181-004512" in report
    assert "Candidate cameras (3)" in report and "3 request(s)" in report
    assert "2400 Mission St" in report  # the investigators' own visit log
    assert "@example.org" not in report and "Maria" not in report
