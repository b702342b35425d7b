"""Typing an address on the new-site page, in a real browser, with the keyboard alone: the
field offers the city's addresses as a combobox, the one picked is written back and shown,
and the pin goes to it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from registry.address_pages import address_pages
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, sign_up_and_verify
from tests.support.accessibility import check, report
from tests.support.address_points import eas_slice, point_of
from tests.support.live_server import serving

CITY_HALL = "1 Dr Carlton B Goodlett Pl, San Francisco, CA"
# Leaflet keeps no list of its markers: catch each one as it is placed.
CATCH_MARKERS = """
window.placedMarkers = [];
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return this._leaflet; },
  set(leaflet) {
    this._leaflet = leaflet;
    if (leaflet && leaflet.Marker && !leaflet.Marker._caught) {
      leaflet.Marker._caught = true;
      leaflet.Marker.addInitHook(function () { window.placedMarkers.push(this); });
    }
  },
});
"""


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
        yield context.new_page()
        context.close()
        browser.close()


@pytest.fixture
def owner_in_the_city(app, client, cli, mailbox, shared_data, tmp_path):
    """An owner with an account, and the city's address points for a few streets."""
    if "address_pages" not in app.blueprints:  # until create_app registers it
        app.register_blueprint(address_pages)
    path, kept = eas_slice(shared_data, tmp_path)
    assert cli.invoke(args=["geocoder", "import", str(path)]).exit_code == 0
    sign_up_and_verify(client, mailbox)
    return kept


def test_an_owner_picks_a_suggested_address_with_the_keyboard_and_the_pin_goes_there(
    app, page, owner_in_the_city
):
    lat, lon = point_of(owner_in_the_city, "1 DR CARLTON B GOODLETT PL")
    page.add_init_script(CATCH_MARKERS)
    with serving(app) as base_url:
        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(EMAIL)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("Password").press("Enter")
        page.get_by_role("heading", name="My sites").wait_for()
        page.goto(f"{base_url}/sites/new")

        address = page.get_by_role("combobox", name="Street address")
        address.focus()
        address.press_sequentially("1 dr carlton b goodlet pl")  # one letter missing
        option = page.get_by_role("option", name=CITY_HALL)
        option.wait_for()
        assert address.get_attribute("aria-expanded") == "true"
        listbox = page.get_by_role("listbox")
        assert address.get_attribute("aria-controls") == listbox.get_attribute("id")
        page.get_by_role("status").filter(has_text="1 address found.").wait_for()

        address.press("ArrowDown")
        assert address.get_attribute("aria-activedescendant") == option.get_attribute("id")
        assert option.get_attribute("aria-selected") == "true"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "address-suggestions.png"), full_page=True)
        findings, _ = check(page, {"phone": (390, 844)})
        assert not findings, report("new site, suggestions open", page.url, findings)
        address.press("Enter")

        assert address.input_value() == CITY_HALL
        assert address.get_attribute("aria-expanded") == "false"
        assert page.get_by_text(f"Address found: {CITY_HALL}").is_visible()
        assert page.get_by_label("Latitude").input_value() == f"{lat:.6f}"
        assert page.get_by_label("Longitude").input_value() == f"{lon:.6f}"
        pin = page.evaluate(
            "() => window.placedMarkers.map((m) => [m.getLatLng().lat, m.getLatLng().lng])"
        )
        assert pin == [[pytest.approx(lat, abs=1e-6), pytest.approx(lon, abs=1e-6)]]
        page.screenshot(path=str(ARTIFACTS / "address-picked.png"), full_page=True)

        address.press("Escape")
        page.get_by_label("Name of the site").fill("City Hall")
        page.get_by_role("button", name="Register this site").click()
        page.get_by_text("Your site is registered").wait_for()
        assert re.search(r"Dr Carlton B Goodlett", page.content())

        # The page's endpoint refuses bad typing as the API does, with the field named.
        refused = page.request.get(f"{base_url}/addresses/suggest", params={"q": "1 a\x00b"})
        assert refused.status == 422
        assert "U+0000" in refused.json()["errors"]["q"][0]
