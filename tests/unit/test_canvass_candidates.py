"""Candidate cameras: view sectors checked against points built to be in or out of view,
consent respected, and the ranking investigators rely on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from canvass.candidates import candidates, view_covers
from registry.geodesy import Point
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
) -> CameraHit:
    """A camera `offset_m` north of the incident, looking at it (south) or away (north)."""
    spot = Geodesic.WGS84.Direct(INCIDENT.latitude, INCIDENT.longitude, 0, offset_m)
    return CameraHit(
        site_id=f"site-{camera_id}",
        site_status=status,
        latitude=spot["lat2"],
        longitude=spot["lon2"],
        categories=tuple(categories),
        contact_for_requests=contact,
        share_exact_location=False,
        camera_id=camera_id,
        label=camera_id,
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
