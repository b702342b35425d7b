"""An owner's whole journey in San Francisco, in a real browser, as a person walks it: on a
phone from signing up to leaving, and the main task with the keyboard alone. Screenshots of
each step go to test-artifacts/owner-journey-*.png and owner-keyboard-*.png."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import PASSWORD, sign_up_and_verify
from tests.support.address_points import eas_slice, point_of
from tests.support.live_server import serving
from tests.support.mail import deliver_mail
from tests.unit.test_footage_store import mp4

EMAIL = "rosa.delgado@example.org"
SOUTH, WEST, NORTH, EAST = 37.70, -122.52, 37.83, -122.35  # San Francisco, the service area
CITY = {
    "type": "Polygon",
    "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]],
}
HOME = "2128 MISSION ST"  # as the city's address file writes it
HOME_SHOWN = "2128 Mission St, San Francisco, CA"
PHONE = {"width": 390, "height": 844}
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)


@pytest.fixture(autouse=True)
def street_map(monkeypatch, shared_data):
    """The city's street basemap, named the way an operator names it (before the app is made)."""
    monkeypatch.setenv(
        "CANVASS_MAP_BASEMAP", str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles")
    )


@pytest.fixture
def city(app, cli, shared_data, tmp_path):
    """The service for San Francisco: its area, and the city's address points for a few
    streets in the gazetteer; returns those points."""
    app.config["SERVICE_AREA"] = CITY
    path, kept = eas_slice(shared_data, tmp_path)
    imported = cli.invoke(args=["geocoder", "import", str(path)])
    assert imported.exit_code == 0, imported.output
    return kept


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def centre_of(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def emailed_link(mailbox, email: str, subject: str) -> str:
    """The link in the newest email to `email` whose subject starts with `subject`."""
    message = [m for m in mailbox.to(email) if m["Subject"].startswith(subject)][-1]
    return re.search(r"https?://\S+", message.get_content()).group(0)


def canvass_reaches(client, detective: dict, place: tuple[float, float]) -> str:
    """A detective opens a canvass of an incident at `place` a day ago, and it is sent to
    the owners whose cameras may have seen it; returns its API path."""
    body = {
        "case_number": "181-004512",
        "category": "property_crime",
        "incident": {"latitude": place[0], "longitude": place[1]},
        "window_start": (AT - timedelta(minutes=30)).isoformat(),
        "window_end": (AT + timedelta(minutes=30)).isoformat(),
        "area": {"radius_m": 250},
        "justification": "A burglary at a shop; the suspect left on foot along Mission St.",
        "legal_basis": "owner_consent",
    }
    opened = client.post("/api/v1/canvasses", headers=detective, json=body)
    assert opened.status_code == 201, opened.get_json()
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"
    dispatched = client.post(f"{path}/dispatch", headers=detective).get_json()
    assert dispatched["requests"] == {"requested": 1}, dispatched
    deliver_mail(client.application)
    return path


def test_an_owner_on_a_phone_from_sign_up_to_leaving(app, client, cli, mailbox, city, browser):
    home_lat, home_lon = point_of(city, HOME)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.okoro@sfpd.example")
    with serving(app) as base_url:
        phone = browser.new_context(viewport=PHONE, accept_downloads=True)
        page = phone.new_page()

        # 1. Sign up on the page; the confirmation comes by email, as received.
        page.goto(f"{base_url}/signup")
        page.get_by_label("Your name").fill("Rosa Delgado")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Choose a password").fill(PASSWORD)
        page.get_by_role("button", name="Sign up").click()
        page.get_by_role("heading", name="Check your email").wait_for()
        shot(page, "owner-journey-01-signed-up")
        deliver_mail(app)
        page.goto(emailed_link(mailbox, EMAIL, "Confirm your email address"))
        # The link may ask for a press of a button first (so a mail scanner confirms nothing).
        press = page.get_by_role("button", name="Confirm my email address")
        confirmed = page.get_by_text("Your email address is confirmed")
        press.or_(confirmed).wait_for()
        if press.is_visible():
            press.click()
        confirmed.wait_for()
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="My sites").wait_for()
        shot(page, "owner-journey-02-logged-in")

        # 2. A site by its address: typed loosely, chosen from the suggestions, shown back.
        page.get_by_role("link", name="Add a site").click()
        page.get_by_label("Name of the site").fill("Home")
        address = page.get_by_role("combobox", name="Street address")
        address.press_sequentially("2128 mision st")  # one letter missing
        page.get_by_role("option", name=HOME_SHOWN).click()
        assert address.input_value() == HOME_SHOWN
        page.get_by_text(f"Address found: {HOME_SHOWN}").wait_for()
        assert page.get_by_label("Latitude").input_value() == f"{home_lat:.6f}"
        assert page.get_by_label("Longitude").input_value() == f"{home_lon:.6f}"
        pin = page.locator("#pin-map .leaflet-marker-icon")
        map_centre = centre_of(page.locator("#pin-map").bounding_box())
        pin_tip = centre_of(pin.bounding_box())
        assert abs(pin_tip[0] - map_centre[0]) < 20 and abs(pin_tip[1] - map_centre[1]) < 60
        shot(page, "owner-journey-03-address-chosen")
        page.get_by_role("button", name="Register this site").click()
        page.get_by_text("Your site is registered").wait_for()
        placed = page.locator(".site-place").inner_text()
        assert HOME_SHOWN in placed and "placed at this address" in placed

        # 3. A camera, its view turned by dragging the handle at the fan's edge to the east.
        page.get_by_label("Name", exact=True).fill("Shop window")
        page.get_by_label("How wide does it see?").fill("90")
        page.get_by_label("How far does it see?").fill("40")
        page.get_by_label("How many days does your recorder keep footage?").fill("14")
        page.locator("#map.ready").scroll_into_view_if_needed()
        site_dot = next(
            box
            for box in (p.bounding_box() for p in page.locator("#map path").all())
            if box and box["width"] < 20
        )
        site_x, site_y = centre_of(site_dot)
        handle = page.locator("#map .view-handle")
        page.mouse.move(*centre_of(handle.bounding_box()))
        page.mouse.down()
        page.mouse.move(site_x + 40, site_y - 20, steps=5)
        page.mouse.move(site_x + 70, site_y, steps=5)
        page.mouse.up()
        bearing = float(page.get_by_label("Which way does it look?").input_value())
        assert 80 <= bearing <= 100
        shot(page, "owner-journey-04-view-dragged")
        page.get_by_role("button", name="Add camera").click()
        page.get_by_text("Camera “Shop window” added.").wait_for()
        row = page.locator("tr", has_text="Shop window").inner_text()
        assert f"towards {round(bearing)}°, 90° wide, 40 m" in row and "14 days" in row

        # 4. Consent set on the page: only property crime, exact place not shown before asked.
        page.get_by_label("Only these:").check()
        page.get_by_label(re.compile("Property crime")).check()
        page.get_by_role("button", name="Save my choices").click()
        page.get_by_text("Your choices are saved.").wait_for()
        assert page.get_by_label("Only these:").is_checked()
        assert page.get_by_label(re.compile("Property crime")).is_checked()
        assert not page.get_by_label(re.compile("Violent crime")).is_checked()
        shot(page, "owner-journey-05-consent-saved")

        # 5. A second site by tapping the street map, which opens on the city.
        page.goto(f"{base_url}/sites/new")
        pin_map = page.locator("#pin-map.ready")
        pin_map.wait_for()
        pin_map.locator("canvas.leaflet-tile-loaded").first.wait_for()  # the streets are drawn
        pin_map.click(position={"x": 160, "y": 110})
        latitude = float(page.get_by_label("Latitude").input_value())
        longitude = float(page.get_by_label("Longitude").input_value())
        assert SOUTH < latitude < NORTH and WEST < longitude < EAST
        page.get_by_label("Name of the site").fill("Garage")
        shot(page, "owner-journey-06-pin-tapped")
        page.get_by_role("button", name="Register this site").click()
        page.get_by_text("Your site is registered").wait_for()
        assert page.locator(".site-place").inner_text() == "Placed by your pin on the map"
        page.get_by_role("link", name="My sites").click()
        assert page.locator("ul.sites li").count() == 2

        # 6. A canvass by staff reaches her; she answers from the email as received.
        incident = Geodesic.WGS84.Direct(home_lat, home_lon, bearing, 25)
        path = canvass_reaches(client, detective, (incident["lat2"], incident["lon2"]))
        page.goto(emailed_link(mailbox, EMAIL, "A request"))
        about = page.locator(".request-about")
        about.wait_for()
        assert "SFPD, case 181-004512" in about.inner_text()
        assert "Shop window (Home)" in about.inner_text()
        shot(page, "owner-journey-07-request-emailed")
        page.get_by_label(re.compile("will upload it")).check()
        page.get_by_role("button", name="Send my answer").click()
        page.get_by_role("heading", name="Upload your footage").wait_for()
        clip = mp4(b"\x11" * 20_000)
        page.set_input_files(
            "#footage", files=[{"name": "shop.mp4", "mimeType": "video/mp4", "buffer": clip}]
        )
        page.get_by_label("How you exported it").fill("Exported from the recorder's app as MP4.")
        page.get_by_role("button", name="Upload").click()
        page.get_by_role("heading", name="Thank you: your footage is received").wait_for()
        digest = hashlib.sha256(clip).hexdigest()
        assert digest in page.content()
        shot(page, "owner-journey-08-footage-received")

        # 7. The detective takes the footage; /my-data says who, for which case and why.
        taken = client.get(f"{path}/footage/{digest}", headers=detective)
        assert taken.status_code == 200 and taken.data == clip
        taken.close()
        page.goto(f"{base_url}/my-data")
        accessed = page.locator("tbody tr").first.inner_text()
        assert "SFPD, case 181-004512" in accessed
        assert "downloaded the footage you sent" in accessed
        assert "canvass for property crime" in accessed.lower()
        shot(page, "owner-journey-09-who-accessed")

        # 8. She takes her data along: the download holds both sites, placed as she did.
        page.goto(f"{base_url}/dashboard")
        with page.expect_download() as downloading:
            page.get_by_role("link", name="Download my sites and cameras").click()
        downloaded = json.loads(downloading.value.path().read_text(encoding="utf-8"))
        assert downloading.value.suggested_filename.endswith(".json")
        sites = {site["label"]: site for site in downloaded["sites"]}
        assert sites["Home"]["address"] == HOME_SHOWN
        assert sites["Home"]["placed_by"] == "address"
        assert sites["Home"]["latitude"] == pytest.approx(home_lat, abs=1e-6)
        assert sites["Home"]["longitude"] == pytest.approx(home_lon, abs=1e-6)
        assert [c["label"] for c in sites["Home"]["cameras"]] == ["Shop window"]
        assert sites["Home"]["consent"]["categories"] == ["property_crime"]
        assert sites["Garage"]["placed_by"] == "pin"

        # 9. She leaves; signing in again is refused in words.
        page.get_by_role("link", name="Delete my account and my data").click()
        page.get_by_label("Your password, to confirm").fill(PASSWORD)
        page.get_by_role("button", name="Delete my account and my data").click()
        page.get_by_text("Your account and your personal data are erased.").wait_for()
        shot(page, "owner-journey-10-left")
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_text(
            "That email address and password do not match an account."
        ).first.wait_for()
        assert page.get_by_role("heading", name="My sites").count() == 0
        shot(page, "owner-journey-11-sign-in-refused")
        phone.close()


# The focused element, and whether its focus can be seen: an outline or a box shadow.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const label = element.getAttribute("aria-label") || element.innerText || element.value || "";
  return {
    what: element.tagName.toLowerCase() + (element.id ? "#" + element.id : ""),
    text: label.slice(0, 60),
    // Tab past the last control leaves the page: nothing is focused, nothing to show.
    shown: element === document.body || outlined || style.boxShadow !== "none",
  };
}"""


class Keyboard:
    """A person with a keyboard alone: Tab and Shift+Tab to a control, keys, typing; every
    control they pass on the way must show where the focus is."""

    def __init__(self, page) -> None:
        self.page = page
        self.unseen: list[str] = []

    def tab_to(self, selector: str, backwards: bool = False, limit: int = 80) -> None:
        for _ in range(limit):
            self.page.keyboard.press("Shift+Tab" if backwards else "Tab")
            focused = self.page.evaluate(FOCUSED)
            if not focused["shown"]:
                self.unseen.append(f"{self.page.url}: {focused['what']} {focused['text']!r}")
            if self.page.evaluate("(s) => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"Tab never reached {selector} on {self.page.url}")

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)

    def press(self, *keys: str) -> None:
        for key in keys:
            self.page.keyboard.press(key)


def test_an_owner_registers_a_site_and_camera_with_the_keyboard_only(
    app, client, cli, mailbox, city, browser
):
    home_lat, home_lon = point_of(city, HOME)
    sign_up_and_verify(client, mailbox, EMAIL, "Rosa Delgado")
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.okoro@sfpd.example")
    with serving(app) as base_url:
        desk = browser.new_context(viewport={"width": 1366, "height": 900})
        page = desk.new_page()
        keys = Keyboard(page)

        # Log in.
        page.goto(f"{base_url}/login")
        keys.tab_to("#email")
        keys.type(EMAIL)
        keys.tab_to("#password")
        keys.type(PASSWORD)
        keys.press("Enter")
        page.get_by_role("heading", name="My sites").wait_for()

        # A site by its address: the suggestion chosen with the arrow keys and Enter.
        keys.tab_to("a[href$='/sites/new']")
        keys.press("Enter")
        page.get_by_role("heading", name="Add a site").wait_for()
        keys.tab_to("#label")
        keys.type("Home")
        keys.tab_to("#address")
        keys.type("2128 mision st")
        option = page.get_by_role("option", name=HOME_SHOWN)
        option.wait_for()
        keys.press("ArrowDown")
        assert option.get_attribute("aria-selected") == "true"
        shot(page, "owner-keyboard-01-suggestion-highlighted")
        keys.press("Enter")
        page.get_by_text(f"Address found: {HOME_SHOWN}").wait_for()
        assert page.get_by_label("Latitude").input_value() == f"{home_lat:.6f}"
        keys.tab_to("form button[type=submit]")
        keys.press("Enter")
        page.get_by_text("Your site is registered").wait_for()
        assert page.locator(".site-place").inner_text() == f"{HOME_SHOWN}: placed at this address"

        # A camera, its view turned with the arrow keys on the map's handle.
        keys.tab_to("form[data-view-form] #label")
        keys.type("Porch")
        keys.tab_to("#field_of_view_degrees")
        keys.type("90")
        keys.tab_to("#range_metres")
        keys.type("40")
        keys.tab_to("#retention_days")
        keys.type("14")
        keys.tab_to("#map .view-handle", backwards=True)
        keys.press(*["Shift+ArrowRight"] * 6)  # 15 degrees each, from north
        assert page.get_by_label("Which way does it look?").input_value() == "90"
        assert "looks towards 90 degrees" in page.locator("#map ~ [aria-live]").first.inner_text()
        shot(page, "owner-keyboard-02-view-turned")
        keys.tab_to("form[data-view-form] button[type=submit]")
        keys.press("Enter")
        page.get_by_text("Camera “Porch” added.").wait_for()
        # The page comes back with the focus on its content, where the confirmation is; the
        # next Tab goes on from there.
        page.wait_for_function("document.activeElement === document.getElementById('content')")
        row = page.locator("tr", has_text="Porch").inner_text()
        assert "towards 90°, 90° wide, 40 m" in row and "14 days" in row

        # A second site by the pin: Enter on the focused map puts it at the map's centre, and
        # the arrow keys move the focused pin.
        keys.tab_to("a[href$='/dashboard']")
        keys.press("Enter")
        page.get_by_role("heading", name="My sites").wait_for()
        keys.tab_to("a[href$='/sites/new']")
        keys.press("Enter")
        page.get_by_role("heading", name="Add a site").wait_for()
        keys.tab_to("#label")
        keys.type("Garage")
        keys.tab_to("#pin-map.ready")
        keys.press("Enter")
        latitude = float(page.get_by_label("Latitude").input_value())
        assert SOUTH < latitude < NORTH
        assert WEST < float(page.get_by_label("Longitude").input_value()) < EAST
        keys.tab_to("#pin-map .leaflet-marker-icon")
        keys.press("Shift+ArrowUp")  # 20 m north
        assert float(page.get_by_label("Latitude").input_value()) > latitude
        shot(page, "owner-keyboard-03-pin-placed")
        keys.tab_to("form button[type=submit]")
        keys.press("Enter")
        page.get_by_text("Your site is registered").wait_for()
        assert page.locator(".site-place").inner_text() == "Placed by your pin on the map"

        # A request reaches her; she answers it from the emailed link, with the keyboard.
        incident = Geodesic.WGS84.Direct(home_lat, home_lon, 90, 25)
        canvass_reaches(client, detective, (incident["lat2"], incident["lon2"]))
        page.goto(emailed_link(mailbox, EMAIL, "A request"))
        page.locator(".request-about").wait_for()
        keys.tab_to("input[name=answer]")
        keys.press("ArrowDown", "ArrowDown")  # the third answer, chosen as it is reached
        chosen = page.locator("input[name=answer]:checked")
        assert chosen.get_attribute("value") == "no_footage"
        keys.tab_to("form button[type=submit]")
        keys.press("Enter")
        page.get_by_text("Thank you: your answer is recorded.").wait_for()
        shot(page, "owner-keyboard-04-answered")
        assert not keys.unseen, "focus not visible on:\n" + "\n".join(keys.unseen)
        desk.close()
