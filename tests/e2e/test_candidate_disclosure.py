"""An investigator cannot place a camera whose owner keeps its exact place to themselves
closer than its cell of the coarse grid, however many canvasses and drafts they open around
it; every listing of candidates is in the access log, and the probing is flagged."""

from __future__ import annotations

import html
import json
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from registry.cells import cell_of
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_owner_journey_api import sign_up_and_verify

INCIDENT = (37.7614, -122.4241)  # Mission St & 20th St, San Francisco
NOW = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
AT = NOW - timedelta(days=1)
DETECTIVE = "det.probe@sfpd.example"
CAMERA = {
    "label": "Porch",
    "bearing_degrees": 225,
    "field_of_view_degrees": 90,
    "range_metres": 150,
    "retention_days": 14,
}


def _direct(origin, bearing, metres):
    at = Geodesic.WGS84.Direct(origin[0], origin[1], bearing, metres)
    return at["lat2"], at["lon2"]


HIDDEN = _direct(INCIDENT, 45, 120)  # the non-consenting owner's house
OPEN = _direct(INCIDENT, 200, 80)  # a neighbour who shares the exact place


def _register(client, mailbox, email, place, exact):
    owner = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, email)}
    site = client.post(
        "/api/v1/sites",
        headers=owner,
        json={
            "label": "The house on the corner",
            "latitude": place[0],
            "longitude": place[1],
            "share_exact_location": exact,
            "cameras": [CAMERA],
        },
    )
    assert site.status_code == 201, site.get_json()
    return owner, site.get_json()["site_id"]


def _area(rng, index):
    """A circle or a polygon around an incident a few metres from the last one."""
    incident = _direct(INCIDENT, rng.uniform(0, 360), rng.uniform(0, 8))
    if index % 3 == 2:
        reach = rng.uniform(150, 260)
        corners = [_direct(incident, 360 * k / 5 + rng.uniform(-20, 20), reach) for k in range(5)]
        return incident, {"polygon": [list(corner) for corner in corners]}
    # radii around the house's distance: the area's edge crosses its cell in many of them
    return incident, {"radius_m": rng.choice([25, 40, 100, 110, 120, 130, 150, 200, 250])}


@pytest.fixture
def probe(app, client, cli, mailbox):
    """Twenty canvasses around a hidden house: drafts, cancelled ones and submitted ones."""
    app.extensions["canvass"].canvass.clock = lambda: NOW
    hidden_owner, hidden = _register(client, mailbox, "hidden@example.org", HIDDEN, False)
    _, shown = _register(client, mailbox, "shown@example.org", OPEN, True)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", DETECTIVE)
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", "aud.probe@sfpd.example")
    rng = random.Random(20)
    canvasses = {"draft": [], "cancelled": [], "submitted": []}
    listed_before_cancel = 0
    for index in range(20):
        incident, area = _area(rng, index)
        body = {
            "case_number": f"181-0045{index:02d}",
            "category": "property_crime",
            "incident": {"latitude": incident[0], "longitude": incident[1]},
            "window_start": (AT - timedelta(minutes=30)).isoformat(),
            "window_end": (AT + timedelta(minutes=30)).isoformat(),
            "area": area,
            "justification": "Looking for the suspect's route away from the scene.",
            "legal_basis": "owner_consent",
        }
        opened = client.post("/api/v1/canvasses", headers=detective, json=body)
        assert opened.status_code == 201, opened.get_json()
        path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
        kind = ("draft", "cancelled", "submitted", "submitted")[index % 4]
        if kind != "draft":
            assert client.post(f"{path}/submit", headers=detective).status_code == 200
        if kind == "cancelled":
            assert client.get(f"{path}/candidates", headers=detective).status_code == 200
            listed_before_cancel += 1
            called_off = client.post(f"{path}/cancel", headers=detective, json={"reason": "dup"})
            assert called_off.status_code == 200
        canvasses[kind].append(path)
    browser, _ = logged_in(app, DETECTIVE)
    return {
        "app": app,
        "owner": hidden_owner,
        "hidden": hidden,
        "shown": shown,
        "detective": detective,
        "auditor": auditor,
        "browser": browser,
        "canvasses": canvasses,
        "listed_before_cancel": listed_before_cancel,
    }


def everything_the_investigator_can_get(client, probe) -> dict[str, tuple[int, bytes]]:
    """Every answer about every canvass: candidates JSON, GeoJSON, CSV, and the canvass
    page's map data and candidate table."""
    seen = {}
    for kind, paths in probe["canvasses"].items():
        for path in paths:
            for suffix in ("/candidates", "/export.geojson", "/export.csv"):
                answer = client.get(path + suffix, headers=probe["detective"])
                seen[kind + path + suffix] = (answer.status_code, answer.get_data())
            page = probe["browser"].get(path.removeprefix("/api/v1"))
            assert page.status_code == 200
            text = page.get_data(as_text=True)
            [map_data] = re.findall(r'data-canvass="([^"]*)"', text)
            [table] = re.findall(r'<section id="candidates">.*?</section>', text, re.S)
            seen[kind + path + " map"] = (200, html.unescape(map_data).encode())
            seen[kind + path + " table"] = (200, table.encode())
    return seen


def listings(client, probe) -> list[dict]:
    query = "/api/v1/audit/access?action=listed_candidates&per_page=500"
    found = client.get(query, headers=probe["auditor"])
    assert found.status_code == 200, found.get_json()
    rows = found.get_json()["accesses"]
    assert {row["action"] for row in rows} <= {"listed_candidates"}
    return rows


def test_moving_a_hidden_camera_anywhere_in_its_cell_changes_nothing_an_investigator_sees(
    client, probe
):
    cell = cell_of(*HIDDEN)
    box = cell.box
    inset = 1e-6  # about 10 cm inside the edges
    spots = [
        HIDDEN,
        (box.south + inset, box.west + inset),
        (box.north - inset, box.east - inset),
        (box.south + inset, box.east - inset),
        (box.north - inset, box.west + inset),
        (cell.centre.latitude, cell.centre.longitude),
    ]
    answers = []
    for spot in spots:
        assert cell_of(*spot) == cell
        moved = client.patch(
            f"/api/v1/sites/{probe['hidden']}",
            headers=probe["owner"],
            json={"label": "The house on the corner", "latitude": spot[0], "longitude": spot[1]},
        )
        assert moved.status_code == 200, moved.get_json()
        answers.append(everything_the_investigator_can_get(client, probe))
    first = answers[0]
    for other in answers[1:]:
        assert other.keys() == first.keys()
        changed = [key for key in first if other[key] != first[key]]
        assert not changed

    # Not a vacuous sameness: the hidden site is listed, by its cell, in some canvasses and
    # not in others; the neighbour who shares the place is a point to 10 m.
    listed_in, left_out = 0, 0
    for path in probe["canvasses"]["submitted"]:
        status, body = first["submitted" + path + "/candidates"]
        assert status == 200
        ranked = json.loads(body)["ranked"] + json.loads(body)["likely_overwritten"]
        mine = [c for c in ranked if c["site_id"] == probe["hidden"]]
        listed_in += bool(mine)
        left_out += not mine
        for candidate in mine:
            assert candidate["exact_location"] is False
            assert candidate["distance_m"] % 100 == 0
            assert candidate["bearing_from_incident"] % 45 == 0
            assert "label" not in candidate
            assert candidate["cell"]["south"] == pytest.approx(box.south, abs=1e-6)
        for candidate in ranked:
            if candidate["site_id"] == probe["shown"]:
                assert candidate["exact_location"] is True and candidate["cell"] is None
    assert listed_in >= 3 and left_out >= 1
    for path in probe["canvasses"]["submitted"]:
        listed = json.loads(first["submitted" + path + "/candidates"][1])
        drawn = json.loads(first["submitted" + path + " map"][1])["candidates"]
        facts = listed["ranked"] + listed["likely_overwritten"]
        assert len(drawn) == len(facts)
        for mark, candidate in zip(drawn, facts, strict=True):  # a cell, or a point
            assert (mark["cell"] is None) is candidate["exact_location"]


def test_a_draft_or_a_cancelled_canvass_lists_no_camera_and_says_why(client, probe):
    for kind, message in (
        ("draft", "Submit the canvass to see the cameras that may have recorded it."),
        ("cancelled", "This canvass was called off: it lists no cameras any more."),
    ):
        for path in probe["canvasses"][kind]:
            for suffix in ("/candidates", "/export.geojson", "/export.csv"):
                refused = client.get(path + suffix, headers=probe["detective"])
                assert refused.status_code == 409
                assert refused.get_json()["message"] == message
            page = probe["browser"].get(path.removeprefix("/api/v1"))
            assert page.status_code == 200
            text = html.unescape(page.get_data(as_text=True))
            assert message in text
            assert probe["hidden"][:8] not in text


def test_every_listing_is_in_the_access_log_and_the_probing_is_flagged(client, probe):
    before = listings(client, probe)
    assert len(before) == probe["listed_before_cancel"]
    everything_the_investigator_can_get(client, probe)
    after = listings(client, probe)
    # four listings per submitted canvass (JSON, GeoJSON, CSV, page); refusals list nothing
    assert len(after) == len(before) + 4 * len(probe["canvasses"]["submitted"])
    detective = client.get("/api/v1/me", headers=probe["detective"]).get_json()["user_id"]
    submitted = {path.rsplit("/", 1)[1] for path in probe["canvasses"]["submitted"]}
    cancelled = {path.rsplit("/", 1)[1] for path in probe["canvasses"]["cancelled"]}
    assert {row["canvass_id"] for row in after} == submitted | cancelled
    for row in after:
        assert (row["actor"], row["role"], row["agency"]) == (detective, "investigator", "SFPD")
        assert row["case_number"].startswith("181-0045")
        assert row["legal_basis"] == "owner_consent"
        assert row["purpose"] == "canvass for property crime"
        assert row["released"].startswith("candidate cameras of ")
        assert "hidden@example.org" not in json.dumps(row)
    assert any(probe["hidden"] in row["released"] for row in after)

    flags = client.get("/api/v1/audit/anomalies", headers=probe["auditor"]).get_json()
    probing = [flag for flag in flags["flags"] if flag["rule"] == "repeated_probing"]
    assert [flag["actor"] for flag in probing] == [detective]
    assert "overlap around the same place" in probing[0]["explanation"]
