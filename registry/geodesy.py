"""Distances, bearings and areas on the WGS84 ellipsoid, and the shapes searches use.

Exact figures come from Karney's geodesic algorithm (geographiclib, the engine behind
geopy's `geodesic`), accurate to nanometres.
Spatial searches first decide most points with a local flat-earth estimate whose error is
far below the margin they allow, and fall back to the exact geodesic near the boundary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from geographiclib.geodesic import Geodesic

_GEOD = Geodesic.WGS84
WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)

# The flat estimate is trusted only this far from the circle's edge (relative), a margin
# hundreds of times its own error at canvass scales (a few kilometres).
ESTIMATE_MARGIN = 1e-3


@dataclass(frozen=True, slots=True)
class Point:
    """A WGS84 position in degrees."""

    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90.0 <= self.latitude <= 90.0) or math.isnan(self.latitude):
            raise ValueError("latitude must be between -90 and 90 degrees")
        if not (-180.0 <= self.longitude <= 180.0) or math.isnan(self.longitude):
            raise ValueError("longitude must be between -180 and 180 degrees")


@dataclass(frozen=True, slots=True)
class BoundingBox:
    """A latitude/longitude rectangle that contains a search shape."""

    south: float
    west: float
    north: float
    east: float


def distance_m(a: Point, b: Point) -> float:
    """Geodesic distance in metres."""
    result = _GEOD.Inverse(a.latitude, a.longitude, b.latitude, b.longitude, Geodesic.DISTANCE)
    return float(result["s12"])


def bearing_degrees(a: Point, b: Point) -> float:
    """Initial compass bearing from `a` towards `b`, 0 to 360 degrees clockwise from north."""
    result = _GEOD.Inverse(a.latitude, a.longitude, b.latitude, b.longitude, Geodesic.AZIMUTH)
    return float(result["azi1"]) % 360.0


def metres_per_degree(latitude: float) -> tuple[float, float]:
    """Metres per degree of latitude and of longitude at a latitude (local radii)."""
    phi = math.radians(latitude)
    w = 1 - WGS84_E2 * math.sin(phi) ** 2
    meridional = WGS84_A * (1 - WGS84_E2) / w**1.5
    prime_vertical = WGS84_A / math.sqrt(w)
    return math.radians(meridional), math.radians(prime_vertical * math.cos(phi))


def circle_box(center: Point, radius_m: float) -> BoundingBox:
    """A rectangle that surely contains every point within `radius_m` of `center`."""
    lat_m, lon_m = metres_per_degree(center.latitude)
    padding = 1.01  # the local radii change across the circle; this more than covers it
    dlat = radius_m * padding / lat_m
    dlon = min(180.0, radius_m * padding / max(lon_m, 1e-9))
    return BoundingBox(
        max(-90.0, center.latitude - dlat),
        center.longitude - dlon,
        min(90.0, center.latitude + dlat),
        center.longitude + dlon,
    )


class Circle:
    """Points within a geodesic distance of a centre, decided exactly."""

    def __init__(self, center: Point, radius_m: float) -> None:
        if not radius_m > 0:
            raise ValueError("a search radius must be more than 0 metres")
        self.center = center
        self.radius_m = radius_m
        self.box = circle_box(center, radius_m)
        self._lat_m, self._lon_m = metres_per_degree(center.latitude)

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether the point is within the radius (inclusive), by the exact geodesic."""
        estimate = math.hypot(
            (latitude - self.center.latitude) * self._lat_m,
            (longitude - self.center.longitude) * self._lon_m,
        )
        if estimate < self.radius_m * (1 - ESTIMATE_MARGIN):
            return True
        if estimate > self.radius_m * (1 + ESTIMATE_MARGIN):
            return False
        return distance_m(self.center, Point(latitude, longitude)) <= self.radius_m


class Polygon:
    """Points inside a simple polygon of latitude/longitude vertices (even-odd rule).

    Whether an outline is simple is checked where it comes in (validation.geometry): a
    self-crossing one's lobes' areas would cancel out in `area_m2`."""

    def __init__(self, vertices: Sequence[Point]) -> None:
        if len(vertices) < 3:
            raise ValueError("a polygon needs at least three corners")
        self.vertices = list(vertices)
        latitudes = [v.latitude for v in vertices]
        longitudes = [v.longitude for v in vertices]
        self.box = BoundingBox(min(latitudes), min(longitudes), max(latitudes), max(longitudes))

    def contains(self, latitude: float, longitude: float) -> bool:
        """Ray casting along the latitude; a point on an edge counts as inside."""
        inside = False
        vertices = self.vertices
        j = len(vertices) - 1
        for i, vi in enumerate(vertices):
            vj = vertices[j]
            yi, xi, yj, xj = vi.latitude, vi.longitude, vj.latitude, vj.longitude
            if _on_segment(latitude, longitude, yi, xi, yj, xj):
                return True
            if (yi > latitude) != (yj > latitude):
                crossing = xi + (latitude - yi) * (xj - xi) / (yj - yi)
                if longitude < crossing:
                    inside = not inside
            j = i
        return inside

    def area_m2(self) -> float:
        """Geodesic area enclosed, in square metres."""
        polygon = _GEOD.Polygon()
        for vertex in self.vertices:
            polygon.AddPoint(vertex.latitude, vertex.longitude)
        _, _, area = polygon.Compute(False, True)
        return abs(float(area))


def _on_segment(y: float, x: float, y1: float, x1: float, y2: float, x2: float) -> bool:
    cross = (x - x1) * (y2 - y1) - (y - y1) * (x2 - x1)
    if abs(cross) > 1e-12:
        return False
    return min(x1, x2) <= x <= max(x1, x2) and min(y1, y2) <= y <= max(y1, y2)


def polygon_from_geojson(geometry: object) -> Polygon:
    """A Polygon from a GeoJSON Polygon geometry (or its outer ring), in lon/lat order."""
    ring = geometry.get("coordinates", [None])[0] if isinstance(geometry, dict) else geometry
    if not isinstance(ring, list) or len(ring) < 4:
        raise ValueError("a GeoJSON polygon needs a closed ring of at least four positions")
    return Polygon([Point(float(lat), float(lon)) for lon, lat, *_ in ring[:-1]])
