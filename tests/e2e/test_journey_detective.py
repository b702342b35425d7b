"""The detective's and the supervisor's journey at a desk, in real browsers (one each): a
circle canvass opened from a suggested address, sent back with a reason, changed, submitted
again and approved; requests sent, an owner's answer and footage followed on the page, a door
knocked on from the map, the canvass closed with what became of the footage, and the report;
then a polygon drawn by clicks that the supervisor denies. Screenshots go to
test-artifacts/detective-journey-NN-<step>.png."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from registry.geodesy import Point, distance_m
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_requests import AT, INCIDENT, open_and_dispatch, owner_with_camera
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import PASSWORD as OWNER_PASSWORD
from tests.e2e.test_owner_journey_api import link_token
from tests.support.accessibility import check, report
from tests.support.address_points import eas_slice
from tests.support.live_server import serving
from tests.support.sign_in import sign_in, type_code
from tests.unit.test_footage_store import mp4

DETECTIVE = "det.lee@sfpd.example"
SUPERVISOR = "sgt.kim@sfpd.example"
PASSWORD = "a staff passphrase"
DESK = {"width": 1366, "height": 900}
SENT_BACK = "900 m takes in half the Mission; keep it to the blocks the suspect could reach."
APPROVED = "A burglary with a getaway on foot: 650 m covers the routes to the BART station."
DENIED = "A fourteen-hour window asks owners for a whole day of footage; narrow it first."


@pytest.fixture
def city(app, client, cli, mailbox, shared_data, tmp_path):
    """Three owners whose cameras look at the incident near Mission St, the city's Mission
    St address points (the one nearest the incident returned), the SFPD's detective and
    supervisor, and the service in Pacific time a day after the incident, on the loopback."""
    owners = [
        owner_with_camera(client, mailbox, f"{name}@example.org", metres)
        for name, metres in (("ana", 40), ("ben", 90), ("cy", 130))
    ]
    path, rows = eas_slice(shared_data, tmp_path, streets={"MISSION ST"})
    assert cli.invoke(args=["geocoder", "import", str(path)]).exit_code == 0
    nearest = min(
        rows,
        key=lambda row: distance_m(Point(float(row["lat"]), float(row["lon"])), Point(*INCIDENT)),
    )
    staff(cli, client, mailbox, "investigator", "SFPD", DETECTIVE)
    staff(cli, client, mailbox, "supervisor", "SFPD", SUPERVISOR)
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as base_url:
        yield base_url, owners, nearest


@pytest.fixture
def browser():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a shared machine: the service may answer slowly
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()
    expect.set_options(timeout=5_000)  # Playwright's own, for the tests that follow


class Shots:
    """Numbered screenshots of the journey, in the order taken."""

    def __init__(self) -> None:
        self.taken = 0

    def __call__(self, page, step: str) -> None:
        self.taken += 1
        name = f"detective-journey-{self.taken:02d}-{step}.png"
        page.screenshot(path=str(ARTIFACTS / name), full_page=True)


def signed_in(browser, base_url, email, app):
    """A desk browser of its own, signed in as `email`; its page and the page errors seen."""
    context = browser.new_context(viewport=DESK, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    type_code(page, app, email)
    page.get_by_role("button", name="Log out").wait_for()
    return page, errors


def fill_the_window_and_reasons(page, hours=0.5):
    start = AT - timedelta(hours=hours / 2)
    page.get_by_label("From", exact=True).fill(f"{start:%Y-%m-%dT%H:%M}")
    page.get_by_label("Until", exact=True).fill(f"{start + timedelta(hours=hours):%Y-%m-%dT%H:%M}")
    page.get_by_label("Why footage from this area may help").fill(
        "A burglary at a shop; the suspect left on foot towards 20th St."
    )
    page.get_by_label("The owner's consent").check()


def decide(page, base_url, case, reason, button):
    """The supervisor finds the case in the queue, writes the reason and presses `button`."""
    page.goto(f"{base_url}/approvals")
    waiting = page.locator("article.approval", has_text=f"Case {case}")
    waiting.get_by_label("Your reason").fill(reason)
    waiting.get_by_role("button", name=button).click()


def test_a_detective_changes_a_canvass_sent_back_and_follows_it_to_the_report(
    app, city, browser, mailbox
):
    from playwright.sync_api import expect

    base_url, _, nearest = city
    address = nearest["address"]
    shot = Shots()
    desk, desk_errors = signed_in(browser, base_url, DETECTIVE, app)
    office, office_errors = signed_in(browser, base_url, SUPERVISOR, app)

    # The address typed in part, and the city's address chosen from the suggestions.
    desk.get_by_role("link", name="Open a canvass").click()
    desk.locator("#canvass-map.ready").wait_for()  # the form's script is running
    desk.get_by_label("Case number").fill("181-004700")
    desk.get_by_label("What happened").select_option("property_crime")
    typed = address.split()[0] + " Mission"
    desk.get_by_label("Address where it happened").press_sequentially(typed)
    desk.get_by_role("option", name=re.compile(re.escape(address), re.I)).click()
    expect(desk.locator("#incident-note")).to_contain_text("(the address found)")
    expect(desk.get_by_label("Address where it happened")).to_have_value(
        re.compile(re.escape(address), re.I)
    )
    placed = Point(
        float(desk.get_by_label("Latitude").input_value()),
        float(desk.get_by_label("Longitude").input_value()),
    )
    assert distance_m(placed, Point(float(nearest["lat"]), float(nearest["lon"]))) < 1
    desk.get_by_label("Radius in metres").fill("900")
    fill_the_window_and_reasons(desk)
    expect(desk.locator("#policy-feedback")).to_contain_text("a supervisor must approve it")
    shot(desk, "address-chosen")
    desk.get_by_role("button", name="Open and submit the canvass").click()
    expect(desk.get_by_role("heading", name=re.compile("Case 181-004700"))).to_be_visible()
    expect(desk.get_by_text("Waiting for a supervisor.")).to_be_visible()
    shot(desk, "waiting-for-a-supervisor")

    # The supervisor sends it back with a reason; the detective reads it on the case.
    decide(office, base_url, "181-004700", SENT_BACK, "Send back to change")
    expect(office.get_by_role("status")).to_contain_text("Sent back.")
    shot(office, "supervisor-sent-it-back")
    desk.reload()
    reason = desk.locator("#decision-reason")
    expect(reason).to_contain_text("sent this canvass back to you to change")
    expect(reason).to_contain_text(SENT_BACK)
    shot(desk, "reason-read")

    # The change page holds the canvass as it stands; a smaller circle is submitted again.
    desk.get_by_role("link", name="Change the canvass").click()
    expect(desk.get_by_label("Case number")).to_have_value("181-004700")
    expect(desk.get_by_label("Radius in metres")).to_have_value("900")
    expect(desk.get_by_label("From", exact=True)).to_have_value(
        f"{AT - timedelta(minutes=15):%Y-%m-%dT%H:%M}"
    )
    expect(desk.get_by_text(SENT_BACK)).to_be_visible()
    desk.locator("#canvass-map.ready").wait_for()
    findings, _ = check(desk)  # at a phone's width, the desk's and 320 px
    assert findings == [], report("the change page", desk.url, findings)
    desk.set_viewport_size(DESK)
    desk.get_by_label("Radius in metres").fill("650")
    # on to the next field, as people do: Chromium scrolls a text field that keeps the focus
    # back into view after a screenshot, moving the button away from under the pointer
    desk.keyboard.press("Tab")
    expect(desk.locator("#policy-feedback")).to_contain_text("0.51")
    shot(desk, "changing-the-canvass")
    desk.get_by_role("button", name="Save the changes and submit again").click()
    expect(desk.get_by_text("Changed and submitted again")).to_be_visible()
    expect(desk.get_by_text("Waiting for a supervisor.")).to_be_visible()
    expect(desk.locator("#decision-reason")).to_have_count(0)

    # Approved, the requests go to the three owners.
    decide(office, base_url, "181-004700", APPROVED, "Approve with this reason")
    expect(office.get_by_role("status")).to_contain_text("Approved.")
    expect(office.get_by_text("Nothing is waiting for you.")).to_be_visible()
    desk.reload()
    desk.get_by_role("button", name="Send the requests to the owners of 3 cameras").click()
    expect(desk.get_by_text("Requests made to 3 owners")).to_be_visible()
    shot(desk, "requests-sent")

    # Ana sends a clip from the emailed link; Ben has none.
    app.extensions["canvass"].outbox.send_pending()
    links = {
        name: link_token(
            next(
                m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
            )
        )
        for name in ("ana", "ben")
    }
    client = app.test_client()
    clip = mp4(b"\x09" * 20_000)
    uploaded = client.put(
        "/api/v1/requests/footage",
        query_string={
            "token": links["ana"],
            "sha256": hashlib.sha256(clip).hexdigest(),
            "statement": "Exported from the recorder's app, porch camera, 21:25 to 21:55.",
        },
        data=clip,
        content_type="video/mp4",
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    answer = {"token": links["ben"], "answer": "no_footage", "note": "Away that week"}
    assert client.post("/api/v1/requests/answer", json=answer).status_code == 200

    # The detective sees the answers and the footage, and downloads it under its real kind.
    desk.reload()
    expect(desk.locator("#answers")).to_contain_text("1 offered footage")
    expect(desk.locator("#answers")).to_contain_text("1 had none")
    expect(desk.locator("tr.candidate", has_text="Offered footage")).to_have_count(1)
    row = desk.locator("tr.footage-file")
    expect(row).to_contain_text("porch camera, 21:25 to 21:55")
    with desk.expect_download() as download:
        row.get_by_role("link").click()
    name = download.value.suggested_filename
    assert re.fullmatch(r"case-181-004700-site-[0-9a-f]{8}-[0-9a-f]{12}\.mp4", name), name
    shot(desk, "answers-and-footage")

    # A knock on a door, placed by clicking the map.
    desk.locator("#canvass-map.ready").wait_for()
    desk.locator("#canvass-map").scroll_into_view_if_needed()
    box = desk.locator("#canvass-map").bounding_box()
    desk.mouse.click(box["x"] + box["width"] / 2 + 60, box["y"] + box["height"] / 2 + 30)
    expect(desk.locator("#visit-map-note")).to_contain_text(
        "The visit form has the door you clicked"
    )
    visit = desk.locator("#visit-form")
    expect(visit.get_by_label("Latitude")).to_have_value(re.compile(r"^37\.7\d+"))
    visit.get_by_label("A camera is here").check()
    visit.get_by_label("Days the recorder keeps").fill("7")
    visit.get_by_role("button", name="Log the visit").click()
    expect(desk.get_by_text("The visit is logged.")).to_be_visible()
    expect(desk.get_by_role("heading", name="Doors visited (1)")).to_be_visible()
    expect(desk.locator("#visits table")).to_contain_text("A camera is here")
    shot(desk, "door-knocked")

    # Closing: the footage of the one site that offered it was used.
    closing = desk.locator("#close")
    offer = closing.get_by_role("group", name=re.compile("What became of the footage from site"))
    expect(offer).to_have_count(1)
    offer.get_by_label("Used in the investigation").check()
    findings, _ = check(desk, {"desk": (DESK["width"], DESK["height"])})
    assert findings == [], report("the canvass page, dispatched", desk.url, findings)
    shot(desk, "closing")
    closing.get_by_role("button", name="Close the canvass").click()
    expect(desk.get_by_text("The canvass is closed;")).to_be_visible()
    expect(desk.locator("h1 .status")).to_have_text("closed")
    expect(desk.locator("#footage-outcomes")).to_contain_text("Used in the investigation")
    expect(desk.locator("#close")).to_have_count(0)
    app.extensions["canvass"].outbox.send_pending()
    told = [m for m in mailbox.to("ana@example.org") if "used" in m.get_content()]
    assert told, [m["Subject"] for m in mailbox.to("ana@example.org")]

    # The printed report keeps what became of the footage.
    desk.get_by_role("link", name="Printable report").click()
    outcomes = desk.locator("#footage-outcomes")
    expect(outcomes).to_contain_text("Used in the investigation")
    expect(desk.locator("article.report")).to_contain_text("status: closed")
    # The supervisor who approved going beyond the limits is named, not an account id.
    approved = desk.get_by_role("row", name=re.compile("Approved by"))
    expect(approved).to_contain_text("(supervisor, SFPD)")
    shot(desk, "report")
    assert desk_errors == [] and office_errors == []


def test_a_polygon_drawn_by_clicks_is_denied_and_the_detective_reads_why(app, city, browser):
    from playwright.sync_api import expect

    base_url, _, _ = city
    desk, desk_errors = signed_in(browser, base_url, DETECTIVE, app)
    office, office_errors = signed_in(browser, base_url, SUPERVISOR, app)
    shot = Shots()
    shot.taken = 20  # after the first journey's

    # The incident clicked on the map, then the area clicked corner by corner.
    desk.goto(f"{base_url}/canvasses/new")
    desk.get_by_label("Case number").fill("181-004701")
    desk.get_by_label("Latitude").fill(f"{INCIDENT[0]:.6f}")
    desk.get_by_label("Longitude").fill(f"{INCIDENT[1]:.6f}")
    expect(desk.locator("#incident-note")).to_contain_text("The incident is at")
    desk.get_by_label("An area I draw on the map").check()
    expect(desk.get_by_text("(0 so far)")).to_be_visible()
    desk.locator("#canvass-map").scroll_into_view_if_needed()
    box = desk.locator("#canvass-map").bounding_box()
    middle_x, middle_y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    for dx, dy in ((-140, -120), (140, -120), (140, 120), (-140, 120)):
        desk.mouse.click(middle_x + dx, middle_y + dy)
    expect(desk.get_by_text("(4 so far)")).to_be_visible()
    corners = desk.get_by_label("Corners of the area, one a line").input_value().splitlines()
    assert len(corners) == 4
    fill_the_window_and_reasons(desk, hours=14)
    expect(desk.locator("#policy-feedback")).to_contain_text("a supervisor must approve it")
    shot(desk, "polygon-drawn")
    desk.get_by_role("button", name="Open and submit the canvass").click()
    expect(desk.get_by_text("Waiting for a supervisor.")).to_be_visible()
    desk.locator("#canvass-map.ready").wait_for()

    decide(office, base_url, "181-004701", DENIED, "Deny for good")
    expect(office.get_by_role("status")).to_contain_text("Denied.")
    shot(office, "supervisor-denied")

    desk.reload()
    expect(desk.locator("h1 .status")).to_have_text("denied")
    reason = desk.locator("#decision-reason")
    expect(reason).to_contain_text("A supervisor denied this canvass")
    expect(reason).to_contain_text(DENIED)
    expect(desk.get_by_role("link", name="Change the canvass")).to_have_count(0)
    expect(desk.get_by_role("button", name=re.compile("Send the requests|Submit"))).to_have_count(0)
    shot(desk, "denial-read")
    assert desk_errors == [] and office_errors == []


def test_an_owner_who_left_is_said_to_have_left_not_counted_as_an_offer_with_no_file(
    app, client, cli, mailbox
):
    owner, _ = owner_with_camera(client, mailbox, "ana@example.org", 40)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", DETECTIVE)
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    path, _ = open_and_dispatch(client, detective, "181-004702")
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    clip = mp4(b"\x0a" * 5_000)
    uploaded = client.put(
        "/api/v1/requests/footage",
        query_string={"token": link_token(request), "sha256": hashlib.sha256(clip).hexdigest()},
        data=clip,
        content_type="video/mp4",
    )
    assert uploaded.status_code == 201
    left = client.post("/api/v1/me/erasure", headers=owner, json={"password": OWNER_PASSWORD})
    assert left.status_code == 200

    desk = app.test_client()
    assert sign_in(desk, DETECTIVE, PASSWORD).status_code == 302
    case = desk.get(path.removeprefix("/api/v1")).get_data(as_text=True)
    said = "1 owner asked has since left the registry"
    assert said in " ".join(case.split())
    assert "<strong>0</strong> offered footage" in case
    assert "No file: an owner who was asked has since left the registry" in case
    assert "No file yet." not in case
    assert "No owner offered footage, so" in " ".join(case.split())  # nothing to mark
    printed = desk.get(f"{path.removeprefix('/api/v1')}/report")
    assert printed.status_code == 200
    assert said in " ".join(printed.get_data(as_text=True).split())
