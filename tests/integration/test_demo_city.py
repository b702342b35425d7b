"""The San Francisco demo city: its cameras inside the city and none outside, loaded once,
with canvasses that find cameras and ask their owners, and staff who can sign in."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import shapely
from shapely.geometry import shape

from registry.geodesy import Point
from registry.queries import cameras_within
from tests.support.people import people
from tests.support.sign_in import sign_in

CITY_CENTRE = Point(37.7749, -122.4194)
AROUND_THE_BAY_M = 60_000  # Oakland, Daly City and Marin lie well inside this reach
SAN_FRANCISCO = ZoneInfo("America/Los_Angeles")
PG_CAMERAS = 45  # the nearest to the demo's incidents: enough for every canvass to find some


def nodes_inside_the_city(shared_data) -> tuple[set[str], int]:
    """An independent count: the node ids inside the boundary, and how many nodes of the
    file lie within reach of the city centre at all."""
    boundary = json.loads((shared_data / "sf_boundary.geojson").read_text())
    city = shapely.union_all([shape(f["geometry"]) for f in boundary["features"]])
    nodes = json.loads((shared_data / "osm_surveillance_nodes_us_west.json").read_text())
    near = [n for n in nodes if abs(n["lat"] - 37.77) < 0.5 and abs(n["lon"] + 122.42) < 0.6]
    inside = {str(n["id"]) for n in near if city.contains(shapely.Point(n["lon"], n["lat"]))}
    return inside, len(near)


def load(cli, shared_data, limit):
    args = ["demo", "load", str(shared_data)] + ([] if limit is None else ["--limit", str(limit)])
    result = cli.invoke(args=args)
    assert result.exit_code == 0, result.output
    return result.output


def registered(app):
    services = app.extensions["canvass"]
    with services.engine.connect() as conn:
        return cameras_within(conn, services.vault, CITY_CENTRE, AROUND_THE_BAY_M)


def test_the_demo_city_is_san_francisco_loaded_once_with_canvasses_owners_and_staff(
    app, cli, backend, shared_data, mailbox
):
    services = app.extensions["canvass"]
    limit = None if backend == "sqlite" else PG_CAMERAS  # the whole city once, on SQLite
    inside, near = nodes_inside_the_city(shared_data)
    assert len(inside) > 1_200 and near > len(inside) + 1_000  # the boundary matters

    first = load(cli, shared_data, limit)
    head = services.store.head()
    again = load(cli, shared_data, limit)

    expected = len(inside) if limit is None else limit
    assert f"added {expected:,} camera sites (0 were there already)" in first
    assert f"added 0 camera sites ({expected:,} were there already)" in again
    assert "and 0 demo owners' accounts" in again
    assert services.store.head() == head  # the second load appended nothing

    hits = registered(app)
    boundary = json.loads((shared_data / "sf_boundary.geojson").read_text())
    city = shapely.union_all([shape(f["geometry"]) for f in boundary["features"]])
    assert len(hits) == expected
    assert all(city.contains(shapely.Point(hit.longitude, hit.latitude)) for hit in hits)
    assert len({hit.retention_days for hit in hits}) >= 4
    assert len({hit.field_of_view_degrees for hit in hits}) >= 4
    assert {hit.share_exact_location for hit in hits} == {True, False}
    assert {hit.contact_for_requests for hit in hits} == {True, False}

    canvasses_found_cameras_and_asked_their_owners(app, services, mailbox)
    staff_and_owners_sign_in_with_the_printed_passwords(app, first)
    assert "for the demo only" in first


def canvasses_found_cameras_and_asked_their_owners(app, services, mailbox):
    [detective] = [services.accounts.user(p.user_id) for p in people(app, "investigator")]
    by_case = {row["case_number"]: row for row in services.canvass.list_for(detective)}
    assert {case: row["status"] for case, row in by_case.items()} == {
        "180915634": "dispatched",
        "180956309": "approved",
        "180961875": "submitted",  # 18 hours: beyond the 12 the policy allows
    }
    assert "window" in by_case["180961875"]["exceedances"]
    assert "polygon" in by_case["180956309"]["area"]
    now = datetime.now(UTC)
    for row in by_case.values():
        assert row["window_end"] < now
        found = services.canvass.candidates(detective, row["canvass_id"])
        assert found.ranked, f"case {row['case_number']} found no camera to ask"

    # Reported on Tuesday 4 December 2018 at 5:15 PM: replayed on a Tuesday at the same time.
    start = by_case["180915634"]["window_start"].astimezone(SAN_FRANCISCO)
    assert (start.strftime("%A %H:%M"), start.year) == ("Tuesday 16:45", now.year)

    asked = [m for m in mailbox.messages if m["Subject"] == "A request for camera footage near you"]
    summary = services.canvass.requests(detective, by_case["180915634"]["canvass_id"])
    assert asked and len(asked) == summary["requests"]
    public_url = services.accounts.public_url
    for message in asked:
        assert message["To"].endswith("@example.org")
        body = message.get_content()
        assert f"{public_url}/requests/answer?token=" in body
        assert "SFPD" in body


def staff_and_owners_sign_in_with_the_printed_passwords(app, output):
    printed = re.findall(r"(investigator|supervisor|auditor)\s+(\S+@\S+)\s+password (\S+)", output)
    assert [role for role, _, _ in printed] == ["investigator", "supervisor", "auditor"]
    for role, email, password in printed:
        client = app.test_client()
        signed_in = sign_in(client, email, password)
        assert signed_in.status_code == 302, f"the {role} could not sign in"
        assert "/login" not in signed_in.headers["Location"]
        if role != "auditor":
            page = client.get("/canvasses").get_data(as_text=True)
            assert "180915634" in page
    owner_password = re.search(r"Every demo owner signs in with the password (\S+)\.", output)
    asked = re.search(r"For example (\S+@example\.org), who was asked for footage", output)
    assert owner_password and asked
    owner = app.test_client()
    assert sign_in(owner, asked.group(1), owner_password.group(1)).status_code == 302
    assert "SFPD" in owner.get("/my-requests").get_data(as_text=True)
