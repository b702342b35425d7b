"""Candidate cameras: view sectors checked against points built to be in or out of view,
consent respected, and the ranking investigators rely on."""

from __future__ import annotations

import csv
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from canvass.candidates import candidates, cell_touches, consents_to, search_reach, view_covers
from registry.cells import cell_of
from registry.geodesy import Circle, Point, Polygon
from registry.queries import CameraHit

INCIDENT = Point(37.7749, -122.4194)
WINDOW_END = datetime(2026, 11, 20, 23, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_view_coverage_agrees_with_points_placed_in_and_out_of_view_on_1000_cases():
    rng = random.Random(1000)
    checked = 0
    while checked < 1000:
        camera = Point(rng.uniform(-60, 60), rng.uniform(-180, 180))
        bearing, fov, reach = rng.uniform(0, 360), rng.uniform(1, 360), rng.uniform(1, 500)
        azimuth, distance = rng.uniform(0, 360), rng.uniform(0.5, 600)
        off_axis = abs((azimuth - bearing + 180) % 360 - 180)
        if abs(distance - reach) < 1e-3 or abs(off_axis - fov / 2) < 1e-6:
            continue  # on the very edge: either answer is right
        target = Geodesic.WGS84.Direct(camera.latitude, camera.longitude, azimuth, distance)
        truth = distance <= reach and off_axis <= fov / 2
        assert (
            view_covers(camera, bearing, fov, reach, Point(target["lat2"], target["lon2"])) is truth
        )
        checked += 1


def hit(
    camera_id: str,
    offset_m: float,
    looks_at_incident: bool,
    retention_days: int,
    categories=("all",),
    contact=True,
    status="active",
    exact=True,
) -> CameraHit:
    """A camera `offset_m` north of the incident, looking at it (south) or away (north),
    whose owner shares its exact place (`exact`) or not."""
    spot = Geodesic.WGS84.Direct(INCIDENT.latitude, INCIDENT.longitude, 0, offset_m)
    return CameraHit(
        site_id=f"site-{camera_id}",
        site_status=status,
        latitude=spot["lat2"],
        longitude=spot["lon2"],
        categories=tuple(categories),
        contact_for_requests=contact,
        share_exact_location=exact,
        camera_id=camera_id,
        bearing_degrees=180.0 if looks_at_incident else 0.0,
        field_of_view_degrees=90.0,
        range_metres=200.0,
        placement="outdoor",
        recording="continuous",
        retention_days=retention_days,
    )


def test_candidates_are_ranked_by_view_then_expiry_then_distance():
    hits = [
        hit("away-near-7d", 20, False, 7),
        hit("view-far-30d", 150, True, 30),
        hit("view-near-30d", 40, True, 30),
        hit("view-mid-3d", 90, True, 3),
        hit("away-far-2d", 180, False, 2),
    ]
    result = candidates(hits, INCIDENT, WINDOW_END, "property_crime", NOW)
    assert [c.camera_id for c in result.ranked] == [
        "view-mid-3d",
        "view-near-30d",
        "view-far-30d",
        "away-far-2d",
        "away-near-7d",
    ]
    first = result.ranked[0]
    assert first.footage_expires_at == WINDOW_END + timedelta(days=3)
    assert first.distance_m == pytest.approx(90, abs=1e-6)
    assert first.bearing_from_incident == pytest.approx(0, abs=1e-6)


def test_footage_already_overwritten_is_listed_apart():
    result = candidates(
        [hit("kept", 50, True, 14), hit("gone", 30, True, 0)],
        INCIDENT,
        WINDOW_END - timedelta(days=1),
        "property_crime",
        NOW,
    )
    assert [c.camera_id for c in result.ranked] == ["kept"]
    assert [c.camera_id for c in result.likely_overwritten] == ["gone"]


@pytest.mark.parametrize(
    ("categories", "contact", "status", "included"),
    [
        (("all",), True, "active", True),
        (("property_crime", "traffic"), True, "active", True),
        (("violent_crime",), True, "active", False),
        (("all",), False, "active", False),
        (("all",), True, "paused", False),
    ],
)
def test_only_owners_who_agreed_to_this_kind_of_incident_are_candidates(
    categories, contact, status, included
):
    found = candidates(
        [hit("cam", 50, True, 14, categories, contact, status)],
        INCIDENT,
        WINDOW_END,
        "property_crime",
        NOW,
    )
    assert bool(found.ranked) is included


def moved(original: CameraHit, latitude: float, longitude: float) -> CameraHit:
    return CameraHit(
        **{
            **{f: getattr(original, f) for f in original.__dataclass_fields__},
            "latitude": latitude,
            "longitude": longitude,
        }
    )


def test_a_site_known_by_its_cell_is_described_by_the_cell_alone_wherever_it_stands_in_it():
    rng = random.Random(7)
    base = hit("cell", 140, True, 14, exact=False)
    cell = cell_of(base.latitude, base.longitude)
    box = cell.box
    areas = [Circle(INCIDENT, r) for r in (90, 120, 150, 250)] + [
        Polygon([Point(INCIDENT.latitude + dy, INCIDENT.longitude + dx) for dy, dx in ring])
        for ring in (
            [(-0.001, -0.001), (-0.001, 0.001), (0.0013, 0.001), (0.0013, -0.001)],
            [(0.0, -0.002), (0.0016, 0.0), (0.0, 0.002)],
        )
    ]
    for area in areas:
        seen = set()
        for _ in range(200):
            spot = moved(
                base,
                rng.uniform(box.south, box.north - 1e-9),
                rng.uniform(box.west, box.east - 1e-9),
            )
            assert cell_of(spot.latitude, spot.longitude) == cell
            found = candidates([spot], INCIDENT, WINDOW_END, "property_crime", NOW, area)
            seen.add(
                tuple(
                    (
                        c.about_distance_m,
                        c.about_bearing,
                        c.direction,
                        c.view_covers_incident,
                        c.distance_m,
                        c.bearing_from_incident,
                    )
                    for c in found.ranked
                )
            )
        assert len(seen) == 1, area
        assert bool(next(iter(seen))) is cell_touches(cell, area)


def test_a_site_known_by_its_cell_gets_distance_to_100_m_and_one_of_eight_directions():
    found = candidates(
        [hit("cell", 140, True, 14, exact=False)], INCIDENT, WINDOW_END, "property_crime", NOW
    )
    [candidate] = found.ranked
    assert candidate.about_distance_m % 100 == 0
    assert candidate.about_bearing % 45 == 0
    assert candidate.direction in ("north", "north-east", "north-west")


def test_a_cell_touching_the_area_counts_even_when_the_site_itself_is_outside():
    outside = hit("edge", 0, True, 14, exact=False)
    cell = cell_of(outside.latitude, outside.longitude)
    corner = cell.box
    # A small circle around a point just inside the cell's north-east corner, not the site.
    near_corner = Point(corner.north - 1e-5, corner.east - 1e-5)
    area = Circle(near_corner, 3)
    assert not area.contains(outside.latitude, outside.longitude)
    found = candidates([outside], near_corner, WINDOW_END, "property_crime", NOW, area)
    assert [c.camera_id for c in found.ranked] == ["edge"]
    assert search_reach(area, near_corner).contains(outside.latitude, outside.longitude)
    exact = moved(outside, outside.latitude, outside.longitude)
    exact = CameraHit(
        **{
            **{f: getattr(exact, f) for f in exact.__dataclass_fields__},
            "share_exact_location": True,
        }
    )
    assert not candidates([exact], near_corner, WINDOW_END, "property_crime", NOW, area).ranked


def reference_ranking(hits, incident, window_end, category, now, area):
    """The ranking worked out the plain way: for each camera, the geodesic from the incident
    for its distance and bearing, and the geodesic from the camera (or from each sample
    point of its cell) to the incident for its view."""
    geod = Geodesic.WGS84
    rows = []
    for h in hits:
        if h.site_status != "active" or not consents_to(h, category):
            continue
        cell = cell_of(h.latitude, h.longitude)
        inside = area.contains(h.latitude, h.longitude) if h.share_exact_location else None
        if inside is False or (inside is None and not cell_touches(cell, area)):
            continue
        place = h.position if h.share_exact_location else cell.centre
        line = geod.Inverse(incident.latitude, incident.longitude, place.latitude, place.longitude)
        box, spots = cell.box, [place]
        if not h.share_exact_location:
            spots = [
                Point(
                    box.south + (box.north - box.south) * i / 6,
                    box.west + (box.east - box.west) * j / 6,
                )
                for i in range(7)
                for j in range(7)
            ]
        seen = False
        for spot in spots:
            back = geod.Inverse(
                spot.latitude, spot.longitude, incident.latitude, incident.longitude
            )
            off_axis = abs((back["azi1"] - h.bearing_degrees + 180) % 360 - 180)
            seen = seen or (
                back["s12"] <= h.range_metres
                and (
                    h.field_of_view_degrees >= 360
                    or back["s12"] == 0
                    or off_axis <= h.field_of_view_degrees / 2
                )
            )
        expires = window_end + timedelta(days=h.retention_days)
        rows.append(
            (
                expires <= now,
                not seen,
                expires,
                line["s12"],
                cell,
                h.site_id,
                h.camera_id,
                line["azi1"] % 360,
                seen,
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], r[2] if not r[0] else 0, *r[3:7]))
    return [(r[6], r[3], r[7], r[8]) for r in rows]


def test_the_ranking_on_real_cameras_is_that_of_the_plain_computation(shared_data):
    """OpenStreetMap's cameras of San Francisco, some sharing their exact place and some
    known by their cell, one to three cameras a site, around real incidents of December
    2018: the same candidates, in the same order, with the same figures."""
    nodes = json.loads((shared_data / "osm_surveillance_nodes_us_west.json").read_text())
    rng = random.Random(15)
    hits = [
        CameraHit(
            f"site-{n['id']}",
            "active",
            n["lat"],
            n["lon"],
            ("all",),
            True,
            exact,
            f"site-{n['id']}-{k}",
            rng.uniform(0, 360),
            rng.choice([60.0, 90.0, 360.0]),
            rng.choice([30.0, 100.0, 250.0]),
            "outdoor",
            "continuous",
            rng.choice([3, 14, 30]),
        )
        for n in nodes
        if 37.76 <= n["lat"] <= 37.80 and -122.43 <= n["lon"] <= -122.39
        for exact in [rng.random() < 0.5]
        for k in range(rng.choice([1, 1, 2, 3]))
    ]
    with (shared_data / "sf_police_incidents_2018-12.csv").open() as file:
        places = [
            Point(float(r["Latitude"]), float(r["Longitude"]))
            for r in csv.DictReader(file)
            if r["Latitude"] and 37.77 <= float(r["Latitude"]) <= 37.79
        ]
    compared = 0
    for incident in random.Random(18).sample(places, 20):
        area = Circle(incident, rng.choice([250.0, 600.0]))
        window_end = WINDOW_END - timedelta(days=rng.choice([0, 5, 20]))
        found = candidates(hits, incident, window_end, "traffic", NOW, area)
        got = [
            (c.camera_id, c.distance_m, c.bearing_from_incident, c.view_covers_incident)
            for c in [*found.ranked, *found.likely_overwritten]
        ]
        assert got == reference_ranking(hits, incident, window_end, "traffic", NOW, area)
        compared += len(got)
    assert compared > 500


def test_a_cell_counts_when_its_edge_comes_within_the_radius_away_from_the_centre_s_latitude():
    """At 70 N, 19 km west of a cell, the geodesic reaches the cell's west edge nearest
    some 80 m north of the centre's own latitude, 16 cm closer than the point of the edge
    at that latitude: a circle of a radius between the two touches the cell."""
    cell = cell_of(70.0005, 0.505)
    box = cell.box
    center = Point(box.south + 0.0001, box.west - 0.5)
    level = Geodesic.WGS84.Inverse(center.latitude, center.longitude, center.latitude, box.west)
    edge = [Point(box.south + (box.north - box.south) * i / 1000, box.west) for i in range(1001)]
    nearest = min(
        Geodesic.WGS84.Inverse(center.latitude, center.longitude, p.latitude, p.longitude)["s12"]
        for p in edge
    )
    assert level["s12"] - nearest > 0.1
    assert cell_touches(cell, Circle(center, (level["s12"] + nearest) / 2))
    assert cell_touches(cell, Circle(center, nearest + 1e-6))
    assert not cell_touches(cell, Circle(center, nearest - 1e-3))


def test_the_search_for_a_polygon_reaches_the_middle_of_an_edge_along_a_parallel():
    """Along a parallel, the farthest point from the incident need not be a corner: round
    the North Pole, from the corner on the meridian of 0, the far side of the edge from 100 E
    to 100 W lies 500 m beyond every corner."""
    around = Polygon([Point(89.99, 0.0), Point(89.99, 100.0), Point(89.99, -100.0)])
    incident = Point(89.99, 0.0)
    geod = Geodesic.WGS84
    corners = max(geod.Inverse(89.99, 0.0, v.latitude, v.longitude)["s12"] for v in around.vertices)
    far_side = geod.Inverse(89.99, 0.0, 89.99, 180.0)["s12"]
    assert far_side > corners + 500 and around.contains(89.99, 180.0)
    reach = search_reach(around, incident)
    assert reach.contains(89.99, 180.0)
    edge = [(89.99, 100.0 + 160.0 * i / 1000) for i in range(1001)]
    assert all(reach.contains(lat, (lon + 180) % 360 - 180) for lat, lon in edge)
