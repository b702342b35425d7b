"""The street basemap over HTTP: the maps read the PMTiles archive a few byte ranges at a time,
get exactly the bytes they ask for, and a map page says where the basemap and the city are."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from service import create_app

ARCHIVE = "sf_basemap_protomaps_z0-14.pmtiles"


@pytest.fixture
def start(tmp_path, monkeypatch):
    """The service with these settings, as create_app is given them."""
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    started = []

    def start_with(**settings):
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'canvass.db'}", **settings})
        started.append(app)
        return app.test_client()

    yield start_with
    for app in started:
        app.extensions["canvass"].close()


@pytest.fixture
def archive(shared_data) -> Path:
    return shared_data / ARCHIVE


@pytest.fixture
def client(start, archive):
    return start(MAP_BASEMAP=str(archive))


@pytest.mark.parametrize(
    ("asked", "first", "last"),
    [
        ("bytes=0-126", 0, 126),  # the header, the first thing a map reads
        ("bytes=1000000-1065535", 1_000_000, 1_065_535),  # a run of tiles
        ("bytes=-100", None, None),  # the last hundred bytes
    ],
)
def test_a_byte_range_of_the_basemap_comes_back_as_exactly_those_bytes(
    client, archive, asked, first, last
):
    whole = archive.read_bytes()
    if first is None:
        first, last = len(whole) - 100, len(whole) - 1

    response = fetched(client, Range=asked)

    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes {first}-{last}/{len(whole)}"
    assert response.data == whole[first : last + 1]


def test_the_whole_basemap_is_served_cached_with_ranges_offered(client, archive):
    response = fetched(client)

    assert response.status_code == 200
    assert response.data == archive.read_bytes()
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == "application/vnd.pmtiles"
    assert "max-age=86400" in response.headers["Cache-Control"]
    again = fetched(client, **{"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("asked", ["bytes=99999999-", "bytes=5000000-5000100"])
def test_a_range_past_the_end_of_the_basemap_is_refused_as_unsatisfiable(client, archive, asked):
    response = fetched(client, Range=asked)

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{archive.stat().st_size}"


def test_without_a_basemap_there_is_none_to_fetch_and_maps_keep_a_plain_background(start):
    client = start()

    assert fetched(client).status_code == 404
    assert map_settings(client)["basemap"] is None
    assert "protomaps-leaflet.js" not in fetched(client, "/map").text


def test_a_basemap_removed_after_start_up_leaves_plain_maps_not_errors(start, archive, tmp_path):
    copy = tmp_path / "city.pmtiles"
    copy.write_bytes(archive.read_bytes())
    client = start(MAP_BASEMAP=str(copy))
    copy.unlink()

    assert map_settings(client)["basemap"] is None
    assert fetched(client).status_code == 404


def test_a_map_page_names_the_basemap_the_city_and_the_credit_its_data_asks_for(client):
    settings = map_settings(client)

    assert settings["basemap"] == "/assets/basemap.pmtiles"
    assert settings["bounds"] == [[37.7, -122.52], [37.83, -122.35]]
    assert settings["max_data_zoom"] == 14
    assert "© OpenStreetMap contributors" in settings["attribution"]
    assert fetched(client, "/assets/protomaps-leaflet/protomaps-leaflet.js").status_code == 200


def test_the_citys_own_tile_server_wins_over_the_basemap(start, archive):
    tiles = "https://tiles.city.example/{z}/{x}/{y}.png"
    client = start(MAP_BASEMAP=str(archive), MAP_TILE_URL=tiles, MAP_TILE_ATTRIBUTION="City GIS")

    settings = map_settings(client)

    assert settings["tiles"] == tiles and settings["attribution"] == "City GIS"
    assert settings["basemap"] is None
    assert settings["bounds"] == [[37.7, -122.52], [37.83, -122.35]]  # still the whole city


def fetched(client, path="/assets/basemap.pmtiles", **headers):
    """The response, read whole and its file closed (as a browser's connection would end)."""
    with client.get(path, headers=headers) as response:
        response.get_data()
        return response


def map_settings(client) -> dict:
    page = client.get("/map")
    assert page.status_code == 200
    found = re.search(
        r'<script type="application/json" id="map-settings">(.*?)</script>', page.text, re.S
    )
    assert found, "the public map page carries no map settings"
    return json.loads(found.group(1))
