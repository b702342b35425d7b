"""Spatial search over a large registry, beside a brute-force scan in the same run.

    python -m bench.registry [--cameras N] [--queries N] [--backends sqlite postgres]

Fills the registry's read model with N cameras (default 1,000,000): 70% around the thirty
largest US metro areas in proportion to their population, the rest anywhere in the
continental United States, their places sealed as the projection seals them. Then it times
`cameras_within` (cells in clear, positions opened in memory) for 250 m and 800 m circles
around random points of the metro areas, and a scan of every site for the same circles.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from events_store.database import create_engine
from events_store.keystore import FileKeyStore
from events_store.sealing import seal_row
from events_store.vault import KeyVault
from registry.cells import cell_of
from registry.geodesy import Circle, Point
from registry.projection import CAMERAS, SITES
from registry.queries import cameras_within

from . import common

# The thirty largest US metro areas: centre and population in millions. Cameras are
# shared out in proportion to population, spread around each centre with a standard
# deviation that grows with the area's size.
METRO_POPULATIONS = [
    (40.7128, -74.0060, 19.5),
    (34.0522, -118.2437, 13.0),
    (41.8781, -87.6298, 9.4),
    (32.7767, -96.7970, 7.6),
    (29.7604, -95.3698, 7.1),
    (38.9072, -77.0369, 6.3),
    (39.9526, -75.1652, 6.2),
    (25.7617, -80.1918, 6.1),
    (33.7490, -84.3880, 6.1),
    (42.3601, -71.0589, 4.9),
    (33.4484, -112.0740, 4.8),
    (37.7749, -122.4194, 4.7),
    (33.9806, -117.3755, 4.6),
    (42.3314, -83.0458, 4.4),
    (47.6062, -122.3321, 4.0),
    (44.9778, -93.2650, 3.7),
    (32.7157, -117.1611, 3.3),
    (27.9506, -82.4572, 3.2),
    (39.7392, -104.9903, 2.9),
    (38.6270, -90.1994, 2.8),
    (39.2904, -76.6122, 2.8),
    (35.2271, -80.8431, 2.7),
    (28.5383, -81.3792, 2.7),
    (29.4241, -98.4936, 2.6),
    (45.5152, -122.6784, 2.5),
    (38.5816, -121.4944, 2.4),
    (40.4406, -79.9959, 2.4),
    (36.1699, -115.1398, 2.3),
    (30.2672, -97.7431, 2.3),
    (39.1031, -84.5120, 2.2),
]
METROS = [
    (Point(lat, lon), 8_000 * math.sqrt(population / 2), population)
    for lat, lon, population in METRO_POPULATIONS
]
NATIONAL_SHARE = 0.3  # the rest: anywhere in the continental United States
CAMERAS_PER_SITE = (1, 1, 1, 2, 2, 3)  # a mean of about 1.7


def synthetic_sites(count_cameras: int, rng: random.Random) -> Iterator[tuple[float, float, int]]:
    """(latitude, longitude, cameras) for sites until `count_cameras` cameras exist."""
    made = 0
    while made < count_cameras:
        cameras = min(rng.choice(CAMERAS_PER_SITE), count_cameras - made)
        made += cameras
        if rng.random() < NATIONAL_SHARE:
            yield rng.uniform(25.0, 49.0), rng.uniform(-124.0, -67.0), cameras
            continue
        center, spread, _ = rng.choices(METROS, weights=[m[2] for m in METROS])[0]
        distance = abs(rng.gauss(0, spread))
        bearing = math.radians(rng.uniform(0, 360))
        lat = center.latitude + distance * math.cos(bearing) / 111_132
        lon = center.longitude + distance * math.sin(bearing) / (
            111_320 * math.cos(math.radians(center.latitude))
        )
        yield lat, lon, cameras


OWNERS = 1000  # sites share owners, as a city's residents and businesses would


def fill(
    engine: sa.Engine, vault: KeyVault, count_cameras: int, seed: int
) -> list[tuple[float, float]]:
    """Write the read model directly, sealed as the projection seals it (this measures
    searching, not registering)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    points: list[tuple[float, float]] = []
    site_sql = sa.text(
        "INSERT INTO registry_sites (site_id, owner_id, kind, status, cell_row, cell_col,"
        " private, contact_for_requests, categories, share_exact_location, registered_at,"
        " updated_at) VALUES (:site_id, :owner, 'home', 'active', :row, :col, :private,"
        " true, '[\"all\"]', false, :now, :now)"
    )
    camera_sql = sa.text(
        "INSERT INTO registry_cameras (camera_id, site_id, private, bearing_degrees,"
        " field_of_view_degrees, range_metres, placement, recording, retention_days,"
        " updated_at) VALUES (:camera_id, :site_id, :private, :bearing, 90, 30,"
        " 'outdoor', 'continuous', :days, :now)"
    )
    sites: list[dict[str, Any]] = []
    cameras: list[dict[str, Any]] = []

    def flush() -> None:
        with engine.begin() as conn:
            conn.execute(site_sql, sites)
            conn.execute(camera_sql, cameras)
        sites.clear()
        cameras.clear()

    for key, (lat, lon, count) in enumerate(synthetic_sites(count_cameras, rng), start=1):
        site_id, owner = f"site-{key}", f"owner-{key % OWNERS}"
        cell = cell_of(lat, lon)
        place = {"label": "Home", "address": None, "latitude": lat, "longitude": lon,
                 "location_source": "pin"}  # fmt: skip
        sites.append(
            {
                "site_id": site_id,
                "owner": owner,
                "row": cell.row,
                "col": cell.col,
                "private": seal_row(vault, owner, SITES, site_id, place),
                "now": now,
            }
        )
        for n in range(count):
            camera_id = f"{site_id}-{n}"
            cameras.append(
                {
                    "camera_id": camera_id,
                    "site_id": site_id,
                    "private": seal_row(vault, owner, CAMERAS, camera_id, {"label": "Camera"}),
                    "bearing": rng.uniform(0, 360),
                    "days": rng.choice((7, 14, 30)),
                    "now": now,
                }
            )
        points.append((lat, lon))
        if len(sites) >= 20_000:
            flush()
    flush()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("ANALYZE registry_sites"))
            conn.execute(sa.text("ANALYZE registry_cameras"))
    return points


def metro_centers(rng: random.Random, count: int) -> list[Point]:
    """Query points: random places within the metro areas."""
    centers = []
    for _ in range(count):
        center, spread, _ = rng.choices(METROS, weights=[m[2] for m in METROS])[0]
        d = abs(rng.gauss(0, spread))
        b = math.radians(rng.uniform(0, 360))
        centers.append(
            Point(
                center.latitude + d * math.cos(b) / 111_132,
                center.longitude + d * math.sin(b) / 85_000,
            )
        )
    return centers


def time_queries(
    engine: sa.Engine, vault: KeyVault, centers: list[Point], radius: float
) -> dict[str, Any]:
    timings, hits = [], []
    with engine.connect().execution_options(read_only=True) as conn:
        for center in centers:
            started = time.perf_counter()
            found = cameras_within(conn, vault, center, radius)
            timings.append(time.perf_counter() - started)
            hits.append(len(found))
    return _summary(timings) | {"mean_cameras_found": round(statistics.mean(hits), 1)}


def brute_force(points: list[tuple[float, float]], centers: list[Point], radius: float) -> dict:
    """The same question answered by testing every site's position, without an index."""
    timings = []
    for center in centers:
        circle = Circle(center, radius)
        started = time.perf_counter()
        sum(1 for lat, lon in points if circle.contains(lat, lon))
        timings.append(time.perf_counter() - started)
    return _summary(timings)


def _summary(timings: list[float]) -> dict[str, Any]:
    ordered = sorted(timings)
    return {
        "queries": len(ordered),
        "p50_ms": round(ordered[len(ordered) // 2] * 1e3, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e3, 3),
    }


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    with (
        common.migrated_database(backend, "registry") as url,
        tempfile.TemporaryDirectory() as keys,
    ):
        engine = create_engine(url)
        vault = KeyVault(engine, KeyVault.generate_master_key(), FileKeyStore(Path(keys)))
        started = time.perf_counter()
        points = fill(engine, vault, args.cameras, seed=11)
        loaded = time.perf_counter() - started
        rng = random.Random(5)
        result: dict[str, Any] = {"sites": len(points), "load_seconds": round(loaded, 1)}
        for radius in (250.0, 800.0):
            centers = metro_centers(rng, args.queries)
            result[f"{int(radius)}m"] = {
                "indexed": time_queries(engine, vault, centers, radius),
                "brute_force": brute_force(points, centers[: args.brute_force_queries], radius),
            }
        engine.dispose()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--brute-force-queries", type=int, default=10)
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres"], choices=["sqlite", "postgres"]
    )
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "registry",
        "machine": common.machine()
        | {"postgres": common.postgres_version(common.postgres_base_url())},
        "cameras": args.cameras,
        "target": "p99 under 5 ms for 250 m at 1,000,000 cameras on SQLite",
        "results": {},
    }
    for backend in args.backends:
        if backend == "postgres" and report["machine"]["postgres"] is None:
            report["results"][backend] = {"skipped": "PostgreSQL is not reachable"}
            continue
        print(f"measuring {backend} ...", file=sys.stderr)
        report["results"][backend] = measure(backend, args)
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
