"""Searches find exactly what Karney's geodesic finds, anywhere on Earth.

Sites are imported around a real Detroit Project Green Light business, Anchorage,
Longyearbyen (78 N) and 80 N at the largest allowed radius for each check, a metre and five
metres inside and outside the circle's edge along many bearings, on both sides of the 180th
meridian by Fiji, and by the North Pole. `cameras_within` and `cameras_within_polygon`
(cells in clear, positions opened in memory) must return exactly the sites a scan of every
imported position with the exact geodesic returns. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv

import pytest
from geographiclib.geodesic import Geodesic

from registry.commands import CameraSpec
from registry.geodesy import Point, Polygon
from registry.importing import ImportedSite, import_sites, site_id_for
from registry.queries import cameras_within, cameras_within_polygon

CAMERA = CameraSpec("Camera", 0, 90, 30, "outdoor", "continuous", 14)
GEOD = Geodesic.WGS84
BEARINGS = range(0, 360, 45)
OFFSETS_M = (-5.0, -1.0, 1.0, 5.0)  # from the edge: negative inside
FIJI = Point(-16.85, 179.999)
NAMES: dict[str, str] = {}  # camera id: the name its site was imported under


def detroit_business(shared_data) -> Point:
    """The first business of Detroit's Project Green Light list."""
    with (shared_data / "detroit_project_green_light_locations.csv").open(
        encoding="utf-8-sig"
    ) as file:
        row = next(csv.DictReader(file))
    return Point(float(row["Y"]), float(row["X"]))


def circles(shared_data) -> list[tuple[str, Point, float]]:
    return [
        ("Detroit", detroit_business(shared_data), 50_000.0),
        ("Anchorage", Point(61.2181, -149.9003), 20_000.0),
        ("Longyearbyen", Point(78.2232, 15.6267), 10_000.0),
        ("80 N", Point(80.0, 20.0), 50_000.0),
    ]


def at(center: Point, bearing: float, distance: float) -> Point:
    spot = GEOD.Direct(center.latitude, center.longitude, bearing, distance)
    return Point(spot["lat2"], (spot["lon2"] + 180) % 360 - 180)


@pytest.fixture
def imported(app, shared_data) -> dict[str, Point]:
    """Every imported site's camera id and position."""
    places: dict[str, Point] = {}
    for name, center, radius in circles(shared_data):
        for bearing in BEARINGS:
            for offset in OFFSETS_M:
                places[f"{name} {bearing} {offset:+}"] = at(center, bearing, radius + offset)
    for name, place in {
        "Fiji east": Point(-16.85, -179.999),  # 213 m from FIJI, across the meridian
        "Fiji west": Point(-16.85, 179.9985),
        "on 180": Point(-16.8502, 180.0),
        "on -180": Point(-16.8498, -180.0),
        "Fiji far east": Point(-16.85, -179.95),
        "other side of the world": Point(-16.85, 0.0),
        "by the pole": Point(89.9995, 30.0),
        "across the pole": Point(89.9992, -150.0),
        "below the pole": Point(89.985, -150.0),
    }.items():
        places[name] = place
    services = app.extensions["canvass"]
    rows = [
        ImportedSite(line, name, "business", "Camera", None, p.latitude, p.longitude)
        for line, (name, p) in enumerate(places.items(), 1)
    ]
    report = import_sites(services.registry, rows, CAMERA)
    assert (report.added, report.rejected) == (len(rows), [])
    NAMES.clear()
    NAMES.update({f"{site_id_for(services.vault, name)}-1": name for name in places})
    return {f"{site_id_for(services.vault, name)}-1": p for name, p in places.items()}


def names(app, found: set[str]) -> set[str]:
    """The names the found cameras' sites were imported under."""
    return {NAMES[camera_id] for camera_id in found}


def within(cameras: dict[str, Point], center: Point, radius: float) -> set[str]:
    """Every camera's exact geodesic distance, no shortcut."""
    return {
        camera_id
        for camera_id, p in cameras.items()
        if GEOD.Inverse(center.latitude, center.longitude, p.latitude, p.longitude)["s12"] <= radius
    }


def test_the_largest_circles_at_high_latitudes_keep_sites_a_metre_inside_and_leave_those_outside(
    app, imported, shared_data
):
    services = app.extensions["canvass"]
    with services.engine.connect() as conn:
        for name, center, radius in circles(shared_data):
            found = {h.camera_id for h in cameras_within(conn, services.vault, center, radius)}
            assert found == within(imported, center, radius), name
            ring = {n for n in names(app, found) if n.startswith(name)}
            assert ring == {f"{name} {b} {o:+}" for b in BEARINGS for o in (-5.0, -1.0)}, name


def test_a_circle_across_the_180th_meridian_searches_both_sides(app, imported, shared_data):
    services = app.extensions["canvass"]
    with services.engine.connect() as conn:
        for center, radius in [(FIJI, 500.0), (Point(-16.85, -180.0), 100.0), (FIJI, 30.0)]:
            found = {h.camera_id for h in cameras_within(conn, services.vault, center, radius)}
            assert found == within(imported, center, radius)
        found = {h.camera_id for h in cameras_within(conn, services.vault, FIJI, 500.0)}
    assert names(app, found) == {
        "Fiji east", "Fiji west", "on 180", "on -180",
    }  # fmt: skip


def test_a_polygon_across_the_180th_meridian_searches_it_not_the_other_side_of_the_world(
    app, imported, shared_data
):
    services = app.extensions["canvass"]
    corners = [(-16.86, 179.99), (-16.86, -179.99), (-16.84, -179.99), (-16.84, 179.99)]
    across = Polygon([Point(lat, lon) for lat, lon in corners])
    with services.engine.connect() as conn:
        found = {h.camera_id for h in cameras_within_polygon(conn, services.vault, across)}
    assert names(app, found) == {
        "Fiji east", "Fiji west", "on 180", "on -180",
    }  # fmt: skip


def test_a_circle_and_a_polygon_round_the_north_pole_search_every_longitude(app, imported):
    services = app.extensions["canvass"]
    around = Polygon([Point(89.99, lon) for lon in (0.0, 90.0, 180.0, -90.0)])
    with services.engine.connect() as conn:
        for center, radius in [(Point(89.9995, 30.0), 200.0), (Point(90.0, 0.0), 2000.0)]:
            found = {h.camera_id for h in cameras_within(conn, services.vault, center, radius)}
            assert found == within(imported, center, radius)
        found = {
            h.camera_id for h in cameras_within(conn, services.vault, Point(89.9995, 30.0), 200)
        }
        assert names(app, found) == {"by the pole", "across the pole"}
        found = {h.camera_id for h in cameras_within_polygon(conn, services.vault, around)}
        assert names(app, found) == {"by the pole", "across the pole"}
