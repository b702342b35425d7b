"""Two whole journeys in a real browser: an auditor at a desk finds who saw an owner's footage,
reads the canvass's story in the city's own time, exports it, makes a token and proves the log
with `canvass-verify`; a member of the public on a phone reads the figures and the map and
learns nothing about anyone. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.support.city import CAMERA, CANVASS, STAFF_PASSWORD, City, bearer, settle
from tests.support.live_server import serving
from tests.support.sign_in import next_code, type_code

VERIFY = Path(sys.executable).parent / "canvass-verify"  # the console script the wheel installs
SAN_FRANCISCO = ZoneInfo("America/Los_Angeles")
CASE = "181-004512"  # tests.support.city's canvass
AUDITOR = "auditor@sfpd.example"


@pytest.fixture(autouse=True)
def city_settings(monkeypatch, shared_data):
    """San Francisco's zone and street basemap, as the quick start sets them, and a city that
    lets a busy week's canvasses ask an owner five times."""
    monkeypatch.setenv("CANVASS_TIME_ZONE", "America/Los_Angeles")
    monkeypatch.setenv(
        "CANVASS_MAP_BASEMAP", str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles")
    )
    monkeypatch.setenv("CANVASS_MAX_REQUESTS_PER_OWNER_PER_WEEK", "5")


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


def canvass_goes_on(city: City) -> None:
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
    zone = datetime.now(SAN_FRANCISCO).tzname()  # PST in winter, PDT in summer
    city = City(app, mailbox, settle(app, mailbox))
    canvass_id = city.residents.canvasses[0]
    client = app.test_client()
    key, saved = tmp_path / "public.key", tmp_path / "saved.checkpoint"
    key.write_text(client.get("/api/v1/audit/public-key").get_data(as_text=True))
    saved.write_text(client.get("/api/v1/audit/checkpoint").get_data(as_text=True))
    canvass_goes_on(city)
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
        type_code(page, app, AUDITOR)
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
        assert all(
            re.fullmatch(rf"\w{{3}} \d\d \w{{3}} \d{{4}}, \d\d:\d\d {zone}", w) for w, *_ in shown
        )
        snapshot(page, "auditor", 2, "search-by-case")
        owners = [rows.nth(i).locator("td:nth-child(5) code").all_inner_texts() for i in range(3)]
        [owner] = owners[0]
        assert owners == [[owner], [], [owner]]  # a listing names no owner

        of_the_owner = page.get_by_role("link", name=f"Every access to the data of owner {owner}")
        of_the_owner.first.locator("code").click()  # the id, where a person clicks
        page.get_by_text("2 accesses found.").wait_for()
        assert page.get_by_label("Owner id").input_value() == owner
        assert page.get_by_label("Case number").input_value() == ""
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
        assert all(when.endswith(f" {zone}") for when in whens)
        assert "UTC" not in page.locator("table.timeline").inner_text()
        whats = lines.locator("td:nth-child(3) strong").all_inner_texts()
        assert whats[0] == "Canvass opened" and "Owner asked for footage" in whats
        said = {what: line for what, line in zip(whats, lines.all_inner_texts(), strict=True)}
        assert "Approved by: the agency's policy (within its limits)" in said["Canvass approved"]
        assert "Answer: will upload footage" in said["Owner answered"]
        assert "share_now" not in page.locator("table.timeline").inner_text()
        accesses = page.get_by_role("heading", name="Accesses to owners' data in this canvass (3)")
        assert accesses.is_visible()
        snapshot(page, "auditor", 5, "canvass-timeline")

        page.goto(f"{base_url}/tokens")
        page.get_by_label("Name of the token").fill("verifier on the audit laptop")
        page.get_by_label("Your password").fill(STAFF_PASSWORD)  # a token needs both, always
        page.get_by_label("Code from your authenticator app").fill(next_code(app, AUDITOR))
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
        assert row.get_by_text(re.compile(rf"^Revoked .* {zone}$")).is_visible()
        snapshot(page, "auditor", 7, "token-revoked")

        refused = verify(key, saved, base_url, token)
        assert refused.returncode == 2, refused.stdout + refused.stderr
        assert "NOT VERIFIED" in refused.stdout and "HTTP 401" in refused.stdout
        assert "give a valid token" in refused.stdout


# San Francisco's Civic Center: a square of the public map where OpenStreetMap knows dozens of
# cameras, and three residents who registered their own there long ago.
SQUARE = (37.770, -122.42822, 37.780, -122.41556)  # south, west, north, east
INCIDENT = (37.7750, -122.4200)  # Market St & Van Ness Ave
RESIDENTS = [
    ("Rosalind Okafor", "rosalind.okafor@example.org", "Okafor back porch", "41 Lily St",
     (37.7753, -122.4209)),
    ("Tomasz Wierzbicki", "t.wierzbicki@example.org", "Wierzbicki garage", "118 Page St",
     (37.7746, -122.4212)),
    ("Hana Nakagawa-Reyes", "hana.nr@example.org", "Nakagawa-Reyes doorbell", "22 Rose St",
     (37.7752, -122.4193)),
]  # fmt: skip
CASES = [f"182-77{n:04d}" for n in range(5)]
# What SFPD's month of canvasses reads on the figures page, row by row.
SFPD_MONTH = [
    ["Canvasses opened", "5"],
    ["Search area, median (sq mi)", "0.07"],  # 240 m around the corner
    ["Search area, largest (sq mi)", "0.095"],  # 280 m
    ["Time window, median (hours)", "3"],
    ["Time window, longest (hours)", "5"],
    ["Approved beyond the limits", "0"],
    ["Requests sent to owners", "15"],
    ["Shared footage at once", "0"],
    ["Said they would bring footage", "5"],
    ["Had no footage", "0"],
    ["Did not provide footage", "10"],
    ["Footage files received", "0"],
]


@contextmanager
def happening_at(app, moment: datetime) -> Iterator[None]:
    """Record what the block does as if it happened at `moment`: the figures are dated by
    when the log recorded each event, and the canvass rules judge windows by their clock."""
    services = app.extensions["canvass"]
    with pytest.MonkeyPatch.context() as clocks:
        clocks.setattr(services.canvass, "clock", lambda: moment)
        clocks.setattr(services.store._recorder, "_clock", lambda: moment)
        yield


def cells(table) -> list[list[str]]:
    """A table's rows as a person reads them, cell by cell, however narrow the screen."""
    return table.locator("tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"
    )


def cameras_of_the_square(shared_data, tmp_path) -> Path:
    """The OpenStreetMap camera nodes inside the square, as a file an operator imports."""
    nodes = json.loads((shared_data / "osm_surveillance_nodes_us_west.json").read_text())
    south, west, north, east = SQUARE
    inside = [n for n in nodes if south < n["lat"] < north and west < n["lon"] < east]
    assert len(inside) >= 40
    path = tmp_path / "civic-center.json"
    path.write_text(json.dumps(inside))
    return path


def residents_register(client, mailbox) -> None:
    for name, email, label, address, (latitude, longitude) in RESIDENTS:
        owner = bearer(sign_up_and_verify(client, mailbox, email, name))
        site = {"label": label, "address": address, "latitude": latitude, "longitude": longitude,
                "contact_for_requests": True, "categories": ["all"],
                "share_exact_location": False, "cameras": [CAMERA]}  # fmt: skip
        registered = client.post("/api/v1/sites", headers=owner, json=site)
        assert registered.status_code == 201, registered.get_json()
        assert (registered.get_json()["label"], registered.get_json()["address"]) == (
            label,
            address,
        )  # the service holds what must never be published


def sfpd_canvasses(client, cli, mailbox, at: datetime) -> None:
    """Five SFPD canvasses around the corner, each asking the three residents."""
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    for n, case in enumerate(CASES):
        body = CANVASS | {
            "case_number": case,
            "incident": {"latitude": INCIDENT[0], "longitude": INCIDENT[1]},
            "window_start": (at - timedelta(hours=2 + n)).isoformat(),
            "window_end": (at - timedelta(hours=1)).isoformat(),
            "area": {"radius_m": 200 + 20 * n},
        }
        opened = client.post("/api/v1/canvasses", headers=detective, json=body)
        assert opened.status_code == 201, opened.get_json()
        path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
        assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"
        sent = client.post(f"{path}/dispatch", headers=detective).get_json()
        assert sent["requests"] == {"requested": 3}, sent
    assert cli.invoke(args=["outbox", "send"]).exit_code == 0
    asked = [m for m in mailbox.messages if m["Subject"] == "A request for camera footage near you"]
    assert len(asked) == 15
    for message in asked[:5]:
        answer = {"token": link_token(message), "answer": "will_bring"}
        assert client.post("/api/v1/requests/answer", json=answer).status_code == 200


def test_a_member_of_the_public_on_a_phone_sees_figures_and_no_one_in_particular(
    app, client, cli, mailbox, shared_data, tmp_path, chromium
):
    now = datetime.now(UTC)
    published_month = (now - timedelta(days=80)).strftime("%B %Y")  # over, its deadlines past
    with happening_at(app, now - timedelta(days=100)):  # long enough ago to count on the map
        residents_register(client, mailbox)
    with happening_at(app, now - timedelta(days=80)):
        sfpd_canvasses(client, cli, mailbox, now - timedelta(days=80))
    imported = cli.invoke(
        args=["registry", "import", str(cameras_of_the_square(shared_data, tmp_path)),
              "--format", "osm-surveillance"]
    )  # fmt: skip
    assert imported.exit_code == 0, imported.output
    personal = [text for name, email, label, address, _ in RESIDENTS
                for text in (name, email, label, address)]  # fmt: skip
    personal += [*CASES, "det.lee@sfpd.example"]

    requested, responses = [], []
    with serving(app) as base_url:
        context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.on("response", lambda response: responses.append(response))
        page.goto(f"{base_url}/")
        page.get_by_role("link", name="Figures").click()
        page.get_by_role("heading", name="Canvassing in figures").wait_for()
        month = page.locator("section.month").filter(
            has=page.get_by_role("heading", name=published_month)
        )
        figures = month.get_by_role("table", name="SFPD")
        assert cells(figures) == SFPD_MONTH
        texts = [page.locator("body").inner_text(), page.content()]
        snapshot(page, "public", 1, "figures")

        with page.expect_download() as downloading:
            page.get_by_role("link", name="Download these figures as JSON").click()
        published = json.loads(Path(downloading.value.path()).read_text(encoding="utf-8"))
        [sfpd] = [g for g in published["agency_months"] if g["agency"] == "SFPD"]
        assert (sfpd["canvasses_opened"], sfpd["requests_sent"]) == (5, 15)
        assert sfpd["answers"] == {"share_now": 0, "will_bring": 5, "no_footage": 0,
                                   "did_not_provide": 10}  # fmt: skip
        texts.append(json.dumps(published))

        page.get_by_role("link", name="Public map").click()
        page.locator("#coverage.ready").wait_for()
        shown = re.compile(r"^1 squares? (is|are) shown this month")
        assert page.get_by_role("status").filter(has_text=shown).is_visible()
        snapshot(page, "public", 2, "map")
        table = page.get_by_role(
            "table", name="The squares on the map, with the same rough figures"
        )
        table.scroll_into_view_if_needed()
        [square] = cells(table.locator("tbody"))
        assert square[:2] == ["1", "37.775° N, 122.422° W"]  # the Civic Center square
        assert int(square[2]) > 40 and int(square[3]) > 40  # about 77 owners, one camera each
        texts += [page.locator("body").inner_text(), page.content()]
        snapshot(page, "public", 3, "map-table")
        fetched = [r for r in responses if "json" in (r.headers.get("content-type") or "")]
        assert any(r.url.startswith(f"{base_url}/api/v1/public/coverage") for r in fetched)
        texts += [r.text() for r in fetched]
        context.close()

    assert [text for text in personal if any(text in seen for seen in texts)] == []
    elsewhere = [url for url in requested if not url.startswith(f"{base_url}/")]
    assert requested and not elsewhere, f"the pages asked other machines: {elsewhere}"
