"""The offline gazetteer: loaded from OpenAddresses, tolerant in matching, never guessing."""

from __future__ import annotations

import csv

import pytest
from geopy.location import Location

from registry.geocoding import GazetteerGeocoder


@pytest.fixture
def loaded(app, cli, shared_data):
    result = cli.invoke(
        args=["geocoder", "import", str(shared_data / "openaddresses_monterey_county_ca.csv")]
    )
    assert result.exit_code == 0, result.output
    return result.output


def source_points(shared_data, number, street):
    with (shared_data / "openaddresses_monterey_county_ca.csv").open() as file:
        return [
            (float(r["LAT"]), float(r["LON"]))
            for r in csv.DictReader(file)
            if r["NUMBER"] == number and r["STREET"] == street
        ]


@pytest.mark.slow
def test_loading_the_monterey_file_keeps_every_usable_point_and_a_second_run_adds_none(
    app, cli, shared_data, loaded
):
    with (shared_data / "openaddresses_monterey_county_ca.csv").open() as file:
        records = list(csv.DictReader(file))
    usable = {r["HASH"] for r in records if r["NUMBER"] not in ("", "0") and r["STREET"].strip()}
    unusable = sum(1 for r in records if r["NUMBER"] in ("", "0") or not r["STREET"].strip())
    assert f"Added {len(usable):,} addresses" in loaded
    assert f"{unusable:,} rows had no house number" in loaded

    again = cli.invoke(
        args=["geocoder", "import", str(shared_data / "openaddresses_monterey_county_ca.csv")]
    )
    assert "Added 0 addresses" in again.output


@pytest.mark.parametrize(
    "typed",
    [
        "1531 McKinnon Street, Salinas",
        "1531 MCKINNON ST",
        "1531 mckinnon st. #C, Salinas, CA 93906",
        "1531 McKinnon St Apt 99",  # an unknown unit falls back to the building
    ],
)
def test_spelling_variants_of_an_address_find_its_building(app, loaded, shared_data, typed):
    geocoder: GazetteerGeocoder = app.extensions["canvass"].geocoder
    location = geocoder.geocode(typed)
    assert isinstance(location, Location)
    lat, lon = location.latitude, location.longitude
    points = source_points(shared_data, "1531", "MCKINNON STREET")
    assert any(abs(lat - p[0]) < 1e-6 and abs(lon - p[1]) < 1e-6 for p in points)
    assert location.address.startswith("1531 Mckinnon St")


def test_an_unknown_address_gives_nothing_rather_than_a_guess(app, loaded):
    geocoder = app.extensions["canvass"].geocoder
    assert geocoder.geocode("99999 Nowhere Lane, Salinas") is None
    assert geocoder.geocode("the blue house by the park") is None


def test_an_address_in_several_towns_is_ambiguous_until_the_town_is_given(app, loaded, shared_data):
    with (shared_data / "openaddresses_monterey_county_ca.csv").open() as file:
        towns: dict[tuple[str, str], set[str]] = {}
        for r in csv.DictReader(file):
            if r["NUMBER"] not in ("", "0") and r["STREET"]:
                towns.setdefault((r["NUMBER"], r["STREET"]), set()).add(r["CITY"])
    (number, street), cities = next((k, v) for k, v in towns.items() if len(v) > 1)
    geocoder = app.extensions["canvass"].geocoder

    assert geocoder.geocode(f"{number} {street}") is None
    choices = geocoder.geocode(f"{number} {street}", exactly_one=False)
    assert len(choices) >= 2
    city = sorted(cities)[0]
    assert city in geocoder.geocode(f"{number} {street}, {city}").address
