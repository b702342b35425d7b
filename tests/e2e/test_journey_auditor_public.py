"""Two whole journeys in a real browser: an auditor at a desk finds who saw an owner's footage,
reads the canvass's story in the city's own time, exports it, makes a token and proves the log
with `canvass-verify`; a member of the public on a phone reads the figures and the map and
learns nothing about anyone. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.support.city import STAFF_PASSWORD, City, settle
from tests.support.live_server import serving

VERIFY = Path(sys.executable).parent / "canvass-verify"  # the console script the wheel installs
SAN_FRANCISCO = ZoneInfo("America/Los_Angeles")
CASE = "181-004512"  # tests.support.city's canvass
AUDITOR = "auditor@sfpd.example"


@pytest.fixture(autouse=True)
def city_settings(monkeypatch, shared_data):
    """San Francisco's zone and street basemap, as the quick start sets them."""
    monkeypatch.setenv("CANVASS_TIME_ZONE", "America/Los_Angeles")
    monkeypatch.setenv(
        "CANVASS_MAP_BASEMAP", str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles")
    )


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def snapshot(page, who: str, number: int, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{who}-journey-{number:02d}-{step}.png"), full_page=True)


def verify(key: Path, checkpoint: Path, base_url: str, token: str):
    """`canvass-verify` run as an auditor runs it, against the live service."""
    return subprocess.run(
        [str(VERIFY), "--public-key", str(key), "--checkpoint", str(checkpoint), "--url", base_url],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CANVASS_TOKEN": token, "PATH": "/usr/bin:/bin"},
    )


def local(moment: str) -> str:
    """A logged UTC time as a person in San Francisco reads it: 'Wed 02 Dec 2026, 06:40 PST'."""
    return (
        datetime.fromisoformat(moment).astimezone(SAN_FRANCISCO).strftime("%a %d %b %Y, %H:%M %Z")
    )


def canvass_goes_on(app, mailbox, city: City) -> None:
    """The owner shares a clip; the detective downloads it and reads the owner's statement."""
    city.step_answer("the emailed link", "share_now", "The porch camera saw the street.")
    city.step_upload("the emailed link", -30, "Saved from the recorder by USB.", "right")
    path = city.canvass(0)
    [clip] = city.act(city.investigator, "get", f"{path}/footage").get_json()["files"]
    city.act(city.investigator, "get", f"{path}/footage/{clip['sha256']}").close()
    case_page = city.browsers["investigator"].get(path.removeprefix("/api/v1"))
    assert "Saved from the recorder by USB." in case_page.get_data(as_text=True)


def test_an_auditor_at_a_desk_checks_who_saw_what_and_proves_the_log(
    app, mailbox, tmp_path, chromium
):
    city = City(app, mailbox, settle(app, mailbox))
    canvass_id = city.residents.canvasses[0]
    client = app.test_client()
    key, saved = tmp_path / "public.key", tmp_path / "saved.checkpoint"
    key.write_text(client.get("/api/v1/audit/public-key").get_data(as_text=True))
    saved.write_text(client.get("/api/v1/audit/checkpoint").get_data(as_text=True))
    canvass_goes_on(app, mailbox, city)
    signed = app.test_cli_runner().invoke(args=["audit", "checkpoint"])  # the hourly job, now
    assert signed.exit_code == 0, signed.output
    detective = client.get("/api/v1/me", headers=city.investigator).get_json()["display_name"]
    story = client.get(
        f"/api/v1/audit/canvasses/{canvass_id}/timeline", headers=city.auditor
    ).get_json()["events"]

    with serving(app) as base_url:
        page = chromium.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(AUDITOR)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Access log of SFPD").wait_for()
        snapshot(page, "auditor", 1, "access-log")

        page.get_by_label("Case number").fill(CASE)
        page.get_by_role("button", name="Search").click()
        page.get_by_text("3 accesses found.").wait_for()
        rows = page.locator("table.access tbody tr")
        shown = [
            [cell.split("\n")[0] for cell in rows.nth(i).locator("td").all_inner_texts()]
            for i in range(rows.count())
        ]
        assert [(what, case) for _, _, what, case, _ in shown] == [
            ("Viewed footage", CASE),  # the owner's statement, on the case page
            ("Listed candidate cameras", CASE),
            ("Downloaded footage", CASE),
        ]
        assert {who for _, who, _, _, _ in shown} == {f"{detective} (investigator, SFPD)"}
        assert all(re.fullmatch(r"\w{3} \d\d \w{3} \d{4}, \d\d:\d\d P[SD]T", w) for w, *_ in shown)
        snapshot(page, "auditor", 2, "search-by-case")
        owner = shown[0][4]
        assert owner and shown[2][4] == owner and not shown[1][4]

        page.get_by_label("Case number").fill("")
        page.get_by_label("Owner id").fill(owner)
        page.get_by_role("button", name="Search").click()
        page.get_by_text("2 accesses found.").wait_for()
        of_owner = page.locator("table.access tbody tr td:nth-child(3)").all_inner_texts()
        assert [what.split("\n")[0] for what in of_owner] == [
            "Viewed footage",
            "Downloaded footage",
        ]
        snapshot(page, "auditor", 3, "search-by-owner")
        page.go_back()
        page.get_by_text("3 accesses found.").wait_for()

        with page.expect_download() as downloading:
            page.get_by_role("link", name="Download CSV").click()
        download = downloading.value
        snapshot(page, "auditor", 4, "csv-downloaded")
        assert download.suggested_filename == "access-log.csv"
        with open(download.path(), newline="", encoding="utf-8") as table:
            exported = list(csv.DictReader(table))
        assert [
            [row["local_time"], row["who"], row["what"], row["case_number"]] for row in exported
        ] == [[when, who, what, case] for when, who, what, case, _ in shown]
        assert all(row["canvass_id"] == canvass_id for row in exported)
        assert all(row["recorded_at"].endswith("+00:00") for row in exported)

        page.get_by_role("link", name=CASE).first.click()
        page.get_by_role("heading", name=f"Canvass timeline: case {CASE}").wait_for()
        lines = page.locator("table.timeline tbody tr")
        assert lines.count() == len(story)
        whens = lines.locator("td:nth-child(2)").all_inner_texts()
        assert whens == [local(event["recorded_at"]) for event in story]
        assert all(when.endswith(" PST") for when in whens)  # December in San Francisco
        assert "UTC" not in page.locator("table.timeline").inner_text()
        whats = lines.locator("td:nth-child(3) strong").all_inner_texts()
        assert whats[0] == "Canvass opened" and "Owner asked for footage" in whats
        accesses = page.get_by_role("heading", name="Accesses to owners' data in this canvass (3)")
        assert accesses.is_visible()
        snapshot(page, "auditor", 5, "canvass-timeline")

        page.goto(f"{base_url}/tokens")
        page.get_by_label("Name of the token").fill("verifier on the audit laptop")
        page.get_by_role("button", name="Make the token").click()
        page.get_by_role("heading", name="Your new token “verifier on the audit laptop”").wait_for()
        token = page.get_by_label("The token", exact=True).input_value()
        assert len(token) >= 32
        snapshot(page, "auditor", 6, "token-made")

        proved = verify(key, saved, base_url, token)
        assert proved.returncode == 0, proved.stdout + proved.stderr
        verdict = re.search(
            r"VERIFIED: the log of (\d+) events is complete and unaltered since the saved "
            r"checkpoint of size (\d+)\.",
            proved.stdout,
        )
        assert verdict, proved.stdout
        # The checkpoint saved before the owner answered is still extended by the whole log.
        assert int(verdict[2]) == int(saved.read_text().splitlines()[1]) < int(verdict[1])

        page.goto(f"{base_url}/tokens")
        row = page.get_by_role("row").filter(has_text="verifier on the audit laptop")
        assert row.get_by_role("cell", name="In use").is_visible()
        row.get_by_role("button", name="Revoke").click()
        page.get_by_text("The token is revoked").wait_for()
        row = page.get_by_role("row").filter(has_text="verifier on the audit laptop")
        assert row.get_by_text(re.compile(r"^Revoked .* PST$")).is_visible()
        snapshot(page, "auditor", 7, "token-revoked")

        refused = verify(key, saved, base_url, token)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "NOT VERIFIED" in refused.stdout and "HTTP 401" in refused.stdout
        assert "give a valid token" in refused.stdout
