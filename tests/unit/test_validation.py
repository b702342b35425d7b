"""The shared field types refuse what storage cannot hold and say why in plain words."""

from __future__ import annotations

import re

import pytest
from marshmallow import Schema, ValidationError

from registry import commands as c
from registry.decider import RegistryPolicy, SiteState, decide
from registry.errors import InvalidSite
from validation.fields import (
    LARGEST_EXACT_INTEGER,
    Day,
    Moment,
    Number,
    Text,
    WholeNumber,
)
from validation.text import allowed_pattern, refused_character


class Sample(Schema):
    label = Text(20, 1)
    note = Text(50, single_line=False)
    days = WholeNumber(1, 365, "From 1 to 365 days.")
    strict_days = WholeNumber(1, 365, "From 1 to 365 days.", strict=True)
    metres = Number(1, 500, "From 1 to 500 metres.")
    at = Moment()
    on = Day()


def problem(field: str, value: object) -> list[str]:
    with pytest.raises(ValidationError) as refused:
        Sample().load({field: value})
    return refused.value.messages[field]  # type: ignore[index, return-value]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("label", "a\x00b"),
        ("label", "line\nbreak"),
        ("label", "tab\there"),
        ("label", "reversed \u202e text"),
        ("label", "isolated \u2066 text"),
        ("label", "\ud800 lone surrogate"),
        ("note", "a\x00b"),
        ("note", "bell\x07"),
        ("note", "\x1b[31m red"),
    ],
)
def test_text_with_a_control_character_is_refused_naming_it(field, value):
    [message] = problem(field, value)
    assert "control character U+" in message


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        ("  Home  ", "Home"),
        ("Cafe\u0301", "Caf\u00e9"),
        ("\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"),  # right-to-left script is fine
    ],
)
def test_a_label_is_trimmed_and_stored_in_one_unicode_form(value, kept):
    assert Sample().load({"label": value})["label"] == kept


def test_free_text_keeps_its_newlines_and_tabs():
    note = "First line\n\tindented\r\nlast"
    assert Sample().load({"note": note})["note"] == note


@pytest.mark.parametrize("value", ["", "   ", "x" * 21])
def test_a_label_out_of_length_says_how_long_it_may_be(value):
    assert problem("label", value) == ["Use 1 to 20 characters."]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**30, "From 1 to 365 days."),
        (-(10**30), "From 1 to 365 days."),
        ("1" + "0" * 30, "From 1 to 365 days."),
        ("9" * 5000, "Give a whole number."),
        (7.5, "Give a whole number."),
        (True, "Give a whole number."),
        ("seven", "Give a whole number."),
    ],
)
def test_a_whole_number_out_of_bounds_or_not_whole_is_refused(value, message):
    assert problem("days", value) == [message]


def test_a_whole_number_may_be_typed_in_a_query_but_not_sent_as_text_in_json():
    assert Sample().load({"days": "14"})["days"] == 14
    assert problem("strict_days", "14") == ["Give a whole number."]


def test_no_whole_number_may_be_bounded_beyond_what_the_log_holds_exactly():
    with pytest.raises(ValueError):
        WholeNumber(0, LARGEST_EXACT_INTEGER + 1, "")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (10**400, "Enter an ordinary number."),
        ("1e400", "Enter an ordinary number."),
        ("nan", "Enter an ordinary number."),
        (True, "Enter a number."),
        (501, "From 1 to 500 metres."),
    ],
)
def test_a_number_must_be_ordinary_and_in_range(value, message):
    assert problem("metres", value) == [message]


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
        "1969-12-31T23:59:59Z",
        "9999-01-01T00:00:00Z",
    ],
)
def test_a_time_beyond_the_years_the_service_represents_is_refused(value):
    assert problem("at", value) == ["Give a time from the year 1970 to the year 9998."]


def test_a_time_needs_its_time_zone():
    assert problem("at", "2026-11-20T21:30:00") == ["Include the time zone, like -08:00 or Z."]
    assert Sample().load({"at": "1970-01-01T00:00:00Z"})["at"].year == 1970


@pytest.mark.parametrize("value", ["0001-01-01", "9999-12-31"])
def test_a_date_beyond_the_years_the_service_represents_is_refused(value):
    assert problem("on", value) == ["Give a date from the year 1970 to the year 9998."]


@pytest.mark.parametrize(
    ("changes", "field"),
    [({"label": "Shop\x00"}, "label"), ({"address": "1 Main St\u202e"}, "address")],
)
def test_the_registry_refuses_control_characters_from_any_source_not_only_the_api(changes, field):
    command = c.RegisterSite(
        **{"site_id": "s1", "owner_id": "o1", "kind": "business", "label": "Shop",
           "address": None, "latitude": 37.76, "longitude": -122.42, "location_source": "import"}
        | changes
    )  # fmt: skip
    with pytest.raises(InvalidSite) as refused:
        decide(command, SiteState(), RegistryPolicy())
    assert list(refused.value.errors) == [field]


@pytest.mark.parametrize("single_line", [True, False])
def test_the_api_documents_exactly_the_characters_text_may_hold(single_line):
    pattern = re.compile(allowed_pattern(single_line, non_blank=False))
    for code in range(0x10000):
        if 0xD800 <= code <= 0xDFFF:
            continue  # lone surrogates: refused, but not something JSON text can carry
        character = chr(code)
        refused = refused_character(character, single_line) is not None
        assert (pattern.fullmatch(character) is None) == refused, hex(code)


def test_the_api_documents_that_trimmed_text_needs_something_besides_white_space():
    pattern = re.compile(allowed_pattern(True, non_blank=True))
    assert pattern.fullmatch(" Home ") and not pattern.fullmatch("   ")
    assert Sample().fields["label"].metadata["pattern"] == pattern.pattern
