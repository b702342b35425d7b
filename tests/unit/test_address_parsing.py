"""Addresses as people type them, taken apart the same way the gazetteer stores them."""

from __future__ import annotations

import pytest

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
    ],
)
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
