"""Which registered cameras may have recorded an incident, and how soon their footage goes.

Candidates are the cameras of active sites inside the search area whose owners agreed to
be asked about this kind of incident. For each: the distance and bearing from the incident,
whether the camera's view sector covers the incident point, and when its footage will be
overwritten (window end + retention days). Ranked: cameras whose view covers the point
first, then by soonest expiry, then by distance. Cameras whose footage is already gone are
listed apart as likely overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from geographiclib.geodesic import Geodesic

from registry.geodesy import Point
from registry.queries import CameraHit

_GEOD = Geodesic.WGS84
_INVERSE = Geodesic.DISTANCE | Geodesic.AZIMUTH


# Investigators learn where a camera is only as "about 90 m north-north-east": enough to plan
# a canvass, not enough to pick out a house. Ranking uses the exact figures.
DISTANCE_STEP_M = 10
BEARING_STEP_DEGREES = 5


@dataclass(frozen=True)
class Candidate:
    """A camera as an investigator sees it: facts, a site reference, no owner identity.
    Show `about_distance_m` and `about_bearing`, never the exact figures."""

    site_id: str
    camera_id: str
    label: str
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
        """The distance from the incident, to the nearest 10 metres."""
        return int(round(self.distance_m / DISTANCE_STEP_M) * DISTANCE_STEP_M)

    @property
    def about_bearing(self) -> int:
        """The direction from the incident, to the nearest 5 degrees (0 to 355)."""
        return (
            int(round(self.bearing_from_incident / BEARING_STEP_DEGREES) * BEARING_STEP_DEGREES)
            % 360
        )


@dataclass(frozen=True)
class CandidateList:
    """Ranked candidates, and those whose footage has likely been overwritten already."""

    ranked: list[Candidate]
    likely_overwritten: list[Candidate]


def consents_to(hit: CameraHit, category: str) -> bool:
    """Whether the owner agreed to be asked about this kind of incident."""
    return hit.contact_for_requests and (hit.categories == ("all",) or category in hit.categories)


def view_covers(
    camera: Point, bearing: float, field_of_view: float, range_m: float, target: Point
) -> bool:
    """Whether a camera looking along `bearing` sees `target`: within its range and within
    half its field of view of its bearing, measured along the geodesic from the camera."""
    line = _GEOD.Inverse(
        camera.latitude, camera.longitude, target.latitude, target.longitude, _INVERSE
    )
    if line["s12"] > range_m:
        return False
    if field_of_view >= 360 or line["s12"] == 0:
        return True
    off_axis = abs((float(line["azi1"]) - bearing + 180) % 360 - 180)
    return off_axis <= field_of_view / 2


def candidates(
    hits: Iterable[CameraHit],
    incident: Point,
    window_end: datetime,
    category: str,
    now: datetime,
) -> CandidateList:
    """Rank the cameras found in the area for one incident."""
    usable: list[Candidate] = []
    gone: list[Candidate] = []
    for hit in hits:
        if hit.site_status != "active" or not consents_to(hit, category):
            continue
        candidate = _candidate(hit, incident, window_end)
        (gone if candidate.footage_expires_at <= now else usable).append(candidate)
    usable.sort(key=lambda c: (not c.view_covers_incident, c.footage_expires_at, c.distance_m))
    gone.sort(key=lambda c: (not c.view_covers_incident, c.distance_m))
    return CandidateList(usable, gone)


def _candidate(hit: CameraHit, incident: Point, window_end: datetime) -> Candidate:
    line = _GEOD.Inverse(
        incident.latitude, incident.longitude, hit.latitude, hit.longitude, _INVERSE
    )
    return Candidate(
        site_id=hit.site_id,
        camera_id=hit.camera_id,
        label=hit.label,
        distance_m=float(line["s12"]),
        bearing_from_incident=float(line["azi1"]) % 360,
        view_covers_incident=view_covers(
            hit.position,
            hit.bearing_degrees,
            hit.field_of_view_degrees,
            hit.range_metres,
            incident,
        ),
        bearing_degrees=hit.bearing_degrees,
        field_of_view_degrees=hit.field_of_view_degrees,
        range_metres=hit.range_metres,
        retention_days=hit.retention_days,
        footage_expires_at=window_end + timedelta(days=hit.retention_days),
    )
