"""Distances, bearings and areas on the WGS84 ellipsoid, and the shapes searches use.

Exact figures come from Karney's geodesic algorithm (geographiclib, the engine behind
geopy's `geodesic`), accurate to nanometres.
A circle decides most points with two bounds on the geodesic distance that hold for any
two points (`distance_bounds`), and computes the exact geodesic only for the points the
bounds leave open: those within a thin ring at its edge, or every point of a circle that
reaches a pole. Longitudes wrap: a shape across the 180th meridian covers both sides, and
its box is split there (`BoundingBox.parts`).
A polygon's edges are straight lines in latitude and longitude, each the short way round
(less than 180 degrees of longitude), in the search, the drawing check and the area alike.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from geographiclib.geodesic import Geodesic

_GEOD = Geodesic.WGS84
WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
WGS84_E = math.sqrt(WGS84_E2)
# The smallest radius of curvature along a meridian (at the equator): no path of length s
# changes latitude by more than s / _M_EQUATOR radians.
_M_EQUATOR = WGS84_A * (1 - WGS84_E2)
_RAD = math.pi / 180
# The bounds are computed in floating point: a point decided by them must clear the
# radius by this much (relative, a million times the rounding) and by _CLEAR metres (three
# times the geodesic's own error of 15 nm), else the geodesic decides.
_SLACK = 1e-9
_CLEAR = 5e-8
_PIECE_M = 25.0  # how finely `Polygon.reach_from` follows the edges


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
    """A latitude/longitude rectangle that contains a search shape.

    West and east may lie beyond -180 or 180 for a shape across the 180th meridian (west is
    then below -180 or east above 180); `parts` gives the same area as boxes within range."""

    south: float
    west: float
    north: float
    east: float

    def parts(self) -> list[BoundingBox]:
        """The box as boxes with longitudes from -180 to 180, split at 180. A part that
        reaches -180 comes with the line of 180 too, and the other way round: positions on
        the 180th meridian may be written either way."""
        south, north = self.south, self.north
        if self.east - self.west >= 360:
            return [BoundingBox(south, -180.0, north, 180.0)]
        west = wrap_longitude(self.west)
        east = west + (self.east - self.west)
        if east < 180:
            parts = [BoundingBox(south, west, north, east)]
        else:
            parts = [BoundingBox(south, west, north, 180.0)]
            parts.append(BoundingBox(south, -180.0, north, east - 360))
        if parts[0].west == -180 and parts[-1].east < 180:
            parts.append(BoundingBox(south, 180.0, north, 180.0))
        return parts


def wrap_longitude(longitude: float) -> float:
    """The same meridian as a longitude from -180 (inclusive) to 180 (exclusive)."""
    return (longitude + 180.0) % 360.0 - 180.0


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
    meridional, parallel = _radii(math.radians(latitude))
    return meridional * _RAD, parallel * _RAD


def _radii(phi: float) -> tuple[float, float]:
    """The meridian's radius of curvature M and the parallel's radius p = N cos(phi), in
    metres, at a latitude in radians. M grows and p shrinks as |phi| grows."""
    w = 1 - WGS84_E2 * math.sin(phi) ** 2
    return _M_EQUATOR / w**1.5, WGS84_A * math.cos(phi) / math.sqrt(w)


def _extremes(low: float, high: float) -> tuple[float, float, float, float]:
    """The least and greatest M and p over latitudes low..high (radians): M_min, M_max,
    p_min, p_max."""
    nearest = 0.0 if low <= 0 <= high else min(abs(low), abs(high))
    farthest = max(abs(low), abs(high))
    m_min, p_max = _radii(nearest)
    m_max, p_min = _radii(farthest)
    return m_min, m_max, max(p_min, 0.0), p_max


def distance_bounds(a: Point, b: Point) -> tuple[float, float]:
    """A lower and an upper bound on the geodesic distance in metres, without the geodesic.

    The upper bound is the length of the path straight in latitude and longitude (the short
    way), at most the greatest radii between the two latitudes times the steps. The lower
    bound: a path no longer than the upper bound stays within half its length (over M at
    the equator, the least M) of the two latitudes' middle, and there the metric is at
    least the least radii of that band; its step in longitude is at least the wrapped one.
    Where that band reaches a pole, the lower bound is only the step in latitude."""
    phi_a, phi_b = a.latitude * _RAD, b.latitude * _RAD
    dphi = abs(phi_b - phi_a)
    dlam = abs(wrap_longitude(b.longitude - a.longitude)) * _RAD
    _, m_max, _, p_max = _extremes(min(phi_a, phi_b), max(phi_a, phi_b))
    upper = math.hypot(m_max * dphi, p_max * dlam) * (1 + _SLACK) + _CLEAR
    reach = upper / (2 * _M_EQUATOR)
    middle = (phi_a + phi_b) / 2
    if abs(middle) + reach >= math.pi / 2:
        return max(0.0, _M_EQUATOR * dphi * (1 - _SLACK) - _CLEAR), upper
    m_min, _, p_min, _ = _extremes(middle - reach, middle + reach)
    return max(0.0, math.hypot(m_min * dphi, p_min * dlam) * (1 - _SLACK) - _CLEAR), upper


def circle_box(center: Point, radius_m: float) -> BoundingBox:
    """A rectangle that surely contains every point within `radius_m` of `center`: no path
    of that length leaves the band of latitudes it can reach, nor, within that band, goes
    further in longitude than the radius over the band's least parallel radius. Across a
    pole the box takes every longitude."""
    phi = center.latitude * _RAD
    reach = radius_m / _M_EQUATOR * (1 + _SLACK)
    low, high = phi - reach, phi + reach
    south, north = max(-90.0, low / _RAD), min(90.0, high / _RAD)
    if high >= math.pi / 2 or low <= -math.pi / 2:
        return BoundingBox(south, -180.0, north, 180.0)
    _, _, p_min, _ = _extremes(low, high)
    dlon = radius_m / p_min / _RAD * (1 + _SLACK)
    if dlon >= 180:
        return BoundingBox(south, -180.0, north, 180.0)
    return BoundingBox(south, center.longitude - dlon, north, center.longitude + dlon)


class Circle:
    """Points within a geodesic distance of a centre, decided exactly.

    Over the band of latitudes a path of the radius's length can reach, the radii of
    curvature lie between their least and greatest values; with the steps in latitude and
    (wrapped) longitude they bound the geodesic from above and below (`distance_bounds`,
    with the band fixed once per circle). A point the bounds do not settle, and every point
    of a circle whose band reaches a pole, is decided by the exact geodesic."""

    def __init__(self, center: Point, radius_m: float) -> None:
        if not radius_m > 0:
            raise ValueError("a search radius must be more than 0 metres")
        self.center = center
        self.radius_m = radius_m
        self.box = circle_box(center, radius_m)
        phi = center.latitude * _RAD
        reach = radius_m / _M_EQUATOR * (1 + _SLACK)
        self._exact_only = abs(phi) + reach >= math.pi / 2
        m_min, m_max, p_min, p_max = _extremes(phi - reach, phi + reach)
        # In metres per degree, squared: sum with squared steps in degrees.
        self._inner = ((m_max * _RAD) ** 2, (p_max * _RAD) ** 2)
        self._outer = ((m_min * _RAD) ** 2, (p_min * _RAD) ** 2)
        self._surely_in = max(0.0, radius_m * (1 - _SLACK) - _CLEAR) ** 2
        self._surely_out = (radius_m * (1 + _SLACK) + _CLEAR) ** 2

    def contains(self, latitude: float, longitude: float) -> bool:
        """Whether the point is within the radius (inclusive), by the exact geodesic."""
        if not self._exact_only:
            dlat = latitude - self.center.latitude
            dlon = (longitude - self.center.longitude + 180.0) % 360.0 - 180.0
            lat2, lon2 = dlat * dlat, dlon * dlon
            # A point beyond the band in latitude fails the first test: M_max >= M_equator.
            if self._inner[0] * lat2 + self._inner[1] * lon2 <= self._surely_in:
                return True
            if self._outer[0] * lat2 + self._outer[1] * lon2 > self._surely_out:
                return False
        return distance_m(self.center, Point(latitude, longitude)) <= self.radius_m

    def reaches(self, box: BoundingBox) -> bool:
        """Whether some point of the box (a small one, within -180 to 180, as a cell's) is
        within the radius.

        The box's point nearest the centre in latitude and longitude is tried first. When it
        is outside, the lower bound over the whole box settles most boxes; the rest by the
        least geodesic distance along the box's edges (a box that does not hold the centre
        has its nearest point on its outline)."""
        center = self.center
        latitude = min(max(center.latitude, box.south), box.north)
        middle = (box.west + box.east) / 2
        center_longitude = middle + wrap_longitude(center.longitude - middle)
        longitude = min(max(center_longitude, box.west), box.east)
        if self.contains(latitude, wrap_longitude(longitude)):
            return True
        if not self._exact_only:
            dlat, dlon = latitude - center.latitude, longitude - center_longitude
            if self._outer[0] * dlat * dlat + self._outer[1] * dlon * dlon > self._surely_out:
                return False
        corners = [
            (box.south, box.west),
            (box.south, box.east),
            (box.north, box.east),
            (box.north, box.west),
        ]
        return any(
            self._least_along(a, b) <= self.radius_m
            for a, b in zip(corners, [*corners[1:], corners[0]], strict=True)
        )

    def _least_along(self, a: tuple[float, float], b: tuple[float, float]) -> float:
        """The least geodesic distance from the centre to the straight edge from a to b,
        by golden-section search (the distance has one minimum along so short an edge)."""

        def far(t: float) -> float:
            latitude = a[0] + (b[0] - a[0]) * t
            longitude = wrap_longitude(a[1] + (b[1] - a[1]) * t)
            return distance_m(self.center, Point(latitude, longitude))

        low, high = 0.0, 1.0
        ratio = (math.sqrt(5) - 1) / 2
        x1, x2 = high - ratio * (high - low), low + ratio * (high - low)
        f1, f2 = far(x1), far(x2)
        for _ in range(60):
            if f1 <= f2:
                high, x2, f2 = x2, x1, f1
                x1 = high - ratio * (high - low)
                f1 = far(x1)
            else:
                low, x1, f1 = x1, x2, f2
                x2 = low + ratio * (high - low)
                f2 = far(x2)
        return min(far(0.0), far(1.0), f1, f2)


class Polygon:
    """Points inside a simple polygon of latitude/longitude vertices (even-odd rule).

    Each edge is the straight line in latitude and longitude between its corners, the short
    way round: an edge whose corners are more than 180 degrees of longitude apart crosses
    the 180th meridian (one between a corner on -180 and one on 180 runs as written, so a
    box of the whole world stays one). An outline that goes round a pole encloses that pole
    (the one nearer its corners): it is closed along the pole.
    Whether an outline is simple is checked where it comes in (validation.geometry): a
    self-crossing one's lobes' areas would cancel out in `area_m2`."""

    def __init__(self, vertices: Sequence[Point]) -> None:
        if len(vertices) < 3:
            raise ValueError("a polygon needs at least three corners")
        self.vertices = list(vertices)
        self._outline = _outline(self.vertices)
        latitudes = [lat for lat, _ in self._outline]
        longitudes = [lon for _, lon in self._outline]
        west, east = min(longitudes), max(longitudes)
        if east - west > 360:
            raise ValueError("a polygon must not go round the world")
        self._west = west
        self.box = BoundingBox(min(latitudes), west, max(latitudes), east)

    @property
    def outline(self) -> list[tuple[float, float]]:
        """The corners as (latitude, longitude), longitudes continuing across the 180th
        meridian (below -180 or above 180 there), and along the pole for an outline round
        it: the edges are straight between them."""
        return list(self._outline)

    def in_frame(self, longitude: float) -> float:
        """The same meridian as `outline` numbers it: from the polygon's west, on."""
        return self._west + (longitude - self._west) % 360.0

    def contains(self, latitude: float, longitude: float) -> bool:
        """Ray casting along the latitude; a point on an edge counts as inside."""
        longitude = self.in_frame(longitude)
        inside = False
        outline = self._outline
        yj, xj = outline[-1]
        for yi, xi in outline:
            if _on_segment(latitude, longitude, yi, xi, yj, xj):
                return True
            if (yi > latitude) != (yj > latitude):
                crossing = xi + (latitude - yi) * (xj - xi) / (yj - yi)
                if longitude < crossing:
                    inside = not inside
            yj, xj = yi, xi
        return inside

    def reach_from(self, point: Point) -> float:
        """A distance in metres that no point of the polygon is beyond, from `point`.

        The farthest point is on the outline, but not always at a corner (an edge along a
        parallel is no geodesic). Each edge is cut into pieces of at most _PIECE_M metres;
        a point of a piece is no farther than the mean of the bounds at its two ends plus
        half the piece's length (at most the upper bound between its ends)."""
        outline = self._outline
        farthest = 0.0
        for (lat_a, lon_a), (lat_b, lon_b) in zip(outline, [*outline[1:], outline[0]], strict=True):
            a, b = Point(lat_a, wrap_longitude(lon_a)), Point(lat_b, wrap_longitude(lon_b))
            pieces = max(1, min(10_000, math.ceil(distance_bounds(a, b)[1] / _PIECE_M)))
            ends = [
                Point(
                    lat_a + (lat_b - lat_a) * k / pieces,
                    wrap_longitude(lon_a + (lon_b - lon_a) * k / pieces),
                )
                for k in range(pieces + 1)
            ]
            far = [distance_bounds(point, end)[1] for end in ends]
            for k in range(pieces):
                length = distance_bounds(ends[k], ends[k + 1])[1]
                farthest = max(farthest, (far[k] + far[k + 1] + length) / 2)
        return farthest

    def area_m2(self) -> float:
        """Area enclosed by the edges, in square metres, on the ellipsoid.

        By Green's theorem, the sum over the edges of the integral of F(latitude) along the
        longitude, where F' = M p is the area per radian of longitude per radian of latitude
        (F in closed form); along a straight edge, five-point Gauss-Legendre quadrature."""
        outline = self._outline
        reference = _area_integral(outline[0][0] * _RAD)
        total = 0.0
        for (lat_a, lon_a), (lat_b, lon_b) in zip(outline, [*outline[1:], outline[0]], strict=True):
            dlam = (lon_b - lon_a) * _RAD
            if dlam == 0:
                continue
            phi_a, phi_b = lat_a * _RAD, lat_b * _RAD
            total += dlam * sum(
                weight * (_area_integral(phi_a + (phi_b - phi_a) * node) - reference)
                for node, weight in _GAUSS_LEGENDRE
            )
        return abs(total)


def _outline(vertices: Sequence[Point]) -> list[tuple[float, float]]:
    """The corners with their longitudes unwrapped, each edge the short way from the one
    before; an outline that comes back a whole turn east or west is closed along the pole
    nearer its corners."""
    first = vertices[0]
    outline = [(first.latitude, first.longitude)]
    for before, after in itertools.pairwise(vertices):
        outline.append(
            (after.latitude, outline[-1][1] + _edge_step(before.longitude, after.longitude))
        )
    turn = outline[-1][1] + _edge_step(vertices[-1].longitude, first.longitude)
    if abs(turn - first.longitude) > 180:
        pole = 90.0 if sum(v.latitude for v in vertices) >= 0 else -90.0
        outline += [(first.latitude, turn), (pole, turn), (pole, first.longitude)]
    return outline


def _edge_step(start: float, end: float) -> float:
    step = end - start
    if abs(start) == 180 and abs(end) == 180:
        return step
    if step > 180:
        return step - 360
    if step < -180:
        return step + 360
    return step


def _area_integral(phi: float) -> float:
    """F(phi) = integral from 0 to phi of M p: the ellipsoid's area between the equator and
    the latitude, per radian of longitude."""
    s = math.sin(phi)
    w = 1 - WGS84_E2 * s * s
    return WGS84_A**2 * (1 - WGS84_E2) / 2 * (s / w + math.atanh(WGS84_E * s) / WGS84_E)


# Nodes on 0..1 and weights of five-point Gauss-Legendre quadrature.
_GAUSS_LEGENDRE = tuple(
    ((1 + x) / 2, w / 2)
    for x, w in (
        (0.0, 128 / 225),
        (math.sqrt(5 - 2 * math.sqrt(10 / 7)) / 3, (322 + 13 * math.sqrt(70)) / 900),
        (-math.sqrt(5 - 2 * math.sqrt(10 / 7)) / 3, (322 + 13 * math.sqrt(70)) / 900),
        (math.sqrt(5 + 2 * math.sqrt(10 / 7)) / 3, (322 - 13 * math.sqrt(70)) / 900),
        (-math.sqrt(5 + 2 * math.sqrt(10 / 7)) / 3, (322 - 13 * math.sqrt(70)) / 900),
    )
)


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
