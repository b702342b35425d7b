"""Hypothesis strategies for hostile input: the text, numbers, times and shapes attackers send."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

# Characters that break storage, display or comparison somewhere: NUL and other controls,
# bidirectional overrides and isolates, invisible and byte-order marks, a lone surrogate
# (JSON lets it through as an escape), combining marks, and the last code points.
DANGEROUS_CHARACTERS = (
    "\x00",
    "\x01",
    "\x07",
    "\x08",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x7f",
    "\x85",
    "\x9f",
    "\t",
    "\n",
    "\r",
    "\u2028",
    "\u2029",
    "\u202a",
    "\u202b",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200b",
    "\u200d",
    "\u200e",
    "\u200f",
    "\ufeff",
    "\ufffd",
    "\ufffe",
    "\uffff",
    "\ud800",
    "\udfff",
    "\u0301",
    "\u0308",
    "\U0010ffff",
    "\U0001f600",
)


def hostile_characters() -> st.SearchStrategy[str]:
    """Any code point, surrogates included, with the dangerous ones drawn often."""
    return st.one_of(st.sampled_from(DANGEROUS_CHARACTERS), st.characters(exclude_categories=()))


HOSTILE_TEXTS = (
    "",
    " ",
    "   ",
    "\t\n \r\n",
    "\u00a0\u2003\u3000",
    "\x00",
    "Front\x00door",
    "\x00" * 3,
    "Porch\x1b[31m",
    "Back\x07yard",
    "\u202etxt.exe",
    "Gate\u2066\u202eyrd\u2069",
    "Cafe\u0301",  # NFD: "Café" as e + combining acute
    "Caf\u00e9",  # NFC
    "A\u030a\u0301\u0308\u0301\u0308",  # a stack of combining marks
    "\ud800",
    "Shed\udfff",
    "\ufeffDriveway",
    "\u200b",
    "Line one\nLine two",
    "x" * 101,
    "x" * 201,
    "x" * 2001,
    "y" * 10_001,
    "\U0001f600" * 60,
    "'; DROP TABLE events; --",
    "<script>alert(1)</script>",
    "{{ config }}",
    "%s%n%x",
    "0",
    "-1",
    "null",
    "NaN",
)


@st.composite
def _spliced(draw: st.DrawFn) -> str:
    """Ordinary text with dangerous characters spliced in at random places."""
    base = draw(st.text(st.characters(codec="utf-8"), min_size=1, max_size=20))
    inserts = draw(st.lists(st.sampled_from(DANGEROUS_CHARACTERS), min_size=1, max_size=3))
    for character in inserts:
        at = draw(st.integers(0, len(base)))
        base = base[:at] + character + base[at:]
    return base


def hostile_text() -> st.SearchStrategy[str]:
    """Text a resident would never type and an attacker would."""
    return st.one_of(
        st.sampled_from(HOSTILE_TEXTS),
        _spliced(),
        st.text(hostile_characters(), max_size=30),
    )


def plausible_text() -> st.SearchStrategy[str]:
    """Ordinary text half the time, hostile text the other half."""
    return st.one_of(st.sampled_from(("Home", "Front door", "Café Lumière")), hostile_text())


HOSTILE_NUMBERS: tuple[Any, ...] = (
    0,
    -1,
    10**30,
    -(10**30),
    2**63,
    2**63 - 1,
    -(2**63) - 1,
    2**31,
    2**53 + 1,
    1e308,
    -1e308,
    5e-324,
    -0.0,
    0.5,
    math.nan,
    math.inf,
    -math.inf,
    "NaN",
    "Infinity",
    "-Infinity",
    "1e309",
    "10" + "0" * 30,
    "0x10",
    "12",
    "",
    " ",
    True,
    None,
    [],
    {},
)


def hostile_number() -> st.SearchStrategy[Any]:
    """Numbers at and beyond the edges of every integer and float column, and non-numbers."""
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
    )


def hostile_number_or(*usual: Any) -> st.SearchStrategy[Any]:
    """A usual value or a hostile number, so that other fields are reached too."""
    return st.one_of(st.sampled_from(usual), hostile_number())


HOSTILE_MOMENTS = (
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59+14:00",
    "1970-01-01T00:00:00+23:59",
    "2018-02-30T00:00:00Z",
    "2018-12-14T21:40:00",
    "2018-12-14",
    "+275760-09-13T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2018-12-14T21:40:00\x00Z",
    "now",
    "",
    " ",
)


def hostile_moment() -> st.SearchStrategy[Any]:
    """Times at the ends of the calendar, with offsets, malformed, or not times at all."""
    return st.one_of(st.sampled_from(HOSTILE_MOMENTS), hostile_number())


HOSTILE_DAYS = ("0001-01-01", "9999-12-31", "2026-02-29", "2026-13-01", "tomorrow", "", 10**30)


def hostile_day() -> st.SearchStrategy[Any]:
    """Calendar days at the ends of the calendar, impossible days and non-days."""
    return st.one_of(st.sampled_from(HOSTILE_DAYS), hostile_text())


def _square(latitude: float, longitude: float, half: float) -> list[list[float]]:
    return [
        [latitude - half, longitude - half],
        [latitude - half, longitude + half],
        [latitude + half, longitude + half],
        [latitude + half, longitude - half],
    ]


def hostile_polygons(latitude: float, longitude: float) -> list[Any]:
    """Polygons around a place that no area check should accept as drawn."""
    a, b, c, d = _square(latitude, longitude, 0.01)
    return [
        [a, c, b, d],  # a bow tie: its signed area cancels out
        [a, b, b, c, d],  # a repeated corner
        [a, b, c, d, a],  # closed by repeating the first corner
        [a, a, a],  # every corner the same
        [a, [latitude, longitude], c],  # three corners on one line
        [a, b, [91.0, longitude], d],  # a corner beyond the pole
        [a, b, [latitude, 181.0], d],  # a corner beyond the date line
        [a, b, [math.nan, longitude], d],
        [a, b, [1e308, -1e308], d],
        [a, b, [10**30, 2**63], d],
        [a, b, ["NaN", "Infinity"], d],
        [a, b, [latitude], d],
        [a, b, [latitude, longitude, 0.0], d],
        [a, b],
        [[latitude + 0.01 * math.cos(k), longitude + 0.01 * math.sin(k)] for k in range(1000)],
        "a square",
        [],
    ]


def json_scalars() -> st.SearchStrategy[Any]:
    """Every kind of JSON scalar, with hostile strings and numbers among them."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from((2**63, -(2**63) - 1, 2**53 + 1, 10**30, -(10**30))),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(hostile_characters(), max_size=20),
        st.sampled_from(HOSTILE_TEXTS),
    )


def json_values() -> st.SearchStrategy[Any]:
    """Arbitrary JSON-like values: scalars nested in lists and objects."""
    return st.recursive(
        json_scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.text(hostile_characters(), max_size=8), children, max_size=4),
        ),
        max_leaves=12,
    )


# One of each kind of value that passes a type check and then breaks a column, a comparison
# or a reader: for sweeping every field of every command with each.
POISON: tuple[Any, ...] = (
    10**30,
    -(2**63) - 1,
    2**53 + 1,
    1e308,
    math.nan,
    "Gate\x00",
    "\u202etxt.exe",
    "Porch\x1b[31m",
    "Cafe\u0301",
    "\ud800",
    " ",
    "y" * 10_001,
    "0001-01-01T00:00:00+14:00",
)
