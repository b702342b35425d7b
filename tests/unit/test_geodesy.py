"""Distances and bearings agree with Karney's published test set; shapes decide exactly."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from registry.geodesy import Circle, Point, Polygon, bearing_degrees, distance_m


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
    from geographiclib.geodesic import Geodesic

    result = Geodesic.WGS84.Direct(center.latitude, center.longitude, bearing, distance)
    return result["lat2"], result["lon2"]
