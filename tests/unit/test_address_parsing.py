"""Addresses as people type them, taken apart the same way the gazetteer stores them."""

from __future__ import annotations

import pytest

from registry.address_parsing import street_title
from registry.address_streets import StreetIndex
from registry.geocoding import normalize_street, parse_address


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("McKinnon Street", "MCKINNON ST"),
        ("MCKINNON ST.", "MCKINNON ST"),
        ("North Pearl Street", "N PEARL ST"),
        ("N. Pearl St", "N PEARL ST"),
        ("Seventh Avenue", "7TH AVE"),
        ("Del Monte Boulevard", "DEL MONTE BLVD"),
        # San Francisco's file pads numbered streets; people write them every way
        ("03RD ST", "3RD ST"),
        ("3rd Street", "3RD ST"),
        ("Third St", "3RD ST"),
        ("42ND AVE", "42ND AVE"),
        ("42 Ave", "42ND AVE"),
        ("Forty-Second Avenue", "42ND AVE"),
        ("Twenty Third St", "23RD ST"),
        ("11th ave", "11TH AVE"),
        ("Dr. Carlton B. Goodlett Place", "DR CARLTON B GOODLETT PL"),
        ("Doctor Carlton B Goodlett Pl", "DR CARLTON B GOODLETT PL"),
        ("North Point Street", "N POINT ST"),
        ("NORTH POINT ST", "N POINT ST"),
    ],
)
def test_street_names_compare_equal_whatever_the_spelling(typed, stored):
    assert normalize_street(typed) == stored


@pytest.mark.parametrize(
    ("typed", "number", "street", "unit", "city", "postcode"),
    [
        ("1531 McKinnon St", "1531", "MCKINNON ST", "", "", ""),
        ("1531 McKinnon St #C, Salinas", "1531", "MCKINNON ST", "C", "SALINAS", ""),
        (
            "1531 McKinnon Street Apt C, Salinas, CA 93906",
            "1531",
            "MCKINNON ST",
            "C",
            "SALINAS",
            "93906",
        ),
        ("15510 Fenkell St - BP", "15510", "FENKELL ST", "", "", ""),
        ("200 Main St Suite 4, Monterey, 93940-1234", "200", "MAIN ST", "4", "MONTEREY", "93940"),
        ("5026A Mission St", "5026A", "MISSION ST", "", "", ""),
        ("5026 A Mission St", "5026A", "MISSION ST", "", "", ""),
        ("5026-a mission st", "5026A", "MISSION ST", "", "", ""),
        ("3309 1/2 Mission St", "3309½", "MISSION ST", "", "", ""),
        ("3309½ Mission St", "3309½", "MISSION ST", "", "", ""),
        ("1 N Point St", "1", "N POINT ST", "", "", ""),  # a direction, not a suffix
        # without commas the town stays with the street until the gazetteer splits it off
        ("3144 Steiner St Apt 4 San Francisco CA 94115", "3144", "STEINER ST SAN FRANCISCO",
         "4", "", "94115"),
        ("1 Dr Carlton B Goodlett Pl, San Francisco CA 94102", "1",
         "DR CARLTON B GOODLETT PL", "", "SAN FRANCISCO", "94102"),
    ],
)  # fmt: skip
def test_an_address_is_taken_apart_into_number_street_unit_city_and_postcode(
    typed, number, street, unit, city, postcode
):
    parsed = parse_address(typed)
    assert parsed is not None
    assert (parsed.number, parsed.street, parsed.unit, parsed.city, parsed.postcode) == (
        number,
        street,
        unit,
        city,
        postcode,
    )


@pytest.mark.parametrize("typed", ["", "McKinnon Street", ", Salinas", "near the park"])
def test_text_without_a_house_number_is_not_an_address(typed):
    assert parse_address(typed) is None


def test_a_street_is_written_back_in_title_case_with_its_ordinal_in_lower_case():
    assert street_title("DR CARLTON B GOODLETT PL") == "Dr Carlton B Goodlett Pl"
    assert street_title("3RD ST") == "3rd St"


# A few of San Francisco's streets, as the gazetteer stores them.
CITY = StreetIndex(
    ["MISSION ST", "MASON ST", "MASONIC AVE", "DR CARLTON B GOODLETT PL", "3RD ST", "23RD ST",
     "BUSH ST", "RUSS ST", "HAYES ST", "HAYS ST", "N POINT ST"],
    ["San Francisco"],
)  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "streets", "rest"),
    [
        ("MISSION ST", ["MISSION ST"], ""),
        ("MISSION", ["MISSION ST"], ""),  # the kind of street left out
        ("MISSION AVE", ["MISSION ST"], ""),  # the wrong kind
        ("MISSON ST", ["MISSION ST"], ""),  # a letter missing
        ("MISION STRET", [], "MISION STRET"),  # STRET is no kind of street: too far
        ("MASSONIK AVE", ["MASONIC AVE"], ""),  # two letters wrong in a longer name
        ("MISSION ST SAN FRANCISCO", ["MISSION ST"], "SAN FRANCISCO"),
        ("MISSION ST SAN FRANSISCO", ["MISSION ST"], "SAN FRANSISCO"),
        ("MASON ST", ["MASON ST"], ""),  # a real street is never taken for a near one
        ("HAYS ST", ["HAYS ST"], ""),
        ("3RD ST", ["3RD ST"], ""),
        ("BUSS ST", ["BUSH ST", "RUSS ST"], ""),  # as close to two: both, for the person
        ("DR CARLTON B GOODLET PL", ["DR CARLTON B GOODLETT PL"], ""),
        ("ZZYZX ST", [], "ZZYZX ST"),
        ("MISSION ST PARIS", [], "MISSION ST PARIS"),  # a town unknown here
        ("ST", [], "ST"),
    ],
)
def test_the_street_a_person_meant_is_found_among_the_known_ones(typed, streets, rest):
    match = CITY.resolve(typed)
    assert (match.streets, match.rest) == (streets, rest)


def test_while_typing_the_streets_that_start_with_the_words_so_far_are_offered():
    assert CITY.completions("DR CARL") == ["DR CARLTON B GOODLETT PL"]
    assert CITY.completions("MAS") == ["MASON ST", "MASONIC AVE"]
    assert CITY.completions("MISSION")[0] == "MISSION ST"


@pytest.mark.parametrize(
    ("typed", "town"),
    [("SAN FRANCISCO", "San Francisco"), ("SF", "San Francisco"),
     ("SAN FRANSISCO", "San Francisco"), ("OAKLAND", None), ("SFO", None)],
)  # fmt: skip
def test_a_town_is_known_by_its_name_its_nickname_or_a_near_spelling(typed, town):
    assert CITY.town(typed) == town


def test_digits_that_are_not_decimal_stay_words_and_other_scripts_digits_are_numbers():
    assert normalize_street("² St") == "² ST"
    assert parse_address("١٢ Mission St").number == "12"
