"""A detective at a desk places the incident by address and by click, opens a circle canvass
and logs a door knock from its map; a canvass that finds no camera says so before anything is
sent. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv
import re
from datetime import timedelta

from registry.geodesy import Point, distance_m
from tests.e2e.test_canvass_browser import DETECTIVE, browser, live_server  # noqa: F401
from tests.e2e.test_owner_browser import ARTIFACTS, pytestmark  # noqa: F401
from tests.support.sign_in import next_code, type_code

SALINAS = "1531 McKinnon St, Salinas"


def gazetteer_near(cli, shared_data, tmp_path, incident):
    """The gazetteer holds the San Francisco address nearest the incident, and one address in
    Salinas, far from every camera; returns the San Francisco address as people type it."""
    with (shared_data / "sf_eas_addresses.csv").open() as file:
        nearest = min(  # degrees as a plane: a few hundred metres across, close enough
            csv.DictReader(file),
            key=lambda row: (
                (float(row["lat"]) - incident[0]) ** 2
                + ((float(row["lon"]) - incident[1]) * 0.79) ** 2
            ),
        )
    rows = tmp_path / "addresses.csv"
    rows.write_text(
        "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE,ID,HASH\n"
        "-121.6461331,36.7082169,1531,MCKINNON STREET,,Salinas,,,93906,,46a6ea62641c0d1c\n"
        f"{nearest['lon']},{nearest['lat']},{nearest['number']},{nearest['street']},,"
        "San Francisco,,,,,sf-nearest\n"
    )
    assert cli.invoke(args=["geocoder", "import", str(rows)]).exit_code == 0
    return f"{nearest['number']} {nearest['street']}, San Francisco"


def log_in(page, base, app):
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(DETECTIVE)
    page.get_by_label("Password").fill("a staff passphrase")
    page.get_by_role("button", name="Log in").click()
    type_code(page, app, DETECTIVE)
    page.get_by_role("heading", name="Canvasses").wait_for()


def fill_the_rest(page, case_number, category, at):
    page.get_by_label("Case number").fill(case_number)
    page.get_by_label("What happened").select_option(category)
    page.get_by_label("From", exact=True).fill(f"{at - timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    page.get_by_label("Until", exact=True).fill(f"{at + timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    page.get_by_label("Why footage from this area may help").fill(
        "The suspect left on foot; cameras on the likely routes may show which way."
    )
    page.get_by_label("The owner's consent").check()


def test_the_last_placing_wins_and_a_circle_canvass_maps_and_logs_a_visit(
    app,
    live_server,  # noqa: F811
    browser,  # noqa: F811
    cli,
    shared_data,
    tmp_path,
):
    base, incident, at, category, _ = live_server
    near_incident = gazetteer_near(cli, shared_data, tmp_path, incident)
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, base, app)
    page.get_by_role("link", name="Open a canvass").click()
    page.locator("#canvass-map.ready").wait_for()  # the form's script has taken over Enter

    def note_says(text):
        page.locator("#incident-note", has_text=text).wait_for()

    # The typed address is found and shown on the map, written back as the address found.
    page.get_by_label("Address where it happened").fill(SALINAS)
    page.get_by_label("Address where it happened").press("Enter")
    note_says("The incident is at 1531 Mckinnon St, Salinas")
    assert page.get_by_label("Latitude").input_value().startswith("36.708")
    assert page.locator("#canvass-map .leaflet-marker-icon").count() == 1

    # A click afterwards moves the pin, and the page says the typed address gave way.
    page.locator("#canvass-map").scroll_into_view_if_needed()
    box = page.locator("#canvass-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 150, box["y"] + box["height"] / 2)
    note_says("moved from the address you typed to the place you clicked")
    assert page.get_by_label("Address where it happened").input_value() != SALINAS
    clicked = float(page.get_by_label("Longitude").input_value())
    assert clicked > -121.6461331

    # Typing the real address afterwards wins again: the pin goes to San Francisco.
    page.get_by_label("Address where it happened").fill(near_incident)
    page.get_by_role("button", name="Find the address").click()
    note_says("(the address found)")
    latitude = float(page.get_by_label("Latitude").input_value())
    longitude = float(page.get_by_label("Longitude").input_value())
    assert distance_m(Point(latitude, longitude), Point(*incident)) < 60
    page.get_by_label("Radius in metres").fill("250")
    fill_the_rest(page, "181-004513", category, at)
    page.get_by_role("button", name="Open and submit the canvass").click()

    # The circle canvass's map draws, and a click on it fills the visit form.
    page.get_by_role("heading", name=re.compile("Case 181-004513")).wait_for()
    page.locator("#canvass-map.ready").wait_for()
    count = page.locator("tr.candidate").count()
    assert count >= 3
    assert page.locator("#canvass-map path.leaflet-interactive").count() >= count + 1
    page.screenshot(path=str(ARTIFACTS / "investigator-circle-canvass.png"), full_page=True)

    # An empty visit form: each message beside its field, the typing kept, the focus on the
    # first field to fix.
    page.get_by_label("Note").fill("Side door, knocked twice.")
    page.get_by_role("button", name="Log the visit").click()
    page.get_by_text("The visit was not logged").wait_for()
    address = page.locator("#visit-form #address")
    assert address.get_attribute("aria-invalid") == "true"
    assert "Click the map at the door" in page.locator("#address-error").inner_text()
    assert "Choose what you found at the door." in page.locator("#result-error").inner_text()
    assert page.get_by_label("Note").input_value() == "Side door, knocked twice."
    assert page.evaluate("document.activeElement.id") == "address"
    assert page.get_by_text("This field cannot be empty.").count() == 0
    page.screenshot(path=str(ARTIFACTS / "investigator-visit-form-errors.png"), full_page=True)

    page.locator("#canvass-map").scroll_into_view_if_needed()
    box = page.locator("#canvass-map").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2 + 40)
    page.locator("#visit-map-note", has_text="The visit form has the door you clicked").wait_for()
    assert page.locator("#visit-form").get_by_label("Latitude").input_value().startswith("37.")
    page.get_by_label("Nobody answered").check()
    page.get_by_role("button", name="Log the visit").click()
    page.get_by_text("The visit is logged.").wait_for()
    assert "Side door" not in page.locator("#visit-form").inner_text()
    page.locator("#canvass-map.ready").wait_for()

    # A canvass around the Salinas address finds no camera, and says so before sending.
    page.goto(f"{base}/canvasses/new")
    page.get_by_label("Address where it happened").fill(SALINAS)
    page.get_by_label("Address where it happened").press("Enter")
    note_says("(the address found)")
    fill_the_rest(page, "181-004514", category, at)
    page.get_by_role("button", name="Open and submit the canvass").click()
    page.get_by_role("heading", name=re.compile("Case 181-004514")).wait_for()
    page.locator("#canvass-map.ready").wait_for()
    page.get_by_text("No registered camera is in this area").wait_for()
    assert page.get_by_role("button", name=re.compile("Send the requests")).count() == 0
    page.screenshot(path=str(ARTIFACTS / "investigator-canvass-no-cameras.png"), full_page=True)
    assert errors == []


def test_a_polygon_canvass_opened_by_keyboard_alone_on_a_phone(
    app,
    live_server,  # noqa: F811
    browser,  # noqa: F811
):
    base, incident, at, category, _ = live_server
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email address").fill(DETECTIVE)
    page.get_by_label("Password").fill("a staff passphrase")
    page.get_by_label("Password").press("Enter")
    page.get_by_label("Code", exact=True).fill(next_code(app, DETECTIVE))
    page.get_by_label("Code", exact=True).press("Enter")
    page.get_by_role("heading", name="Canvasses").wait_for()
    page.goto(f"{base}/canvasses/new")

    def press(locator, key):
        locator.focus()
        page.keyboard.press(key)

    page.get_by_label("Case number").fill("181-004515")
    page.get_by_label("What happened").select_option(category)
    page.get_by_label("Latitude").fill(f"{incident[0]:.6f}")
    page.get_by_label("Longitude").fill(f"{incident[1]:.6f}")
    press(page.get_by_label("An area I draw on the map"), "Space")
    lat, lon = incident
    corners = [(lat + 0.0012, lon - 0.0015), (lat + 0.0012, lon + 0.0015),
               (lat - 0.0012, lon + 0.0015), (lat - 0.0012, lon - 0.0015)]  # fmt: skip
    page.get_by_label("Corners of the area, one a line").fill(
        "\n".join(f"{a:.6f}, {b:.6f}" for a, b in corners)
    )
    assert not page.get_by_label("Radius in metres").is_visible()
    page.get_by_label("From", exact=True).fill(f"{at - timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    page.get_by_label("Until", exact=True).fill(f"{at + timedelta(minutes=15):%Y-%m-%dT%H:%M}")
    page.get_by_label("Why footage from this area may help").fill(
        "The suspect left on foot; cameras on the likely routes may show which way."
    )
    press(page.get_by_label("The owner's consent"), "Space")
    page.locator("#policy-feedback", has_text="Within your agency's limits").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "investigator-canvass-form-phone.png"), full_page=True)
    press(page.get_by_role("button", name="Open and submit the canvass"), "Enter")

    page.get_by_role("heading", name=re.compile("Case 181-004515")).wait_for()
    page.locator("#canvass-map.ready").wait_for()
    assert page.locator("tr.candidate").count() >= 1
    assert page.locator("#canvass-map path.leaflet-interactive").count() >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(ARTIFACTS / "investigator-canvass-page-phone.png"), full_page=True)
