"""A drawn area must be a simple polygon; each refusal names the corner to fix."""

from __future__ import annotations

import pytest

from registry.geodesy import Point, Polygon
from validation.geometry import polygon_problem

SQUARE = [(37.75, -122.44), (37.77, -122.44), (37.77, -122.41), (37.75, -122.41)]
BOW_TIE = [SQUARE[0], SQUARE[2], SQUARE[1], SQUARE[3]]


@pytest.mark.parametrize(
    "corners",
    [
        SQUARE,
        SQUARE[::-1],
        [(0, 0), (0, 2), (2, 2), (1, 1), (2, 0)],  # concave
        [(-90, -180), (90, -180), (90, 180)],  # the extremes are in range
    ],
)
def test_a_simple_polygon_passes(corners):
    assert polygon_problem(corners) is None


@pytest.mark.parametrize(
    ("corners", "message"),
    [
        (BOW_TIE, "The edges from corner 1 to corner 2 and from corner 3 to corner 4 cross"),
        (
            [(0, 0), (0, 1), (1, 1), (1, 0), (0.5, -1), (0.5, 2)],
            "The edges from corner 2 to corner 3 and from corner 5 to corner 6 cross",
        ),
        ([(0, 0), (0, 2), (1, 1), (2, 2), (2, 0), (1, 1)], "Corner 6 repeats corner 3"),
        ([*SQUARE, SQUARE[0]], "Corner 5 repeats corner 1"),
        ([(0, 0), (0, 1), (0, 2)], "The corners lie on one line"),
        ([(0, 0), (0, 1), (95, 1)], "Corner 3: the latitude must be from -90 to 90."),
        ([(0, 0), (0, 181), (1, 1)], "Corner 2: the longitude must be from -180 to 180."),
        ([(0, 0), (0, float("nan")), (1, 1)], "Corner 2 must be a latitude and a longitude."),
        ([(0, 0), (0, 1)], "Draw at least 3 corners."),
    ],
)
def test_a_polygon_that_is_not_simple_is_refused_naming_the_corner(corners, message):
    assert polygon_problem(corners).startswith(message)


def test_a_bow_tie_is_refused_because_its_lobes_cancel_out_in_the_measured_area():
    bow_tie = Polygon([Point(lat, lon) for lat, lon in BOW_TIE])
    square = Polygon([Point(lat, lon) for lat, lon in SQUARE])
    assert bow_tie.area_m2() < square.area_m2() / 100  # what the check protects policy from
    assert polygon_problem(BOW_TIE) is not None and polygon_problem(SQUARE) is None


# A zigzag of six corners across the 180th meridian: simple the short way round, a tangle of
# crossings if its longitudes were read as a flat map from -180 to 180.
ACROSS_180 = [(0, 179.99), (0.001, -179.99), (0.002, 179.99), (0.003, -179.99), (0.004, -179.98)]
ACROSS_180 = [*ACROSS_180, (0.004, 179.98)]


def test_an_area_across_the_180th_meridian_is_checked_the_short_way_round():
    assert polygon_problem(ACROSS_180) is None
    square = [(0, 179.99), (0, -179.99), (0.01, -179.99), (0.01, 179.99)]
    assert polygon_problem(square) is None
    bow_tie = [square[0], square[2], square[1], square[3]]
    assert polygon_problem(bow_tie).startswith("The edges from corner 1 to corner 2 and")


def test_an_area_round_a_pole_is_simple_and_a_bow_tie_there_is_not():
    round_the_pole = [(80, 0), (80, 90), (80, 180), (80, -90)]
    assert polygon_problem(round_the_pole) is None
    assert polygon_problem([(80, 0), (85, 90), (80, 90), (85, 0)]).startswith("The edges")
