"""Distances and bearings agree with Karney's published test set; shapes decide exactly,
at the largest allowed radius up to 80 degrees, and polygons by the edges they are measured on."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from geographiclib.geodesic import Geodesic

from registry.geodesy import (
    WGS84_A,
    WGS84_E2,
    BoundingBox,
    Circle,
    Point,
    Polygon,
    bearing_degrees,
    distance_bounds,
    distance_m,
)


def karney_cases(shared_data: Path):
    for line in (shared_data / "GeodTest-100.dat").read_text().splitlines():
        lat1, lon1, azi1, lat2, lon2, _azi2, s12, *_ = (float(v) for v in line.split())
        yield lat1, lon1, azi1, lat2, lon2, s12


def test_distances_and_bearings_agree_with_the_geodtest_set_to_a_millimetre(shared_data):
    cases = list(karney_cases(shared_data))
    assert len(cases) == 100
    for lat1, lon1, azi1, lat2, lon2, s12 in cases:
        a, b = Point(lat1, lon1), Point(lat2, lon2)
        assert distance_m(a, b) == pytest.approx(s12, abs=1e-3)
        if 0 < s12 < 19_000_000:  # nearly antipodal pairs have no single initial bearing
            assert bearing_degrees(a, b) == pytest.approx(azi1 % 360, abs=1e-6)


@pytest.mark.parametrize(
    ("latitude", "longitude"), [(91, 0), (-90.5, 0), (0, 180.1), (0, -181), (math.nan, 0)]
)
def test_positions_outside_wgs84_are_refused(latitude, longitude):
    with pytest.raises(ValueError, match="must be between"):
        Point(latitude, longitude)


def test_the_circle_agrees_with_the_exact_geodesic_near_its_edge():
    rng = random.Random(7)
    center = Point(37.7749, -122.4194)
    for radius in (25.0, 250.0, 800.0, 5000.0):
        circle = Circle(center, radius)
        for _ in range(2000):
            bearing = rng.uniform(0, 360)
            distance = radius * rng.uniform(0.995, 1.005)
            lat, lon = _destination(center, bearing, distance)
            exact = distance_m(center, Point(lat, lon)) <= radius
            assert circle.contains(lat, lon) is exact
            assert circle.box.south <= lat <= circle.box.north or not exact
            assert circle.box.west <= lon <= circle.box.east or not exact


def test_a_polygon_contains_its_inside_and_its_edges_but_not_its_outside():
    square = Polygon([Point(0, 0), Point(0, 1), Point(1, 1), Point(1, 0)])
    assert square.contains(0.5, 0.5)
    assert square.contains(0.0, 0.5)
    assert not square.contains(1.5, 0.5)
    assert not square.contains(0.5, -0.001)
    concave = Polygon([Point(0, 0), Point(0, 2), Point(2, 2), Point(1, 1), Point(2, 0)])
    assert concave.contains(1.8, 1.0) is False  # in the notch
    assert concave.contains(1.8, 0.1) is True
    assert concave.contains(0.5, 1.0) is True


def test_a_polygon_reports_its_geodesic_area():
    side = 0.009  # about a kilometre near the equator
    square = Polygon([Point(0, 0), Point(0, side), Point(side, side), Point(side, 0)])
    assert square.area_m2() == pytest.approx(996_000, rel=0.01)


def _destination(center: Point, bearing: float, distance: float) -> tuple[float, float]:
    result = Geodesic.WGS84.Direct(center.latitude, center.longitude, bearing, distance)
    return result["lat2"], (result["lon2"] + 180) % 360 - 180


def test_the_distance_bounds_hold_on_the_geodtest_set(shared_data):
    for lat1, lon1, _azi1, lat2, lon2, s12 in karney_cases(shared_data):
        low, high = distance_bounds(Point(lat1, lon1), Point(lat2, lon2))
        assert low <= s12 <= high


def test_circles_of_the_largest_radius_up_to_80_degrees_decide_a_metre_from_the_edge(
    shared_data,
):
    """50 km, allowed with a supervisor's approval, around Karney's test points and at every
    tenth degree of latitude, along each case's azimuth and around the compass."""
    centres = [(lat1, lon1, azi1) for lat1, lon1, azi1, *_ in karney_cases(shared_data)]
    centres = [c for c in centres if abs(c[0]) <= 80]
    centres += [(float(lat), 0.0, 0.0) for lat in range(-80, 81, 10)]
    centres += [(42.3314, -83.0458, 0.0), (61.2181, -149.9003, 0.0), (78.0, 15.6, 0.0)]
    for lat, lon, azi in centres:
        center = Point(lat, lon)
        for radius in (50_000.0, 20_000.0, 10_000.0):
            circle = Circle(center, radius)
            for bearing in [azi + turn for turn in range(0, 360, 30)]:
                for offset in (-1.0, 1.0, -5.0, 5.0):
                    spot = _destination(center, bearing, radius + offset)
                    assert circle.contains(*spot) is (offset < 0), (lat, lon, radius, offset)
                    assert _in_box(circle.box, *spot) or offset > 0


def test_a_polygon_measures_the_area_its_straight_edges_enclose():
    """A rectangle of parallels and meridians: its area in closed form, by the authalic
    latitude, which geodesic edges (bowing towards the pole) would not give."""
    south, north, width = 60.0, 61.0, 1.0
    rectangle = Polygon(
        [Point(south, 0), Point(south, width), Point(north, width), Point(north, 0)]
    )
    e = math.sqrt(WGS84_E2)

    def q(latitude: float) -> float:
        s = math.sin(math.radians(latitude))
        return s / (1 - WGS84_E2 * s * s) + math.atanh(e * s) / e

    closed_form = WGS84_A**2 * (1 - WGS84_E2) / 2 * (q(north) - q(south)) * math.radians(width)
    assert rectangle.area_m2() == pytest.approx(closed_form, rel=1e-12)
    # the geodesic polygon through the same corners encloses measurably less here
    geodesic = Geodesic.WGS84.Polygon()
    for v in rectangle.vertices:
        geodesic.AddPoint(v.latitude, v.longitude)
    assert abs(geodesic.Compute(False, True)[2]) < closed_form * (1 - 1e-5)


def test_a_polygon_decides_points_by_the_edges_its_area_is_measured_on():
    """Just inside and outside the northern edge, a parallel, where a geodesic edge would
    bow north by about 100 m: the search follows the parallel, as the area does."""
    rectangle = Polygon([Point(60, 0), Point(60, 1), Point(61, 1), Point(61, 0)])
    assert rectangle.contains(60.99999, 0.5)
    assert not rectangle.contains(61.00001, 0.5)


def _in_box(box: BoundingBox, latitude: float, longitude: float) -> bool:
    return any(
        p.south <= latitude <= p.north and p.west <= longitude <= p.east for p in box.parts()
    )
