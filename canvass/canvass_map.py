"""What the canvass page's map draws: each candidate's status as an investigator may see it,
and the candidates placed by their rounded distance and bearing from the incident, or drawn
as their cell where the owner keeps the exact place to themselves."""

from __future__ import annotations

from typing import Any

from geographiclib.geodesic import Geodesic

from .candidates import Candidate, CandidateList

VISIT_RESULT_NAMES = {
    "no_answer": "Nobody answered",
    "no_camera": "No camera here",
    "camera_present": "A camera is here",
}
# How a candidate's site looks on the map and in the list, by what its owner answered.
# The colours are also in service/static/site.css (.site-<status>), for the page's key and
# table, which the content policy keeps free of inline styles.
SITE_STATUS = {
    "not_asked": ("Not asked yet", "#1f5fa8"),
    "offered": ("Offered footage", "#2e7d32"),
    "no_footage": ("No relevant footage", "#6b7785"),
    # declined, not answered yet, or not contactable: never told apart per site
    "waiting": ("No answer to show", "#d9822b"),
    "overwritten": ("Likely overwritten", "#9aa7b4"),
}


def site_statuses(
    canvass: dict[str, Any], found: CandidateList, answers: dict[str, Any]
) -> dict[str, str]:
    """Each candidate site's status as an investigator may see it."""
    statuses: dict[str, str] = {}
    asked = canvass["status"] in ("dispatched", "closed")
    offered = set(answers["sites_offering_footage"])
    without = set(answers["sites_without_footage"])
    for candidate in found.ranked:
        if candidate.site_id in offered:
            status = "offered"
        elif candidate.site_id in without:
            status = "no_footage"
        else:
            status = "waiting" if asked else "not_asked"
        statuses[candidate.site_id] = status
    for candidate in found.likely_overwritten:
        statuses.setdefault(candidate.site_id, "overwritten")
    return statuses


def map_data(
    canvass: dict[str, Any],
    found: CandidateList,
    statuses: dict[str, str],
    visits: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the canvass map draws. Candidates are placed by their rounded distance and
    bearing from the incident, or drawn as their cell: the facts the investigator sees,
    nothing more precise."""
    incident = (canvass["incident_latitude"], canvass["incident_longitude"])
    return {
        "incident": incident,
        "area": canvass["area"],
        "candidates": [
            _candidate(incident, candidate, statuses[candidate.site_id], rank)
            for rank, candidate in enumerate([*found.ranked, *found.likely_overwritten], 1)
        ],
        "visits": [
            {
                "latitude": visit["latitude"],
                "longitude": visit["longitude"],
                "result": VISIT_RESULT_NAMES.get(visit["result"], visit["result"]),
            }
            for visit in visits
            if visit["latitude"] is not None  # erased
        ],
    }


def _candidate(
    incident: tuple[float, float], candidate: Candidate, status: str, rank: int
) -> dict[str, Any]:
    if candidate.exact_location:
        at = Geodesic.WGS84.Direct(
            incident[0], incident[1], candidate.about_bearing, candidate.about_distance_m
        )
        latitude, longitude = at["lat2"], at["lon2"]
        cell = None
    else:  # the cell, and the view drawn from its centre: nothing finer than the cell
        latitude, longitude = candidate.cell.centre.latitude, candidate.cell.centre.longitude
        box = candidate.cell.box
        cell = [
            [round(box.south, 6), round(box.west, 6)],
            [round(box.north, 6), round(box.east, 6)],
        ]
    return {
        "rank": rank,
        "latitude": round(latitude, 4),  # about 10 m, as coarse as the facts behind it
        "longitude": round(longitude, 4),
        "cell": cell,
        "bearing": candidate.bearing_degrees,
        "fov": candidate.field_of_view_degrees,
        "range": candidate.range_metres,
        "covers": candidate.view_covers_incident,
        "status": status,
        "colour": SITE_STATUS[status][1],
        "label": f"{rank}. {SITE_STATUS[status][0]}",
    }
