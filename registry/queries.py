"""Read-side questions over the registry's projection: above all, which cameras are near.

Exact positions are sealed: a search takes the sites of the cells that cover the shape
(a B-tree range on the cell in clear, one on each side of the 180th meridian for a shape
across it), opens their positions in memory, and keeps those exactly inside the shape.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from events_store.errors import DecryptionError
from events_store.sealing import open_row
from events_store.vault import KeyVault

from .cells import Cell, cell_of, cells_covering
from .geodesy import Circle, Point, Polygon
from .projection import SITES, cameras, opened_camera, opened_site, sites

SEARCHABLE = ("active",)
_CHUNK = 500  # ids per IN (...) list, well under every backend's limit of bound values

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CameraHit:
    """A registered camera found by a spatial search, with its site's position.

    The position is personal data: it is for computing distances and views, never for
    showing to anyone but the owner. A search never opens the camera's label (`label` is
    None): investigators are not to know what the owner calls it.
    """

    site_id: str
    site_status: str
    latitude: float
    longitude: float
    categories: tuple[str, ...]
    contact_for_requests: bool
    share_exact_location: bool
    camera_id: str
    bearing_degrees: float
    field_of_view_degrees: float
    range_metres: float
    placement: str
    recording: str
    retention_days: int
    label: str | None = None

    @property
    def position(self) -> Point:
        """Where the camera's site is."""
        return Point(self.latitude, self.longitude)

    @property
    def cell(self) -> Cell:
        """The coarse cell the site lies in: what may be told without the owner's consent."""
        return cell_of(self.latitude, self.longitude)


def cameras_within(
    conn: sa.Connection,
    vault: KeyVault,
    center: Point,
    radius_m: float,
    statuses: Sequence[str] = SEARCHABLE,
) -> list[CameraHit]:
    """Cameras of sites within `radius_m` metres (geodesic) of `center`."""
    return _search(conn, vault, Circle(center, radius_m), statuses)


def cameras_within_polygon(
    conn: sa.Connection, vault: KeyVault, polygon: Polygon, statuses: Sequence[str] = SEARCHABLE
) -> list[CameraHit]:
    """Cameras of sites inside `polygon`."""
    return _search(conn, vault, polygon, statuses)


@dataclass(frozen=True, slots=True)
class _Site:
    site_id: str
    status: str
    latitude: float
    longitude: float
    categories: tuple[str, ...]
    contact_for_requests: bool
    share_exact_location: bool


def _search(
    conn: sa.Connection, vault: KeyVault, shape: Circle | Polygon, statuses: Sequence[str]
) -> list[CameraHit]:
    """Sites of the cells covering the shape, then exactly inside it, with their cameras."""
    inside = {site.site_id: site for site in _sites_in_cells(conn, vault, shape, statuses)}
    hits = []
    for ids in _chunks(sorted(inside)):
        query = (
            sa.select(cameras)
            .where(cameras.c.site_id.in_(ids))
            .order_by(cameras.c.site_id, cameras.c.camera_id)
        )
        for camera in conn.execute(query):
            site = inside[camera.site_id]
            hits.append(
                CameraHit(
                    site.site_id, site.status, site.latitude, site.longitude, site.categories,
                    site.contact_for_requests, site.share_exact_location, camera.camera_id,
                    camera.bearing_degrees, camera.field_of_view_degrees, camera.range_metres,
                    camera.placement, camera.recording, camera.retention_days,
                )
            )  # fmt: skip
    return hits


def _sites_in_cells(
    conn: sa.Connection, vault: KeyVault, shape: Circle | Polygon, statuses: Sequence[str]
) -> Iterator[_Site]:
    # A shape across the 180th meridian has a box on each side: one range of cells each.
    ranges = [cells_covering(part) for part in shape.box.parts()]
    query = sa.select(
        sites.c.site_id, sites.c.status, sites.c.private, sites.c.categories,
        sites.c.contact_for_requests, sites.c.share_exact_location,
    ).where(
        sa.or_(*(
            sa.and_(
                sites.c.cell_row.between(cells.first_row, cells.last_row),
                sites.c.cell_col.between(cells.first_col, cells.last_col),
            )
            for cells in ranges
        )),
        sites.c.status.in_(list(statuses)),
    )  # fmt: skip
    for row in conn.execute(query):
        place = _position(vault, row.private, row.site_id)
        if place is not None and shape.contains(*place):
            yield _Site(
                row.site_id, row.status, place[0], place[1], tuple(json.loads(row.categories)),
                row.contact_for_requests, row.share_exact_location,
            )  # fmt: skip


def _position(vault: KeyVault, sealed: str | None, site_id: str) -> tuple[float, float] | None:
    """A site's exact position, or None once its owner is forgotten."""
    try:
        opened = open_row(vault, sealed, SITES, site_id)
    except DecryptionError:
        # An altered or moved value: leave the site out, and say so without its content.
        log.warning("the sealed place of site %s does not open; left out of a search", site_id)
        return None
    if not opened or opened.get("latitude") is None or opened.get("longitude") is None:
        return None
    return float(opened["latitude"]), float(opened["longitude"])


def _chunks(ids: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def sites_of_owner(conn: sa.Connection, vault: KeyVault, owner_id: str) -> list[dict[str, Any]]:
    """An owner's sites that have not left the registry, newest first, opened for them."""
    query = (
        sa.select(sites)
        .where(sites.c.owner_id == owner_id, sites.c.status != "unregistered")
        .order_by(sites.c.registered_at.desc(), sites.c.site_id)
    )
    return [opened_site(vault, dict(row._mapping)) for row in conn.execute(query)]


def count_sites_of_owner(conn: sa.Connection, owner_id: str) -> int:
    """How many sites count against the owner's limit."""
    query = sa.select(sa.func.count()).where(
        sites.c.owner_id == owner_id, sites.c.status != "unregistered"
    )
    return int(conn.execute(query).scalar_one())


def cameras_of_site(conn: sa.Connection, vault: KeyVault, site_id: str) -> list[dict[str, Any]]:
    """A site's cameras, opened for its owner, by label."""
    query = sa.select(cameras).where(cameras.c.site_id == site_id)
    opened = [opened_camera(vault, dict(row._mapping)) for row in conn.execute(query)]
    return sorted(opened, key=lambda camera: (camera["label"] or "", camera["camera_id"]))


def camera_labels(
    conn: sa.Connection, vault: KeyVault, camera_ids: Sequence[str]
) -> dict[str, str]:
    """The owner's own names for these cameras (removed or erased ones left out): for
    writing to that owner, never for showing to anyone else."""
    labels: dict[str, str] = {}
    for ids in _chunks(list(camera_ids)):
        for row in conn.execute(sa.select(cameras).where(cameras.c.camera_id.in_(ids))):
            label = opened_camera(vault, dict(row._mapping))["label"]
            if label is not None:
                labels[row.camera_id] = label
    return labels
