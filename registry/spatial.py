"""The spatial index over registered sites: SQLite's R*Tree, or a GiST index of points.

Both answer one question, "which sites lie in this latitude/longitude box", fast; the
search shapes then decide exactly which of those are inside.
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from .geodesy import BoundingBox


class SpatialIndex(Protocol):
    """Keeps the index in step with the sites table, and finds sites in a box."""

    def put(self, conn: sa.Connection, site_key: int, latitude: float, longitude: float) -> None:
        """Index (or move) a site."""

    def remove(self, conn: sa.Connection, site_key: int) -> None:
        """Take a site out of the index."""

    def sites_in_box(self) -> tuple[str, str]:
        """SQL FROM and WHERE clauses that give `registry_sites s` inside the box
        (:south, :west, :north, :east)."""

    def clear(self, conn: sa.Connection) -> None:
        """Empty the index before a rebuild."""


class SQLiteRtree:
    """Sites as points in an R*Tree virtual table keyed by `site_key`."""

    def put(self, conn: sa.Connection, site_key: int, latitude: float, longitude: float) -> None:
        conn.execute(
            sa.text(
                "INSERT OR REPLACE INTO registry_sites_rtree VALUES (:key, :lat, :lat, :lon, :lon)"
            ),
            {"key": site_key, "lat": latitude, "lon": longitude},
        )

    def remove(self, conn: sa.Connection, site_key: int) -> None:
        conn.execute(
            sa.text("DELETE FROM registry_sites_rtree WHERE site_key = :key"), {"key": site_key}
        )

    def sites_in_box(self) -> tuple[str, str]:
        # R*Tree stores 32-bit floats rounded outwards, so no point in the box is missed.
        return (
            "registry_sites_rtree r JOIN registry_sites s ON s.site_key = r.site_key",
            "r.min_lat <= :north AND r.max_lat >= :south"
            " AND r.min_lon <= :east AND r.max_lon >= :west",
        )

    def clear(self, conn: sa.Connection) -> None:
        conn.execute(sa.text("DELETE FROM registry_sites_rtree"))


class PostgresPoints:
    """Sites' `location` point column (x = longitude, y = latitude) under a GiST index."""

    def put(self, conn: sa.Connection, site_key: int, latitude: float, longitude: float) -> None:
        conn.execute(
            sa.text("UPDATE registry_sites SET location = point(:lon, :lat) WHERE site_key = :key"),
            {"key": site_key, "lat": latitude, "lon": longitude},
        )

    def remove(self, conn: sa.Connection, site_key: int) -> None:
        conn.execute(
            sa.text("UPDATE registry_sites SET location = NULL WHERE site_key = :key"),
            {"key": site_key},
        )

    def sites_in_box(self) -> tuple[str, str]:
        return ("registry_sites s", "s.location <@ box(point(:west, :south), point(:east, :north))")

    def clear(self, conn: sa.Connection) -> None:
        """The points live in the sites table, which the projection empties itself."""


def spatial_index_for(dialect_name: str) -> SpatialIndex:
    """The index the database at hand supports."""
    return PostgresPoints() if dialect_name == "postgresql" else SQLiteRtree()


def box_parameters(box: BoundingBox) -> dict[str, float]:
    """A box as the bind parameters `sites_in_box` expects."""
    return {"south": box.south, "west": box.west, "north": box.north, "east": box.east}
