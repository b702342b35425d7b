"""The street basemap in a real browser: the public map and a detective's map draw San
Francisco's streets from the service's own PMTiles archive, credit OpenStreetMap, and the
page asks nothing of any machine but the service. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.support.live_server import serving
from tests.support.sign_in import type_code

DETECTIVE = "det.lee@sfpd.example"
CITY_HALL = [37.7793, -122.4193]
# Leaflet keeps no list of its maps: catch each one as it is made, before any page script runs.
CATCH_MAPS = """
window.madeMaps = [];
Object.defineProperty(window, "L", {
  configurable: true,
  get() { return this._leaflet; },
  set(leaflet) {
    this._leaflet = leaflet;
    if (leaflet && leaflet.Map && !leaflet.Map._caught) {
      leaflet.Map._caught = true;
      leaflet.Map.addInitHook(function () { window.madeMaps.push(this); });
    }
  },
});
"""
# Move the page's first map (to the whole city, or to a place at a zoom), wait for its basemap
# to finish drawing, and say what the drawn tiles hold. A move to where the map already is
# loads no tile and so fires no "load": then the tiles drawn are already there.
DRAWN_AFTER = """
([place, zoom]) => new Promise((resolve) => {
  const map = window.madeMaps[0];
  const layer = map.baseLayer;
  const summary = () => {
    const counts = new Map();
    let tiles = 0, pixels = 0;
    for (const tile of map.getContainer().querySelectorAll("canvas.leaflet-tile-loaded")) {
      tiles += 1;
      const data = tile.getContext("2d").getImageData(0, 0, tile.width, tile.height).data;
      for (let i = 0; i < data.length; i += 4 * 7) {
        const colour = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
        counts.set(colour, (counts.get(colour) || 0) + 1);
        pixels += 1;
      }
    }
    resolve({ tiles, colours: counts.size, commonest: Math.max(...counts.values()) / pixels });
  };
  map.once("moveend", () => setTimeout(() => {
    if (layer.isLoading()) { layer.once("load", summary); } else { summary(); }
  }, 0));
  if (place) { map.setView(place, zoom, { animate: false }); } else { CanvassMaps.home(map); }
})
"""


@pytest.fixture(autouse=True)
def basemap_setting(monkeypatch, shared_data):
    """The quick start's basemap, named the way an operator names it."""
    monkeypatch.setenv(
        "CANVASS_MAP_BASEMAP", str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles")
    )


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1000, "height": 700})
        yield context.new_page()
        context.close()
        browser.close()


def drawn_streets(page, name, place=None, zoom=None):
    """The map's basemap as drawn after the move, checked as a person would see it."""
    page.wait_for_load_state("networkidle")  # the page's own script has placed its map
    drawn = page.evaluate(DRAWN_AFTER, [place, zoom])
    assert drawn["tiles"] >= 4, drawn
    assert drawn["colours"] >= 20, f"the map is nearly one colour: {drawn}"
    assert drawn["commonest"] < 0.9, f"the map is mostly one colour: {drawn}"
    credit = page.locator(".leaflet-control-attribution").get_by_text("OpenStreetMap")
    assert credit.is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".leaflet-container").first.screenshot(path=str(ARTIFACTS / f"basemap-{name}.png"))


def test_the_public_and_a_detectives_map_draw_the_city_streets_and_ask_only_the_service(
    app, client, cli, mailbox, page
):
    staff(cli, client, mailbox, "investigator", "SFPD", DETECTIVE)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.add_init_script(CATCH_MAPS)
    with serving(app) as base_url:
        page.goto(f"{base_url}/map")
        drawn_streets(page, "public-city")
        drawn_streets(page, "public-street", CITY_HALL, 17)

        page.goto(f"{base_url}/login")
        page.get_by_label("Email address").fill(DETECTIVE)
        page.get_by_label("Password").fill("a staff passphrase")
        page.get_by_role("button", name="Log in").click()
        type_code(page, app, DETECTIVE)
        page.get_by_role("heading", name="Canvasses").wait_for()
        page.goto(f"{base_url}/canvasses/new")
        drawn_streets(page, "canvass-form-street", CITY_HALL, 16)

    assert any(url.endswith("/assets/basemap.pmtiles") for url in requested)
    elsewhere = [url for url in requested if not url.startswith(f"{base_url}/")]
    assert not elsewhere, f"the pages asked other machines: {elsewhere}"
