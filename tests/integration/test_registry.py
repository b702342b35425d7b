"""The registry on both backends: lifecycle, sealing, and spatial search against brute force."""

from __future__ import annotations

import math
import random
import uuid

import pytest
import sqlalchemy as sa
from geographiclib.geodesic import Geodesic

from events_store import NO_STREAM
from registry import commands as c
from registry import events as e
from registry.errors import SiteNotFound
from registry.geodesy import Point, Polygon
from registry.handlers import site_stream
from registry.queries import cameras_of_site, cameras_within, cameras_within_polygon, sites_of_owner
from registry.sealing import to_new_event

OWNER = "owner-maria"
HOME = Point(36.6777, -121.6555)
DOOR = c.CameraSpec("Front door", 180, 90, 15, "outdoor", "motion", 14)
DRIVEWAY = c.CameraSpec("Driveway", 270, 110, 25, "outdoor", "continuous", 30)


@pytest.fixture
def services(app):
    return app.extensions["canvass"]


def near_home(services, conn, radius=100):
    return {hit.camera_id for hit in cameras_within(conn, services.vault, HOME, radius)}


def test_a_site_lives_through_registration_edits_pause_and_unregistration(services):
    registry, engine, vault = services.registry, services.engine, services.vault
    site = str(uuid.uuid4())
    registry.execute(
        c.RegisterSite(site, OWNER, "home", "Home", "1531 McKinnon Street", *vars_of(HOME))
    )
    registry.execute(c.AddCamera(site, OWNER, "door", DOOR))
    registry.execute(c.AddCamera(site, OWNER, "drive", DRIVEWAY))

    with engine.connect() as conn:
        assert near_home(services, conn) == {"door", "drive"}
        [row] = sites_of_owner(conn, vault, OWNER)
        assert (row["label"], row["status"], row["address"]) == (
            "Home",
            "active",
            "1531 McKinnon Street",
        )
        assert [cam["label"] for cam in cameras_of_site(conn, vault, site)] == [
            "Driveway",
            "Front door",
        ]

    moved = Point(HOME.latitude + 0.01, HOME.longitude)
    registry.execute(c.ChangeSiteDetails(site, OWNER, "Our house", None, *vars_of(moved)))
    registry.execute(c.ChangeCamera(site, OWNER, "door", DOOR.__class__("Porch", 170, 90, 15)))
    registry.execute(c.RemoveCamera(site, OWNER, "drive"))
    with engine.connect() as conn:
        assert near_home(services, conn) == set()
        assert [h.camera_id for h in cameras_within(conn, vault, moved, 50)] == ["door"]
        assert [cam["label"] for cam in cameras_of_site(conn, vault, site)] == ["Porch"]

    registry.execute(c.PauseSite(site, OWNER))
    with engine.connect() as conn:
        assert cameras_within(conn, vault, moved, 50) == []
        assert [h.site_status for h in cameras_within(conn, vault, moved, 50, ("paused",))] == [
            "paused"
        ]
    registry.execute(c.ResumeSite(site, OWNER))
    registry.execute(c.UnregisterSite(site, OWNER))

    with engine.connect() as conn:
        for statuses in (("active",), ("active", "paused", "unregistered")):
            assert cameras_within(conn, vault, moved, 5000, statuses) == []
        assert sites_of_owner(conn, vault, OWNER) == []
        row = conn.execute(sa.text("SELECT private, cell_row, cell_col FROM registry_sites")).one()
        assert tuple(row) == (None, None, None)
    types = [event.type for event in services.store.read_stream(site_stream(site))]
    assert types == [
        "SiteRegistered",
        "CameraAdded",
        "CameraAdded",
        "SiteDetailsChanged",
        "CameraChanged",
        "CameraRemoved",
        "SitePaused",
        "SiteResumed",
        "SiteUnregistered",
    ]
    with pytest.raises(SiteNotFound):
        registry.execute(c.PauseSite(site, OWNER))


def test_personal_fields_are_sealed_in_the_log_and_erased_with_the_owner(services):
    registry, store, vault = services.registry, services.store, services.vault
    site = str(uuid.uuid4())
    registry.execute(
        c.RegisterSite(site, OWNER, "home", "Home", "1531 McKinnon St", *vars_of(HOME))
    )

    [stored] = store.read_stream(site_stream(site))
    assert "McKinnon" not in stored.data["private"]
    assert "address" not in stored.data and "latitude" not in stored.data
    assert str(HOME.latitude) not in str(stored.data)

    vault.forget(OWNER)
    services.projections.rebuild("registry")
    with services.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT private, cell_row FROM registry_sites")).one()
        assert tuple(row) == (None, None)
        assert near_home(services, conn) == set()


def vars_of(point: Point) -> tuple[float, float]:
    return point.latitude, point.longitude


# --- spatial search against brute force --------------------------------------------------

METRO_CENTERS = [Point(37.7749, -122.4194), Point(37.8044, -122.2712), Point(37.3382, -121.8863)]


def random_sites(rng: random.Random, count: int) -> list[tuple[str, Point]]:
    """Sites clustered around a few city centres, thinning out with distance."""
    sites = []
    for n in range(count):
        center = METRO_CENTERS[n % len(METRO_CENTERS)]
        distance = abs(rng.gauss(0, 4000))
        spot = Geodesic.WGS84.Direct(
            center.latitude, center.longitude, rng.uniform(0, 360), distance
        )
        sites.append((f"s{n:05d}", Point(spot["lat2"], spot["lon2"])))
    return sites


def load_sites(services, sites: list[tuple[str, Point]]) -> None:
    """Append registrations straight to the log (the rules are tested elsewhere), then project."""
    for n, (site_id, point) in enumerate(sites):
        owner = f"owner-{n % 50}"
        registered = e.SiteRegistered(
            site_id,
            owner,
            "home",
            "Home",
            None,
            point.latitude,
            point.longitude,
            "pin",
            None,
            True,
            ["all"],
            False,
        )
        camera = e.CameraAdded(
            site_id, f"{site_id}-cam", "Door", 0.0, 90.0, 20.0, "outdoor", "motion", 14
        )
        events = [to_new_event(services.vault, owner, ev, {}) for ev in (registered, camera)]
        services.store.append(site_stream(site_id), events, NO_STREAM)
    services.projections.catch_up(["registry"])


def brute_force_circle(sites, center: Point, radius: float) -> set[str]:
    """Every site's geodesic distance, skipping only sites too far north or south to matter:
    a meridian is the shortest way between two parallels, at least 110,574 m a degree."""
    geod = Geodesic.WGS84
    return {
        f"{site_id}-cam"
        for site_id, p in sites
        if abs(p.latitude - center.latitude) * 110_574 <= radius
        and geod.Inverse(center.latitude, center.longitude, p.latitude, p.longitude)["s12"]
        <= radius
    }


def brute_force_polygon(sites, corners: list[Point]) -> set[str]:
    """Winding-number test: a different algorithm from the one under test."""

    def winding(p: Point) -> bool:
        total = 0.0
        for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
            angle_a = math.atan2(a.latitude - p.latitude, a.longitude - p.longitude)
            angle_b = math.atan2(b.latitude - p.latitude, b.longitude - p.longitude)
            total += (angle_b - angle_a + math.pi) % (2 * math.pi) - math.pi
        return abs(total) > math.pi

    return {f"{site_id}-cam" for site_id, p in sites if winding(p)}


@pytest.mark.slow
def test_spatial_search_agrees_with_a_brute_force_geodesic_scan_on_ten_thousand_sites(services):
    rng = random.Random(2026)
    sites = random_sites(rng, 10_000)
    load_sites(services, sites)
    vault = services.vault

    with services.engine.connect() as conn:
        for _ in range(30):
            _, anchor = rng.choice(sites)
            center = Point(
                anchor.latitude + rng.gauss(0, 0.002), anchor.longitude + rng.gauss(0, 0.002)
            )
            radius = rng.choice([50.0, 250.0, 800.0, rng.uniform(10, 3000)])
            found = {hit.camera_id for hit in cameras_within(conn, vault, center, radius)}
            assert found == brute_force_circle(sites, center, radius)

        # A circle whose edge passes exactly through a site includes it.
        _, edge_site = sites[17]
        center = METRO_CENTERS[2]
        radius = Geodesic.WGS84.Inverse(
            center.latitude, center.longitude, edge_site.latitude, edge_site.longitude
        )["s12"]
        assert "s00017-cam" in {h.camera_id for h in cameras_within(conn, vault, center, radius)}

        for _ in range(30):
            _, anchor = rng.choice(sites)
            corners = [
                Point(
                    anchor.latitude + 0.01 * math.sin(a) * rng.uniform(0.3, 1),
                    anchor.longitude + 0.012 * math.cos(a) * rng.uniform(0.3, 1),
                )
                for a in sorted(rng.uniform(0, 2 * math.pi) for _ in range(rng.randint(3, 8)))
            ]
            found = {hit.camera_id for hit in cameras_within_polygon(conn, vault, Polygon(corners))}
            assert found == brute_force_polygon(sites, corners)
