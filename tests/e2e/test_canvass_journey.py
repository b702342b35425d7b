"""The whole canvass journey through the API with real SMTP, on real data: a December 2018
San Francisco incident, among the OpenStreetMap camera nodes around it, each registered by an
owner of its own with a varied direction and recorder."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from registry.importing import ImportedSite, read_file
from tests.e2e.test_canvass_api import CATEGORIES, PACIFIC, SAN_FRANCISCO, canvass_body, staff
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

RADIUS_M = 250
RETENTIONS = (3, 7, 14, 30)


def metres_and_bearing(frm: tuple[float, float], to: tuple[float, float]) -> tuple[float, float]:
    line = Geodesic.WGS84.Inverse(frm[0], frm[1], to[0], to[1])
    return line["s12"], line["azi1"] % 360


def busy_incident(shared_data) -> tuple[tuple[float, float], datetime, str, list[ImportedSite]]:
    """The first burglary, robbery or assault with at least five camera nodes within 250 m."""
    nodes = [
        row
        for row in read_file(
            shared_data / "osm_surveillance_nodes_us_west.json", "osm-surveillance", SAN_FRANCISCO
        )
        if isinstance(row, ImportedSite)
    ]
    with (shared_data / "sf_police_incidents_2018-12.csv").open() as file:
        for record in csv.DictReader(file):
            if record["Incident Category"] not in CATEGORIES or not record["Latitude"]:
                continue
            place = (float(record["Latitude"]), float(record["Longitude"]))
            near = [
                node
                for node in nodes
                if metres_and_bearing(place, (node.latitude, node.longitude))[0] < RADIUS_M - 1
            ]
            if len(near) >= 5:
                at = datetime.strptime(record["Incident Datetime"], "%Y/%m/%d %I:%M:%S %p")
                return (
                    place,
                    at.replace(tzinfo=PACIFIC),
                    CATEGORIES[record["Incident Category"]],
                    near,
                )
    pytest.fail("no incident with five camera nodes nearby")


def camera_for(node: ImportedSite, number: int) -> dict:
    """The nodes say nothing of direction or recorder: vary both, reproducibly."""
    return {
        "label": f"Camera {number}",
        "bearing_degrees": float(number * 73 % 360),
        "field_of_view_degrees": 110.0,
        "range_metres": 120.0,
        "retention_days": RETENTIONS[number % len(RETENTIONS)],
    }


def expected_order(incident, window_end, cameras):
    """The ranking worked out independently: views that cover the incident, then the soonest
    overwritten, then the nearest."""

    def key(item):
        (latitude, longitude), spec = item
        distance, _ = metres_and_bearing((latitude, longitude), incident)
        _, towards = metres_and_bearing((latitude, longitude), incident)
        off_axis = abs((towards - spec["bearing_degrees"] + 180) % 360 - 180)
        covers = distance <= spec["range_metres"] and off_axis <= spec["field_of_view_degrees"] / 2
        expires = window_end + timedelta(days=spec["retention_days"])
        return (not covers, expires, distance)

    return [site for site, item in sorted(cameras.items(), key=lambda pair: key(pair[1]))]


def test_an_investigator_canvasses_real_cameras_around_a_real_incident_to_the_case_package(
    app, client, cli, mailbox, shared_data
):
    incident, at, category, nodes = busy_incident(shared_data)
    services = app.extensions["canvass"]
    services.canvass.clock = lambda: at + timedelta(days=1)

    # Each node is registered by an owner of its own.
    cameras, owner_of = {}, {}
    for number, node in enumerate(nodes):
        email = f"owner{number}@example.org"
        bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, email)}
        spec = camera_for(node, number)
        site = client.post(
            "/api/v1/sites",
            headers=bearer,
            json={
                "label": node.label or "Shop",
                "latitude": node.latitude,
                "longitude": node.longitude,
                # they let the exact place be used, so the ranking below is of exact points
                "share_exact_location": True,
                "cameras": [spec],
            },
        )
        assert site.status_code == 201, site.get_json()
        site_id = site.get_json()["site_id"]
        cameras[site_id] = ((node.latitude, node.longitude), spec)
        owner_of[site_id] = email

    # Open, submit (within the limits: approved at once), and see the ranked candidates.
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    place = type("P", (), {"latitude": incident[0], "longitude": incident[1]})
    body = canvass_body(place, at - timedelta(minutes=15), category, RADIUS_M)
    opened = client.post("/api/v1/canvasses", headers=detective, json=body)
    assert opened.status_code == 201, opened.get_json()
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"
    found = client.get(f"{path}/candidates", headers=detective).get_json()
    window_end = datetime.fromisoformat(body["window_end"])
    assert [c["site_id"] for c in found["ranked"]] == expected_order(incident, window_end, cameras)
    assert found["likely_overwritten"] == []

    # Dispatch: each owner is emailed once, with a link of their own.
    dispatched = client.post(f"{path}/dispatch", headers=detective).get_json()
    assert dispatched["requests"] == {"requested": len(nodes)}
    services.outbox.send_pending()
    links = {}
    for site_id, email in owner_of.items():
        [request] = [m for m in mailbox.to(email) if m["Subject"].startswith("A request")]
        links[site_id] = link_token(request)
    sent_at = services.canvass.clock()

    # One uploads a clip, one has no footage, one declines; the rest say nothing.
    first, second, third, *rest = found["ranked"]
    clip = mp4(b"\x07" * 30_000)
    digest = hashlib.sha256(clip).hexdigest()
    uploaded = client.put(
        "/api/v1/requests/footage",
        query_string={"token": links[first["site_id"]], "sha256": digest},
        data=clip,
        content_type="video/mp4",
    )
    assert uploaded.status_code == 201 and uploaded.get_json()["sha256"] == digest
    for candidate, answer in ((second, "no_footage"), (third, "decline")):
        given = {"token": links[candidate["site_id"]], "answer": answer, "note": "Away that week"}
        assert client.post("/api/v1/requests/answer", json=given).status_code == 200

    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"] == {
        "offered_footage": 1,
        "no_footage": 1,
        "declined_or_unanswered": 1 + len(rest),
        "owner_left": 0,
    }
    assert summary["sites_offering_footage"] == [first["site_id"]]
    assert third["site_id"] not in json.dumps(summary)  # who declined is not told

    # The case package: the clip, a manifest that verifies, the custody log.
    package = client.get(f"{path}/package", headers=detective)
    with zipfile.ZipFile(io.BytesIO(package.data)) as zipped:
        [item] = json.loads(zipped.read("manifest.json"))["files"]
        assert item["sha256"] == digest == hashlib.sha256(zipped.read(item["file"])).hexdigest()
    package.close()

    # The jobs act on the rest, and only on them, at the right simulated times.
    dispatcher = services.canvass.dispatcher
    assert dispatcher.remind_due(sent_at + timedelta(hours=23, minutes=59)) == 0
    assert dispatcher.remind_due(sent_at + timedelta(hours=24)) == len(rest)
    assert dispatcher.remind_due(sent_at + timedelta(hours=25)) == 0
    assert dispatcher.remind_due(sent_at + timedelta(hours=72)) == len(rest)
    services.outbox.send_pending()
    reminded = {m["To"] for m in mailbox.messages if m["Subject"].startswith("Reminder")}
    assert reminded == {owner_of[c["site_id"]] for c in rest}

    assert dispatcher.expire_due(sent_at + timedelta(days=10) - timedelta(minutes=1)) == 0
    assert dispatcher.expire_due(sent_at + timedelta(days=10)) == len(rest)
    assert dispatcher.expire_due(sent_at + timedelta(days=11)) == 0
    assert services.canvass.close_settled(sent_at + timedelta(days=10)) == 1
    assert client.get(path, headers=detective).get_json()["status"] == "closed"
