"""The offline gazetteer: loaded from OpenAddresses, tolerant in matching, never guessing."""

from __future__ import annotations

import csv

import pytest
from geopy.location import Location

from registry.geocoding import GazetteerGeocoder
from tests.support.address_points import eas_slice, point_of


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


# --- San Francisco's address points (the city's EAS export) --------------------------------


def at(location, point):
    return abs(location.latitude - point[0]) < 1e-6 and abs(location.longitude - point[1]) < 1e-6


@pytest.fixture
def san_francisco(app, cli, shared_data, tmp_path):
    path, kept = eas_slice(shared_data, tmp_path)
    result = cli.invoke(args=["geocoder", "import", str(path)])
    assert result.exit_code == 0, result.output
    return kept


@pytest.mark.slow
def test_the_city_file_loads_every_point_and_a_second_run_adds_none(
    app, cli, backend, shared_data, tmp_path
):
    path, kept = eas_slice(shared_data, tmp_path, every=4 if backend == "sqlite" else 0)
    usable = {(r["address"], r["lon"], r["lat"]) for r in kept if r["number"] not in ("", "0")}

    first = cli.invoke(args=["geocoder", "import", str(path)])
    again = cli.invoke(args=["geocoder", "import", str(path)])

    assert f"Added {len(usable):,} addresses" in first.output, first.output
    assert f"Added 0 addresses; {len(usable):,} were already loaded" in again.output
    geocoder = app.extensions["canvass"].geocoder
    city_hall = geocoder.geocode("1 Dr Carlton B Goodlett Pl")
    assert city_hall.address == "1 Dr Carlton B Goodlett Pl, San Francisco, CA"
    assert at(city_hall, point_of(kept, "1 DR CARLTON B GOODLETT PL"))


# What people type, and the address in the city's file they mean.
TYPED_SF = [
    ("1 dr carlton b goodlett pl", "1 DR CARLTON B GOODLETT PL"),
    ("1 Doctor Carlton B. Goodlett Place, San Francisco, CA 94102", "1 DR CARLTON B GOODLETT PL"),
    ("1 dr carlton b goodlet pl", "1 DR CARLTON B GOODLETT PL"),  # one letter missing
    ("1021 Misson St", "1021 MISSION ST"),  # one letter missing
    ("1021 mision street sf", "1021 MISSION ST"),  # two wrong, the town by its nickname
    ("1021 MISSION", "1021 MISSION ST"),  # no kind of street
    ("1021 Mission Street San Francisco CA", "1021 MISSION ST"),  # no commas
    ("1021 Mission St Apt 4, San Fransisco", "1021 MISSION ST"),  # a unit, a misspelt town
    ("1021A Mission St", "1021 A MISSION ST"),  # the number's suffix
    ("1021 A Mission St", "1021 A MISSION ST"),
    ("3309 1/2 Mission St", "3309 ½ MISSION ST"),
    ("2635 42nd Avenue", "2635 42ND AVE"),
    ("2635 Forty-Second Ave", "2635 42ND AVE"),
    ("2635 42 ave", "2635 42ND AVE"),
    ("3144 STEINER ST #4", "3144 STEINER ST"),
]


def test_addresses_typed_the_ways_people_type_them_find_the_citys_point(app, san_francisco):
    geocoder = app.extensions["canvass"].geocoder
    missed = []
    for typed, meant in TYPED_SF:
        found = geocoder.geocode(typed)
        if found is None or not at(found, point_of(san_francisco, meant)):
            missed.append((typed, found and found.address))
    assert missed == []
    assert geocoder.geocode("151 3rd St").address == "151 3rd St, San Francisco, CA"
    assert geocoder.geocode("151 third street").address == "151 3rd St, San Francisco, CA"


def test_a_number_the_street_lacks_finds_nothing_but_suggests_its_nearest_numbers(
    app, san_francisco
):
    on_mission = sorted(int(r["number"]) for r in san_francisco if r["street"] == "MISSION ST")
    missing = next(n for n in range(1001, 3000) if n not in on_mission)
    geocoder = app.extensions["canvass"].geocoder

    assert geocoder.geocode(f"{missing} Mission St") is None
    suggested = geocoder.suggestions(f"{missing} Mission St")

    nearest = sorted(set(on_mission), key=lambda n: (abs(n - missing), n))[: len(suggested)]
    assert [int(s["address"].split()[0]) for s in suggested] == nearest
    assert len(suggested) == 8 and not any(s["exact"] for s in suggested)


def test_an_address_in_two_places_of_the_city_is_offered_as_both(app, san_francisco):
    geocoder = app.extensions["canvass"].geocoder
    assert geocoder.geocode("100 Montgomery St") is None
    both = geocoder.geocode("100 Montgomery St", exactly_one=False)
    assert len(both) == 2  # downtown, and the Presidio's Montgomery Street


def test_an_address_close_to_nothing_known_finds_nothing(app, san_francisco):
    geocoder = app.extensions["canvass"].geocoder
    for typed in (
        "1021 Zzyzx St",  # close to no street
        "1 Dr Carlton B Goodlett Pl, Oakland",  # a town the gazetteer does not hold
        "1021 Mission St Paris",
        "Dr Carlton B Goodlett Pl",  # no number
    ):
        assert geocoder.geocode(typed, exactly_one=False) is None, typed
