"""Addresses for the staff pages' maps: the places a typed address may be, and the address
point nearest a place clicked, so the form can write back the address the pin stands on."""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from registry.actions import candidates
from registry.geocoding import gazetteer
from registry.geodesy import Point, distance_m

# A click farther than this from every address point is not written back as an address.
NEAREST_METRES = 40.0


def places_of(address: str) -> list[dict[str, Any]]:
    """The places a typed address may be: none, one, or several to choose from."""
    return [
        {"address": place.address, "latitude": place.latitude, "longitude": place.longitude}
        for place in candidates(address)
    ]


def nearest_address(engine: sa.Engine, latitude: float, longitude: float) -> str | None:
    """The gazetteer's address nearest the point, if one is within NEAREST_METRES."""
    clicked = Point(latitude, longitude)
    span_lat = NEAREST_METRES / 111_000
    span_lon = span_lat / max(0.01, math.cos(math.radians(latitude)))
    query = sa.select(
        gazetteer.c.number,
        gazetteer.c.street,
        gazetteer.c.city,
        gazetteer.c.latitude,
        gazetteer.c.longitude,
    ).where(
        gazetteer.c.latitude.between(latitude - span_lat, latitude + span_lat),
        gazetteer.c.longitude.between(longitude - span_lon, longitude + span_lon),
    )
    with engine.connect().execution_options(read_only=True) as conn:
        rows = list(conn.execute(query.limit(500)))
    best = min(
        rows, key=lambda row: distance_m(clicked, Point(row.latitude, row.longitude)), default=None
    )
    if best is None or distance_m(clicked, Point(best.latitude, best.longitude)) > NEAREST_METRES:
        return None
    return f"{best.number} {best.street.title()}, {best.city}".rstrip(", ")
