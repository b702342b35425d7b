"""The cell search finds exactly the cameras an exact geodesic scan finds, on real cameras.

OpenStreetMap's surveillance nodes of downtown San Francisco are imported as sites; circles
around real December 2018 incidents, circles centred on cell corners and edges, circles
whose edge passes exactly through a camera, and polygons are each answered by
`cameras_within` / `cameras_within_polygon` (cells in clear, positions opened in memory) and
by a scan of every imported position with Karney's geodesic. SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import math
import random

import pytest
from geographiclib.geodesic import Geodesic

from registry.cells import cell_of
from registry.commands import CameraSpec
from registry.geodesy import Point, Polygon
from registry.importing import ImportedSite, import_sites, read_file, site_id_for
from registry.queries import cameras_within, cameras_within_polygon

DOWNTOWN = (37.765, -122.43, 37.805, -122.39)
CAMERA = CameraSpec("Camera", 0, 90, 30, "outdoor", "continuous", 14)
GEOD = Geodesic.WGS84


@pytest.fixture
def imported(app, shared_data) -> dict[str, Point]:
    """The real cameras, by the camera id the import gave each."""
    services = app.extensions["canvass"]
    rows = read_file(
        shared_data / "osm_surveillance_nodes_us_west.json", "osm-surveillance", DOWNTOWN
    )
    sites = [row for row in rows if isinstance(row, ImportedSite)]
    report = import_sites(services.registry, sites, CAMERA)
    assert (report.added, report.rejected) == (len(sites), [])
    assert len(sites) > 500
    return {
        f"{site_id_for(services.vault, site.source_ref)}-1": Point(site.latitude, site.longitude)
        for site in sites
    }


def incidents(shared_data, count: int) -> list[Point]:
    with (shared_data / "sf_police_incidents_2018-12.csv").open() as file:
        places = [
            Point(float(r["Latitude"]), float(r["Longitude"]))
            for r in csv.DictReader(file)
            if r["Latitude"]
            and DOWNTOWN[0] <= float(r["Latitude"]) <= DOWNTOWN[2]
            and DOWNTOWN[1] <= float(r["Longitude"]) <= DOWNTOWN[3]
        ]
    return random.Random(12).sample(places, count)


def within(cameras: dict[str, Point], center: Point, radius: float) -> set[str]:
    """Every camera's exact geodesic distance, no shortcut."""
    return {
        camera_id
        for camera_id, p in cameras.items()
        if GEOD.Inverse(center.latitude, center.longitude, p.latitude, p.longitude)["s12"] <= radius
    }


def inside(cameras: dict[str, Point], corners: list[Point]) -> set[str]:
    """Winding number: a different algorithm from the one under test."""

    def winds(p: Point) -> bool:
        total = 0.0
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            angle_a = math.atan2(a.latitude - p.latitude, a.longitude - p.longitude)
            angle_b = math.atan2(b.latitude - p.latitude, b.longitude - p.longitude)
            total += (angle_b - angle_a + math.pi) % (2 * math.pi) - math.pi
        return abs(total) > math.pi

    return {camera_id for camera_id, p in cameras.items() if winds(p)}


@pytest.mark.slow
def test_circles_and_polygons_around_real_incidents_find_exactly_what_an_exact_scan_finds(
    app, imported, shared_data
):
    services = app.extensions["canvass"]
    rng = random.Random(2018)
    centres = incidents(shared_data, 25)
    # Centres on a cell's corner and on the middle of its edges, where the cell range of a
    # small circle is the least forgiving.
    for place in rng.sample(list(imported.values()), 10):
        south_west, south_east, _, _ = cell_of(place.latitude, place.longitude).corners
        centres += [
            south_west,
            Point(south_west.latitude, (south_west.longitude + south_east.longitude) / 2),
        ]
    with services.engine.connect() as conn:
        for center in centres:
            radius = rng.choice([30.0, 111.0, 250.0, 800.0, rng.uniform(5, 1500)])
            found = cameras_within(conn, services.vault, center, radius)
            assert {hit.camera_id for hit in found} == within(imported, center, radius)
            assert all(hit.cell == cell_of(hit.latitude, hit.longitude) for hit in found)

        # A circle whose edge passes exactly through a camera includes it.
        for camera_id, place in rng.sample(sorted(imported.items()), 10):
            center = centres[rng.randrange(25)]
            radius = GEOD.Inverse(
                center.latitude, center.longitude, place.latitude, place.longitude
            )["s12"]
            found = {h.camera_id for h in cameras_within(conn, services.vault, center, radius)}
            assert camera_id in found
            assert found == within(imported, center, radius)

        for anchor in incidents(shared_data, 20):
            corners = [
                Point(
                    anchor.latitude + 0.004 * math.sin(a) * rng.uniform(0.3, 1),
                    anchor.longitude + 0.005 * math.cos(a) * rng.uniform(0.3, 1),
                )
                for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(3, 8)))
            ]
            found = cameras_within_polygon(conn, services.vault, Polygon(corners))
            assert {hit.camera_id for hit in found} == inside(imported, corners)
