"""Shapes across the 180th meridian: longitudes wrap, boxes split, polygons take the short
way, and cells there stay within range."""

from __future__ import annotations

import math

import pytest
from geographiclib.geodesic import Geodesic

from canvass.candidates import cell_touches
from registry.cells import cell_of, cells_covering
from registry.geodesy import BoundingBox, Circle, Point, Polygon, distance_m

FIJI = Point(-16.85, 179.999)
ACROSS = [(-16.86, 179.99), (-16.86, -179.99), (-16.84, -179.99), (-16.84, 179.99)]


def covered(box: BoundingBox, latitude: float, longitude: float) -> bool:
    return any(
        p.south <= latitude <= p.north and p.west <= longitude <= p.east for p in box.parts()
    )


def test_a_circle_across_the_meridian_holds_a_site_213_m_away_on_the_other_side():
    circle = Circle(FIJI, 500)
    east = Point(-16.85, -179.999)
    assert distance_m(FIJI, east) == pytest.approx(213.14, abs=0.01)
    assert circle.contains(east.latitude, east.longitude)
    assert covered(circle.box, east.latitude, east.longitude)
    assert not circle.contains(-16.85, -179.99)  # about 1.1 km east
    assert len(circle.box.parts()) == 2  # one box each side


@pytest.mark.parametrize("center_longitude", [180.0, -180.0, 179.9999, -179.9999])
def test_circles_on_the_meridian_agree_with_the_geodesic_on_both_sides(center_longitude):
    center = Point(64.0, center_longitude)
    circle = Circle(center, 2000)
    for bearing in range(0, 360, 15):
        for distance in (1999.0, 2001.0):
            spot = Geodesic.WGS84.Direct(center.latitude, center_longitude, bearing, distance)
            lat, lon = spot["lat2"], (spot["lon2"] + 180) % 360 - 180
            assert circle.contains(lat, lon) is (distance < 2000)
            assert covered(circle.box, lat, lon) or distance > 2000


def test_a_polygon_across_the_meridian_covers_both_sides_and_not_the_rest_of_the_world():
    polygon = Polygon([Point(lat, lon) for lat, lon in ACROSS])
    for longitude in (179.995, 180.0, -180.0, -179.995):
        assert polygon.contains(-16.85, longitude)
        assert covered(polygon.box, -16.85, longitude)
    for longitude in (0.0, 179.98, -179.98, 90.0):
        assert not polygon.contains(-16.85, longitude)
        assert not covered(polygon.box, -16.85, longitude)


def test_a_polygon_across_the_meridian_measures_the_small_area_it_covers():
    polygon = Polygon([Point(lat, lon) for lat, lon in ACROSS])
    geodesic = Geodesic.WGS84.Polygon()
    for lat, lon in ACROSS:
        geodesic.AddPoint(lat, lon)
    _, _, area = geodesic.Compute(False, True)
    assert polygon.area_m2() == pytest.approx(abs(area), rel=1e-6)
    assert polygon.area_m2() < 5e6


def test_an_outline_round_a_pole_encloses_it_and_the_whole_world_stays_one_box():
    around = Polygon([Point(89.99, lon) for lon in (0.0, 90.0, 180.0, -90.0)])
    assert around.contains(90.0, 0.0) and around.contains(89.995, 45.0)
    assert around.contains(89.995, -135.0) and not around.contains(89.98, 45.0)
    assert around.box.parts() == [BoundingBox(89.99, -180.0, 90.0, 180.0)]
    south = Polygon([Point(-89.99, lon) for lon in (0.0, -90.0, 180.0, 90.0)])
    assert south.contains(-90.0, 0.0) and not south.contains(89.995, 45.0)
    assert around.area_m2() == pytest.approx(south.area_m2(), rel=1e-12)
    to_pole = Geodesic.WGS84.Inverse(89.99, 0.0, 90.0, 0.0)["s12"]  # a small cap: about a disc
    assert around.area_m2() == pytest.approx(math.pi * to_pole**2, rel=1e-6)
    world = Polygon([Point(-90, -180), Point(-90, 180), Point(90, 180), Point(90, -180)])
    assert world.contains(-16.85, 179.999) and world.contains(51.5, -0.1)
    assert world.box.parts() == [BoundingBox(-90, -180.0, 90, 180.0)]


def test_boxes_reaching_the_meridian_also_search_its_other_name():
    """A site stored at -180 lies on the same meridian as one at 180."""
    parts = BoundingBox(-17.0, 179.5, -16.0, 180.0).parts()
    assert any(p.west <= -180.0 <= p.east for p in parts)
    parts = BoundingBox(-17.0, -180.0, -16.0, -179.5).parts()
    assert any(p.west <= 180.0 <= p.east for p in parts)
    for part in BoundingBox(-17.0, 179.5, -16.0, 180.5).parts():
        cells = cells_covering(part)
        assert cells.first_col <= cells.last_col


@pytest.mark.parametrize("longitude", [179.99999, 180.0, -180.0, -179.99999])
def test_cells_on_the_meridian_have_a_centre_and_corners_within_range(longitude):
    cell = cell_of(-16.85, longitude)
    assert -180 <= cell.box.west < cell.box.east <= 180
    assert cell.centre.longitude <= 180 and len(cell.corners) == 4


def test_a_cell_on_the_other_side_of_the_meridian_touches_an_area_across_it():
    east_cell = cell_of(-16.85, -179.9995)
    assert cell_touches(east_cell, Circle(FIJI, 300))
    assert cell_touches(east_cell, Polygon([Point(lat, lon) for lat, lon in ACROSS]))
    assert not cell_touches(cell_of(-16.85, 0.0), Polygon([Point(a, o) for a, o in ACROSS]))
    far_cell = cell_of(-16.85, -179.98)
    assert not cell_touches(far_cell, Circle(FIJI, 300))
