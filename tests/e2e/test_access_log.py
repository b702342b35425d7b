"""Every release of an owner's data is recorded before it happens; auditors search the record
of their agency and export it, owners read their own trail."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_requests import neighbourhood, open_and_dispatch  # noqa: F401
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import link_token
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def released(app, client, cli, mailbox, neighbourhood):  # noqa: F811
    """Ana sent a clip; the detective downloaded it once and took the case package."""
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    assert upload(client, link_token(request), mp4(b"\x04" * 900)).status_code == 201
    [clip] = client.get(f"{path}/footage", headers=detective).get_json()["files"]
    client.get(f"{path}/footage/{clip['sha256']}", headers=detective).close()
    client.get(f"{path}/package", headers=detective).close()
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")
    return owners, detective, auditor, path


def who(client, headers):
    return client.get("/api/v1/me", headers=headers).get_json()["user_id"]


def test_each_release_is_in_the_access_log_with_who_why_and_for_which_case(client, released):
    owners, detective, auditor, path = released
    found = client.get("/api/v1/audit/access", headers=auditor).get_json()

    assert found["total"] == 2
    assert [row["action"] for row in found["accesses"]] == ["exported", "downloaded"]
    ana = who(client, owners["ana"][0])
    for row in found["accesses"]:
        assert row["actor"] == who(client, detective)
        assert (row["role"], row["agency"]) == ("investigator", "SFPD")
        assert (row["case_number"], row["legal_basis"]) == ("181-004512", "owner_consent")
        assert row["subject_id"] == ana
        assert row["purpose"] == "canvass for property crime"
        assert row["canvass_id"] == path.rsplit("/", 1)[1]

    only = client.get("/api/v1/audit/access?action=downloaded", headers=auditor).get_json()
    assert [row["action"] for row in only["accesses"]] == ["downloaded"]
    nobody = client.get("/api/v1/audit/access?case_number=181-000000", headers=auditor)
    assert nobody.get_json()["total"] == 0
    paged = client.get("/api/v1/audit/access?per_page=1&page=2", headers=auditor).get_json()
    assert paged["total"] == 2 and [r["action"] for r in paged["accesses"]] == ["downloaded"]


def test_the_access_log_exports_as_csv_and_json_lines(client, released):
    _, _, auditor, _ = released
    table = client.get("/api/v1/audit/access?format=csv", headers=auditor)
    assert table.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(table.get_data(as_text=True))))
    assert [row["action"] for row in rows] == ["exported", "downloaded"]
    assert rows[0]["case_number"] == "181-004512"
    # Read by a person: the officer by name and role, the action in words, the local time.
    assert [row["what"] for row in rows] == [
        "Put footage in the case package",
        "Downloaded footage",
    ]
    assert all(row["who"].endswith("(investigator, SFPD)") for row in rows)
    assert all(row["local_time"].endswith(" UTC") for row in rows)  # the service's zone
    assert rows[0]["recorded_at"].endswith("+00:00")
    lines = client.get("/api/v1/audit/access?format=jsonl", headers=auditor)
    assert [json.loads(line)["action"] for line in lines.get_data(as_text=True).splitlines()] == [
        "exported",
        "downloaded",
    ]
    bad = client.get("/api/v1/audit/access?format=xls&from=yesterday", headers=auditor)
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "format": ["Choose json, csv or jsonl."],
        "from": ["Give a date and time like 2026-11-20T21:30:00Z."],
    }


def test_auditors_read_their_own_agency_and_a_system_auditor_reads_all(
    client, cli, mailbox, released
):
    _, _, _, path = released
    other = staff(cli, client, mailbox, "auditor", "OPD", "aud.kay@opd.example")
    assert client.get("/api/v1/audit/access", headers=other).get_json()["total"] == 0
    canvass_id = path.rsplit("/", 1)[1]
    assert (
        client.get(f"/api/v1/audit/canvasses/{canvass_id}/timeline", headers=other).status_code
        == 404
    )
    city = staff(cli, client, mailbox, "auditor", "ALL", "aud.lou@city.example")
    assert client.get("/api/v1/audit/access", headers=city).get_json()["total"] == 2


def test_the_canvass_timeline_tells_its_story_without_personal_data(client, released):
    _, _, auditor, path = released
    canvass_id = path.rsplit("/", 1)[1]
    events = client.get(f"/api/v1/audit/canvasses/{canvass_id}/timeline", headers=auditor)
    kinds = [event["type"] for event in events.get_json()["events"]]
    assert kinds[:4] == [
        "CanvassOpened",
        "CanvassSubmitted",
        "CanvassApproved",
        "CanvassDispatched",
    ]
    assert kinds.count("FootageRequested") == 3 and "FootageReceived" in kinds
    assert kinds[-2:] == ["FootageHandled", "FootageHandled"]
    text = events.get_data(as_text=True)
    assert "@example.org" not in text and "private" not in text


def test_an_owner_sees_who_took_their_data_but_not_which_officer(app, client, released):
    from tests.e2e.test_owner_pages import post_form

    owners, detective, _, _ = released
    trail = client.get("/api/v1/audit/my-accesses", headers=owners["ana"][0]).get_json()
    assert [(r["agency"], r["case_number"], r["action"]) for r in trail["accesses"]] == [
        ("SFPD", "181-004512", "exported"),
        ("SFPD", "181-004512", "downloaded"),
    ]
    assert "actor" not in trail["accesses"][0]
    assert client.get("/api/v1/audit/my-accesses", headers=owners["ben"][0]).get_json() == {
        "accesses": []
    }
    browser = app.test_client()
    post_form(
        browser, "/login", {"email": "ana@example.org", "password": "correct horse battery staple"}
    )
    page = browser.get("/my-data").get_data(as_text=True)
    assert "SFPD, case 181-004512" in page and "downloaded the footage you sent" in page
    assert who(client, detective) not in page


def test_an_auditor_searches_and_downloads_from_the_pages(app, client, released):
    from tests.e2e.test_canvass_pages import logged_in

    app.config["TIME_ZONE"] = "America/Los_Angeles"
    _, detective, _, path = released
    name = client.get("/api/v1/me", headers=detective).get_json()["display_name"]
    browser, landing = logged_in(app, "aud.ray@sfpd.example")
    assert landing.endswith("/audit")
    page = browser.get("/audit?case_number=181-004512").get_data(as_text=True)
    assert "2 accesses found." in page
    assert page.count(f"{name} (investigator, SFPD)") == 2
    assert "Downloaded footage" in page and "Put footage in the case package" in page
    assert re.search(r"\d\d:\d\d P[SD]T", page)
    table = browser.get("/audit?case_number=181-004512&format=csv").get_data(as_text=True)
    assert table.count("181-004512") == 2
    assert table.count(f"{name} (investigator, SFPD)") == 2
    timeline = browser.get(f"/audit/canvasses/{path.rsplit('/', 1)[1]}").get_data(as_text=True)
    assert "Canvass opened" in timeline and "Owner asked for footage" in timeline
    assert f"{name} (investigator, SFPD)" in timeline
    assert re.search(r"\d\d:\d\d P[SD]T", timeline) and "(UTC)" not in timeline
    assert "@example.org" not in timeline and "@sfpd.example" not in timeline
    refused = browser.get("/audit?from=last+week")
    assert refused.status_code == 422 and "Give a date like 2026-11-20." in refused.get_data(True)
    assert (
        'id="from" name="from" type="date" value="last week" aria-invalid="true" '
        'aria-describedby="from-error"' in refused.get_data(as_text=True)
    )
    owner = app.test_client()
    assert owner.get("/audit").status_code == 302


def test_an_owners_timeline_shows_their_requests_and_every_access(client, cli, mailbox, released):
    owners, _, auditor, _ = released
    ana = who(client, owners["ana"][0])
    story = client.get(f"/api/v1/audit/owners/{ana}/timeline", headers=auditor).get_json()
    kinds = [event["type"] for event in story["events"]]
    assert kinds[0] == "FootageRequested" and "FootageReceived" in kinds
    assert "AccountOpened" not in kinds  # an agency's auditor sees what its canvasses did
    assert [row["action"] for row in story["accesses"]] == ["exported", "downloaded"]
    assert "@example.org" not in json.dumps(story)

    city = staff(cli, client, mailbox, "auditor", "ALL", "aud.lou@city.example")
    whole = client.get(f"/api/v1/audit/owners/{ana}/timeline", headers=city).get_json()
    kinds = [event["type"] for event in whole["events"]]
    assert kinds[:2] == ["AccountOpened", "PasswordSet"] and "SiteRegistered" in kinds
    assert "@example.org" not in json.dumps(whole)  # the address stays sealed
    other = staff(cli, client, mailbox, "auditor", "OPD", "aud.kay@opd.example")
    nothing = client.get(f"/api/v1/audit/owners/{ana}/timeline", headers=other).get_json()
    assert nothing == {"events": [], "accesses": []}
