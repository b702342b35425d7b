"""A canvass for the case file: GeoJSON for maps and CSV for spreadsheets.

Candidates appear as camera facts and a site reference, never with an owner or a position
(a site whose owner keeps the exact place to themselves has its cell of about 100 m as its
geometry); the area, the incident and the door-to-door visits the investigators recorded do
have one.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from geographiclib.geodesic import Geodesic

from .candidates import Candidate, CandidateList

CIRCLE_POINTS = 72


def geojson(
    canvass: dict[str, Any], found: CandidateList, visits: list[dict[str, Any]]
) -> dict[str, Any]:
    """The canvass as a GeoJSON FeatureCollection (longitude, latitude)."""
    incident = (canvass["incident_longitude"], canvass["incident_latitude"])
    features = [
        _feature(
            {"type": "Point", "coordinates": list(incident)},
            kind="incident",
            case_number=canvass["case_number"],
            category=canvass["category"],
        ),
        _feature(
            {"type": "Polygon", "coordinates": [_ring(canvass)]},
            kind="area",
            square_metres=round(canvass["area_m2"]),
        ),
    ]
    for status, group in (
        ("candidate", found.ranked),
        ("likely_overwritten", found.likely_overwritten),
    ):
        features += [_feature(_cell_geometry(c), kind=status, **_facts(c)) for c in group]
    for visit in visits:
        erased = visit["latitude"] is None
        features.append(
            _feature(
                None
                if erased
                else {"type": "Point", "coordinates": [visit["longitude"], visit["latitude"]]},
                kind="visit",
                result=visit["result"],
                contact_made=visit["contact_made"],
                retention_days=visit["retention_days"],
                revisit_due=visit["revisit_due"],
            )
        )
    return {"type": "FeatureCollection", "features": features}


def csv_text(found: CandidateList, visits: list[dict[str, Any]]) -> str:
    """Candidates and visits as one table, for spreadsheets."""
    out = io.StringIO()
    columns = [
        "kind",
        "reference",
        "distance_m",
        "bearing_from_incident",
        "direction",
        "exact_location",
        "view_covers_incident",
        "retention_days",
        "footage_expires_at",
        "result",
        "contact_made",
        "revisit_due",
    ]
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    for status, group in (
        ("candidate", found.ranked),
        ("likely_overwritten", found.likely_overwritten),
    ):
        for candidate in group:
            writer.writerow({"kind": status, "reference": candidate.site_id} | _facts(candidate))
    for visit in visits:
        writer.writerow({"kind": "visit", "reference": visit["visit_id"]} | visit)
    return out.getvalue()


def _facts(candidate: Candidate) -> dict[str, Any]:
    return {
        "site_id": candidate.site_id,
        "camera_id": candidate.camera_id,
        "distance_m": candidate.about_distance_m,
        "bearing_from_incident": candidate.about_bearing,
        "direction": candidate.direction,
        "exact_location": candidate.exact_location,
        "view_covers_incident": candidate.view_covers_incident,
        "retention_days": candidate.retention_days,
        "footage_expires_at": candidate.footage_expires_at.isoformat(),
    }


def _cell_geometry(candidate: Candidate) -> dict[str, Any] | None:
    if candidate.exact_location:
        return None
    ring = [[round(p.longitude, 6), round(p.latitude, 6)] for p in candidate.cell.corners]
    return {"type": "Polygon", "coordinates": [[*ring, ring[0]]]}


def _ring(canvass: dict[str, Any]) -> list[list[float]]:
    area = canvass["area"]
    if "polygon" in area:
        ring = [[lon, lat] for lat, lon in area["polygon"]]
        return [*ring, ring[0]]
    radius = area["circle"]["radius_m"]
    ring = []
    for step in range(CIRCLE_POINTS + 1):
        point = Geodesic.WGS84.Direct(
            canvass["incident_latitude"],
            canvass["incident_longitude"],
            360 * step / CIRCLE_POINTS,
            radius,
        )
        ring.append([round(point["lon2"], 7), round(point["lat2"], 7)])
    return ring


def _feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}
