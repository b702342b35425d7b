"""Which registered cameras may have recorded an incident, and how soon their footage goes.

Candidates are the cameras of active sites in the search area whose owners agreed to be
asked about this kind of incident. For each: the distance and bearing from the incident,
whether the camera's view sector covers the incident point, and when its footage will be
overwritten (window end + retention days). Ranked: cameras whose view covers the point
first, then by soonest expiry, then by distance. Cameras whose footage is already gone are
listed apart as likely overwritten.

An owner who has not agreed to share the exact place of their site is known here only by
its cell of the coarse grid (registry/cells.py): the site is a candidate when its cell
touches the search area, and its distance, bearing and view are worked out from the cell's
centre; its view is taken to cover the incident when it would from some point of the cell
(better to ask one owner too many than to miss the footage). Everything an investigator
learns of such a site is then a function of its cell, so no number of canvasses, shifted by
however little, tells them more than the cell.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from geographiclib.geodesic import Geodesic

from registry.cells import Cell, cell_of
from registry.geodesy import (
    BoundingBox,
    Circle,
    Point,
    Polygon,
    distance_bounds,
    wrap_longitude,
)
from registry.queries import CameraHit

_GEOD = Geodesic.WGS84
_INVERSE = Geodesic.DISTANCE | Geodesic.AZIMUTH


# Investigators learn where a consenting owner's camera is only as "about 90 m at 25°":
# enough to plan a canvass, not enough to pick out a house. A site without that consent is
# "about 200 m north-east", from its cell's centre.
DISTANCE_STEP_M = 10
BEARING_STEP_DEGREES = 5
CELL_DISTANCE_STEP_M = 100
CELL_BEARING_STEP_DEGREES = 45
VIEW_SAMPLES = 7  # points per side of the grid over a cell from which a view is tried
COMPASS = ("north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west")


@dataclass(frozen=True)
class Candidate:
    """A camera as an investigator sees it: facts, a site reference, no owner identity and
    no label. Show `about_distance_m` and `about_bearing`, never the exact figures; for a
    site known by its cell, even the exact figures are the cell centre's."""

    site_id: str
    camera_id: str
    exact_location: bool
    cell: Cell
    distance_m: float
    bearing_from_incident: float
    view_covers_incident: bool
    bearing_degrees: float
    field_of_view_degrees: float
    range_metres: float
    retention_days: int
    footage_expires_at: datetime

    @property
    def about_distance_m(self) -> int:
        """The distance from the incident, to the nearest 10 metres (100 for a cell)."""
        step = DISTANCE_STEP_M if self.exact_location else CELL_DISTANCE_STEP_M
        return int(round(self.distance_m / step) * step)

    @property
    def about_bearing(self) -> int:
        """The direction from the incident, to the nearest 5 degrees (45 for a cell)."""
        step = BEARING_STEP_DEGREES if self.exact_location else CELL_BEARING_STEP_DEGREES
        return int(round(self.bearing_from_incident / step) * step) % 360

    @property
    def direction(self) -> str:
        """The direction in words: "north-east" for a cell, "25°" for an exact place."""
        if self.exact_location:
            return f"{self.about_bearing}°"
        return COMPASS[self.about_bearing // CELL_BEARING_STEP_DEGREES]


@dataclass(frozen=True)
class CandidateList:
    """Ranked candidates, and those whose footage has likely been overwritten already."""

    ranked: list[Candidate]
    likely_overwritten: list[Candidate]

    @property
    def site_ids(self) -> list[str]:
        """Every listed site, once each, in order."""
        return list(dict.fromkeys(c.site_id for c in [*self.ranked, *self.likely_overwritten]))


def consents_to(hit: CameraHit, category: str) -> bool:
    """Whether the owner agreed to be asked about this kind of incident."""
    return hit.contact_for_requests and (hit.categories == ("all",) or category in hit.categories)


def view_covers(
    camera: Point, bearing: float, field_of_view: float, range_m: float, target: Point
) -> bool:
    """Whether a camera looking along `bearing` sees `target`: within its range and within
    half its field of view of its bearing, measured along the geodesic from the camera."""
    return _Sight.between(target, camera).seen_by(bearing, field_of_view, range_m)


@dataclass(frozen=True, slots=True)
class _Sight:
    """The geodesic from the incident to a place, computed once for every camera there:
    its length, the bearing it leaves the incident on, and the bearing from the place back
    towards the incident (the way it arrives, turned round)."""

    distance_m: float
    from_incident: float
    towards_incident: float

    @classmethod
    def between(cls, incident: Point, place: Point) -> _Sight:
        line = _GEOD.Inverse(
            incident.latitude, incident.longitude, place.latitude, place.longitude, _INVERSE
        )
        return cls(float(line["s12"]), float(line["azi1"]), float(line["azi2"]) + 180)

    def seen_by(self, bearing: float, field_of_view: float, range_m: float) -> bool:
        """Whether a camera at the place looking along `bearing` sees the incident."""
        if self.distance_m > range_m:
            return False
        if field_of_view >= 360 or self.distance_m == 0:
            return True
        off_axis = abs((self.towards_incident - bearing + 180) % 360 - 180)
        return off_axis <= field_of_view / 2


class _Sights:
    """The geodesics from one incident, each computed at most once however many cameras
    share the place: one per site sharing its exact place, and for a cell only those of its
    sample points that some camera's range may reach (bounds decide the rest)."""

    def __init__(self, incident: Point) -> None:
        self.incident = incident
        self._places: dict[Point, _Sight] = {}
        self._nearest: dict[Cell, float] = {}
        self._spreads: dict[Cell, list[tuple[Point, float]]] = {}

    def to(self, place: Point) -> _Sight:
        sight = self._places.get(place)
        if sight is None:
            sight = self._places[place] = _Sight.between(self.incident, place)
        return sight

    def seen_from_cell(self, cell: Cell, hit: CameraHit) -> bool:
        """Whether the camera would see the incident from some sample point of its cell."""
        if self._nearest_in(cell) > hit.range_metres:
            return False
        spread = self._spreads.get(cell)
        if spread is None:
            spread = self._spreads[cell] = [
                (spot, distance_bounds(self.incident, spot)[0]) for spot in _spread_over(cell)
            ]
        return any(
            self.to(spot).seen_by(hit.bearing_degrees, hit.field_of_view_degrees, hit.range_metres)
            for spot, nearest in spread
            if nearest <= hit.range_metres
        )

    def _nearest_in(self, cell: Cell) -> float:
        """A distance from the incident that no point of the cell is nearer than: the
        centre's, less the most a straight path from the centre to a corner can be long
        (each point of the cell is on such a path's side of its quadrant)."""
        nearest = self._nearest.get(cell)
        if nearest is None:
            centre = cell.centre
            spread = max(distance_bounds(centre, corner)[1] for corner in cell.corners)
            nearest = self._nearest[cell] = self.to(centre).distance_m - spread
        return nearest


def candidates(
    hits: Iterable[CameraHit],
    incident: Point,
    window_end: datetime,
    category: str,
    now: datetime,
    area: Circle | Polygon | None = None,
) -> CandidateList:
    """Rank the cameras found around the area for one incident.

    With `area`, a site sharing its exact place counts when its point is inside, any other
    when its cell touches the area (so search with `search_reach`); without, every hit is
    taken to be in the area."""
    usable: list[Candidate] = []
    gone: list[Candidate] = []
    sights = _Sights(incident)
    for hit in hits:
        if hit.site_status != "active" or not consents_to(hit, category):
            continue
        if area is not None and not _in_area(hit, area):
            continue
        candidate = _candidate(hit, sights, window_end)
        (gone if candidate.footage_expires_at <= now else usable).append(candidate)
    usable.sort(key=lambda c: (not c.view_covers_incident, c.footage_expires_at, *_order(c)))
    gone.sort(key=lambda c: (not c.view_covers_incident, *_order(c)))
    return CandidateList(usable, gone)


def search_reach(area: Circle | Polygon, incident: Point) -> Circle:
    """A circle around the incident holding every site whose cell may touch the area."""
    margin = 2 * cell_of(incident.latitude, incident.longitude).size_m
    if isinstance(area, Circle):
        return Circle(area.center, area.radius_m + margin)
    return Circle(incident, area.reach_from(incident) + margin)


def cell_touches(cell: Cell, area: Circle | Polygon) -> bool:
    """Whether any part of the cell lies in the area (on either side of the 180th meridian
    for an area across it)."""
    box = cell.box
    if isinstance(area, Circle):
        return area.reaches(box)
    west = area.in_frame(box.west)
    return any(_box_touches(area, box, west + turn - box.west) for turn in (0.0, -360.0))


def _box_touches(area: Polygon, box: BoundingBox, shift: float) -> bool:
    """Whether the box, moved `shift` degrees east, meets the polygon's outline or inside."""
    south, west, north, east = box.south, box.west + shift, box.north, box.east + shift
    corners = [(south, west), (south, east), (north, east), (north, west)]
    if any(area.contains(lat, wrap_longitude(lon)) for lat, lon in corners):
        return True
    outline = area.outline
    if any(south <= lat <= north and west <= lon <= east for lat, lon in outline):
        return True
    edges = list(zip(corners, [*corners[1:], corners[0]], strict=True))
    sides = list(zip(outline, [*outline[1:], outline[0]], strict=True))
    return any(_crosses(a, b, c, d) for a, b in edges for c, d in sides)


def _in_area(hit: CameraHit, area: Circle | Polygon) -> bool:
    if hit.share_exact_location:
        return area.contains(hit.latitude, hit.longitude)
    return cell_touches(_cell(hit), area)


def _cell(hit: CameraHit) -> Cell:
    cell = getattr(hit, "cell", None)
    return cell if isinstance(cell, Cell) else cell_of(hit.latitude, hit.longitude)


def _order(candidate: Candidate) -> tuple[float, Cell, str, str]:
    # After view and expiry: the distance (a cell's centre's for a site known by its cell),
    # then the cell and the ids, so that ties never fall back on an exact position.
    return (candidate.distance_m, candidate.cell, candidate.site_id, candidate.camera_id)


def _spread_over(cell: Cell) -> list[Point]:
    """Points evenly over the cell, edges included: where a camera of it might stand."""
    box, steps = cell.box, VIEW_SAMPLES - 1
    return [
        Point(
            box.south + (box.north - box.south) * i / steps,
            box.west + (box.east - box.west) * j / steps,
        )
        for i in range(VIEW_SAMPLES)
        for j in range(VIEW_SAMPLES)
    ]


def _crosses(
    a: tuple[float, float], b: tuple[float, float], c: tuple[float, float], d: tuple[float, float]
) -> bool:
    """Whether segments ab and cd of (latitude, longitude) cross, in the plane of latitude
    and longitude (as `Polygon.contains` sees the area)."""

    def side(p: tuple[float, float], q: tuple[float, float], r: tuple[float, float]) -> float:
        return (q[1] - p[1]) * (r[0] - p[0]) - (q[0] - p[0]) * (r[1] - p[1])

    d1, d2 = side(c, d, a), side(c, d, b)
    d3, d4 = side(a, b, c), side(a, b, d)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0))


def _candidate(hit: CameraHit, sights: _Sights, window_end: datetime) -> Candidate:
    cell = _cell(hit)
    place = hit.position if hit.share_exact_location else cell.centre
    sight = sights.to(place)
    if hit.share_exact_location:
        seen = sight.seen_by(hit.bearing_degrees, hit.field_of_view_degrees, hit.range_metres)
    else:
        seen = sights.seen_from_cell(cell, hit)
    return Candidate(
        site_id=hit.site_id,
        camera_id=hit.camera_id,
        exact_location=hit.share_exact_location,
        cell=cell,
        distance_m=sight.distance_m,
        bearing_from_incident=sight.from_incident % 360,
        view_covers_incident=seen,
        bearing_degrees=hit.bearing_degrees,
        field_of_view_degrees=hit.field_of_view_degrees,
        range_metres=hit.range_metres,
        retention_days=hit.retention_days,
        footage_expires_at=window_end + timedelta(days=hit.retention_days),
    )
