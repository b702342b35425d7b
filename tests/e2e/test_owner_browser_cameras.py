"""An owner on a phone places a site's pin on the city's map by click, typed coordinates and
the keyboard, adds a camera and sees it confirmed, and changes its view by dragging the
handle at the fan's edge, by typing degrees and with the arrow keys, in a real browser."""

from __future__ import annotations

import re

from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, sign_up_and_verify
from tests.support import accessibility
from tests.support.live_server import serving

# San Francisco, as the service area: the pin map opens on it, not on the whole country.
SOUTH, WEST, NORTH, EAST = 37.70, -122.52, 37.83, -122.35
CITY = {
    "type": "Polygon",
    "coordinates": [[[WEST, SOUTH], [EAST, SOUTH], [EAST, NORTH], [WEST, NORTH], [WEST, SOUTH]]],
}


def centre_of(box):
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (red, green, blue)
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_an_owner_places_a_pin_and_turns_a_cameras_view_on_a_phone(app, client, mailbox):
    sign_up_and_verify(client, mailbox, EMAIL)
    app.config["SERVICE_AREA"] = CITY
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    with serving(app) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        phone = browser.new_context(viewport={"width": 390, "height": 844})
        page = phone.new_page()
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="My sites").wait_for()

        # The pin map opens on the city: a tap in its middle lands in San Francisco.
        page.goto(f"{base_url}/sites/new")
        pin_map = page.locator("#pin-map.ready")
        pin_map.wait_for()
        pin_map.click(position={"x": 150, "y": 100})
        latitude, longitude = page.locator("#latitude"), page.locator("#longitude")
        assert SOUTH < float(latitude.input_value()) < NORTH
        assert WEST < float(longitude.input_value()) < EAST

        # Typed coordinates move the pin, and the map to it.
        latitude.fill("37.761400")
        longitude.fill("-122.424100")
        longitude.press("Tab")
        pin = page.locator("#pin-map .leaflet-marker-icon")
        map_centre = centre_of(pin_map.bounding_box())
        pin_tip = centre_of(pin.bounding_box())
        assert abs(pin_tip[0] - map_centre[0]) < 20 and abs(pin_tip[1] - map_centre[1]) < 60

        # With the keyboard: Enter on the focused map puts the pin at its centre; the arrow
        # keys move the focused pin, and each position is announced.
        pin_map.focus()
        panes = "#pin-map .leaflet-map-pane"
        before = page.locator(panes).evaluate("pane => pane.style.transform")
        page.keyboard.press("ArrowLeft")
        # Enter once the map has panned, as a person sees it move before pressing it.
        page.wait_for_function(
            """([selector, before]) => {
              const pane = document.querySelector(selector);
              const container = pane.closest(".leaflet-container");
              return pane.style.transform !== before
                && !container.classList.contains("leaflet-pan-anim");
            }""",
            arg=[panes, before],
        )
        page.keyboard.press("Enter")
        moved_to = float(longitude.input_value())
        assert moved_to < -122.4241
        pin.focus()
        page.keyboard.press("ArrowUp")
        assert float(latitude.input_value()) > 37.7614
        announced = page.locator("#pin-map ~ [aria-live]").first.inner_text()
        assert f"latitude {latitude.input_value()}" in announced
        page.get_by_label("Name of the site").fill("Home")
        page.get_by_role("button", name="Register this site").click()
        page.get_by_text("Your site is registered").wait_for()

        # After "Add camera", the phone shows the confirmation, not an emptied form.
        page.get_by_label("Name", exact=True).fill("Front door")
        page.get_by_label("Which way does it look?").fill("180")
        page.get_by_label("How wide does it see?").fill("90")
        page.get_by_label("How far does it see?").fill("30")
        page.get_by_label("How many days does your recorder keep footage?").fill("14")
        page.get_by_role("button", name="Add camera").click()
        added = page.get_by_text("Camera “Front door” added.")
        added.wait_for()
        box = added.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= 844
        page.screenshot(path=str(ARTIFACTS / "owner-camera-added-phone.png"))

        # The Remove button can be read: its text stands out from its background.
        remove = page.get_by_role("button", name="Remove Front door")
        colour, background = remove.evaluate(
            "b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]"
        )
        assert "rgba(0, 0, 0, 0)" not in background
        assert contrast(colour, background) >= 4.5

        # Change the camera: drag the handle at the fan's edge to the east of the site.
        page.get_by_role("link", name="Change Front door").click()
        page.get_by_role("heading", name="Change the camera").wait_for()
        page.locator("#map.ready").wait_for()
        site_dot = next(
            box
            for box in (p.bounding_box() for p in page.locator("#map path").all())
            if box and box["width"] < 20
        )
        site_x, site_y = centre_of(site_dot)
        handle = page.locator("#map .view-handle")
        start = centre_of(handle.bounding_box())
        assert start[1] > site_y  # looks south: the handle is below the site
        page.mouse.move(*start)
        page.mouse.down()
        page.mouse.move(site_x + 40, site_y + 20, steps=5)
        page.mouse.move(site_x + 60, site_y, steps=5)
        page.mouse.up()
        bearing = page.get_by_label("Which way does it look?")
        assert 80 <= float(bearing.input_value()) <= 100
        assert "looks towards" in page.locator("#map ~ [aria-live]").first.inner_text()
        handle_now = centre_of(handle.bounding_box())
        assert handle_now[0] > site_x + 10 and abs(handle_now[1] - site_y) < 15
        page.screenshot(path=str(ARTIFACTS / "owner-camera-view-dragged.png"), full_page=True)
        if accessibility.AXE.exists():  # installed by scripts/test with npm
            findings, _ = accessibility.check(page, {"phone": (390, 844)})
            assert not findings, "\n".join(str(finding) for finding in findings)

        # Typing degrees turns the view on the map too; the arrow keys turn the handle.
        bearing.fill("270")
        bearing.press("Tab")
        assert centre_of(handle.bounding_box())[0] < site_x - 10
        handle.focus()
        page.keyboard.press("ArrowRight")
        assert bearing.input_value() == "275"
        page.get_by_label("How many days does your recorder keep footage?").fill("30")
        page.get_by_role("button", name="Save the camera").click()
        page.get_by_text("Camera “Front door” saved.").wait_for()
        row = page.locator("tr", has_text="Front door").inner_text()
        assert "towards 275°" in row and "30 days" in row
        phone.close()
        browser.close()
