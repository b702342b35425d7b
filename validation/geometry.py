"""Whether a drawn area is a simple polygon: corners in range, none repeated, no edge
crossing another; each problem names the corner to fix."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import shapely
from shapely.geometry import LineString, Point
from shapely.geometry import Polygon as Shape

from registry.geodesy import Point as GeoPoint
from registry.geodesy import Polygon as GeoPolygon

_WHERE = re.compile(r"\[(-?[\d.e+-]+) (-?[\d.e+-]+)\]")


def polygon_problem(corners: Sequence[Sequence[float]]) -> str | None:
    """What is wrong with corners given as (latitude, longitude), or None when it is simple."""
    for number, corner in enumerate(corners, 1):
        if problem := _corner_problem(number, corner):
            return problem
    points = [(float(lat), float(lon)) for lat, lon in corners]
    if len(points) < 3:
        return "Draw at least 3 corners."
    seen: dict[tuple[float, float], int] = {}
    for number, point in enumerate(points, 1):
        if point in seen:
            return f"Corner {number} repeats corner {seen[point]}: give each corner once."
        seen[point] = number
    return _crossing(points)


def _corner_problem(number: int, corner: Sequence[float]) -> str | None:
    if len(corner) != 2 or not all(_finite(value) for value in corner):
        return f"Corner {number} must be a latitude and a longitude."
    latitude, longitude = corner
    if not -90 <= latitude <= 90:
        return f"Corner {number}: the latitude must be from -90 to 90."
    if not -180 <= longitude <= 180:
        return f"Corner {number}: the longitude must be from -180 to 180."
    return None


def _crossing(points: list[tuple[float, float]]) -> str | None:
    # Checked on the outline the search and the area rule use: each edge the short way
    # round (across the 180th meridian where that is shorter), round a pole closed along it.
    try:
        outline = GeoPolygon([GeoPoint(lat, lon) for lat, lon in points]).outline
    except ValueError:
        return "The corners must not go round the world: draw a smaller area."
    ring = [(lon, lat) for lat, lon in outline]
    corners = len(points)
    shape = Shape(ring)
    if shape.convex_hull.area == 0:
        return "The corners lie on one line: they must enclose an area."
    reason = shapely.is_valid_reason(shape)
    if reason == "Valid Geometry":
        return None if shape.area > 0 else "The corners must enclose an area."
    where = _WHERE.search(reason)
    if where is None:
        return "The corners must enclose an area, with no edge crossing another."
    spot = Point(float(where.group(1)), float(where.group(2)))
    at_corner = [n for n, xy in enumerate(ring[:corners], 1) if spot.distance(Point(xy)) < 1e-12]
    edges = [
        n
        for n in range(1, corners + 1)
        if LineString([ring[n - 1], ring[n % len(ring)]]).distance(spot) < 1e-9
    ]
    if at_corner:
        return (
            f"The outline touches itself at corner {at_corner[0]}: "
            "draw the corners in order around the area, without crossing."
        )
    named = " and ".join(f"from corner {n} to corner {n % corners + 1}" for n in edges[:2])
    return f"The edges {named} cross: draw the corners in order around the area, without crossing."


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
