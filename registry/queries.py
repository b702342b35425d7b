"""Read-side questions over the registry's projection: above all, which cameras are near."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from .geodesy import Circle, Point, Polygon
from .projection import cameras, sites
from .spatial import box_parameters, spatial_index_for

SEARCHABLE = ("active",)

_HIT_COLUMNS = (
    "s.site_id, s.status, s.latitude, s.longitude, s.categories, s.contact_for_requests,"
    " s.share_exact_location, c.camera_id, c.label, c.bearing_degrees,"
    " c.field_of_view_degrees, c.range_metres, c.placement, c.recording, c.retention_days"
)


@dataclass(frozen=True, slots=True)
class CameraHit:
    """A registered camera found by a spatial search, with its site's position.

    The position is personal data: it is for computing distances and views, never for
    showing to anyone but the owner.
    """

    site_id: str
    site_status: str
    latitude: float
    longitude: float
    categories: tuple[str, ...]
    contact_for_requests: bool
    share_exact_location: bool
    camera_id: str
    label: str
    bearing_degrees: float
    field_of_view_degrees: float
    range_metres: float
    placement: str
    recording: str
    retention_days: int

    @property
    def position(self) -> Point:
        """Where the camera's site is."""
        return Point(self.latitude, self.longitude)


def cameras_within(
    conn: sa.Connection, center: Point, radius_m: float, statuses: Sequence[str] = SEARCHABLE
) -> list[CameraHit]:
    """Cameras of sites within `radius_m` metres (geodesic) of `center`."""
    return _search(conn, Circle(center, radius_m), statuses)


def cameras_within_polygon(
    conn: sa.Connection, polygon: Polygon, statuses: Sequence[str] = SEARCHABLE
) -> list[CameraHit]:
    """Cameras of sites inside `polygon`."""
    return _search(conn, polygon, statuses)


def _search(
    conn: sa.Connection, shape: Circle | Polygon, statuses: Sequence[str]
) -> list[CameraHit]:
    """Sites in the shape's box from the index, then exactly inside the shape."""
    from_clause, in_box = spatial_index_for(conn.dialect.name).sites_in_box()
    sql = sa.text(
        f"SELECT {_HIT_COLUMNS} FROM {from_clause}"
        " JOIN registry_cameras c ON c.site_id = s.site_id"
        f" WHERE {in_box} AND s.status IN :statuses"
    ).bindparams(sa.bindparam("statuses", expanding=True))
    rows = conn.execute(sql, box_parameters(shape.box) | {"statuses": list(statuses)})
    # A site's rows come together: decide each site once, and decode its consent once.
    inside: dict[str, tuple[str, ...] | None] = {}
    hits = []
    for row in rows:
        site_id = row[0]
        if site_id not in inside:
            inside[site_id] = tuple(json.loads(row[4])) if shape.contains(row[2], row[3]) else None
        categories = inside[site_id]
        if categories is not None:
            hits.append(CameraHit(row[0], row[1], row[2], row[3], categories, *row[5:]))
    return hits


def sites_of_owner(conn: sa.Connection, owner_id: str) -> list[dict[str, Any]]:
    """An owner's sites that have not left the registry, newest first."""
    query = (
        sa.select(sites)
        .where(sites.c.owner_id == owner_id, sites.c.status != "unregistered")
        .order_by(sites.c.registered_at.desc())
    )
    return [dict(row._mapping) for row in conn.execute(query)]


def count_sites_of_owner(conn: sa.Connection, owner_id: str) -> int:
    """How many sites count against the owner's limit."""
    query = sa.select(sa.func.count()).where(
        sites.c.owner_id == owner_id, sites.c.status != "unregistered"
    )
    return int(conn.execute(query).scalar_one())


def cameras_of_site(conn: sa.Connection, site_id: str) -> list[dict[str, Any]]:
    """A site's cameras, by label."""
    query = sa.select(cameras).where(cameras.c.site_id == site_id).order_by(cameras.c.label)
    return [dict(row._mapping) for row in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class CoverageCell:
    """A square of the public map: how many sites and cameras lie in it."""

    south: float
    west: float
    size: float
    sites: int
    cameras: int


def coverage_cells(
    conn: sa.Connection,
    south: float,
    west: float,
    north: float,
    east: float,
    cell_degrees: float,
    minimum_sites: int = 3,
) -> list[CoverageCell]:
    """Counts of active sites and their cameras per grid cell in a box.

    Cells with fewer than `minimum_sites` sites are left out, so that no count points at a
    single home; no position finer than a cell ever leaves this function.
    """
    query = sa.text(
        "SELECT s.latitude, s.longitude, count(c.camera_id) FROM registry_sites s"
        " LEFT JOIN registry_cameras c ON c.site_id = s.site_id"
        " WHERE s.status = 'active' AND s.latitude BETWEEN :south AND :north"
        " AND s.longitude BETWEEN :west AND :east"
        " GROUP BY s.site_id, s.latitude, s.longitude"
    )
    cells: dict[tuple[int, int], list[int]] = {}
    parameters = {"south": south, "north": north, "west": west, "east": east}
    for latitude, longitude, camera_count in conn.execute(query, parameters):
        key = (math.floor(latitude / cell_degrees), math.floor(longitude / cell_degrees))
        counts = cells.setdefault(key, [0, 0])
        counts[0] += 1
        counts[1] += camera_count
    return [
        CoverageCell(row * cell_degrees, col * cell_degrees, cell_degrees, n_sites, n_cameras)
        for (row, col), (n_sites, n_cameras) in sorted(cells.items())
        if n_sites >= minimum_sites
    ]
