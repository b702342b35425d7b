"""The offline street basemap: a PMTiles archive read by the maps, and what every map page
needs to know to draw it (or the city's own tile server instead)."""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, url_for

log = logging.getLogger(__name__)

MAGIC = b"PMTiles"
VERSION = 3
HEADER_LENGTH = 127
# The archive's data comes from OpenStreetMap, whose licence (ODbL) asks for this on every map.
ATTRIBUTION = '<a href="https://www.openstreetmap.org/copyright">© OpenStreetMap contributors</a>'
# When nothing says where the service is, maps open on the whole country.
COUNTRY = {"bounds": None, "centre": [39.5, -98.35], "zoom": 4}


@dataclass(frozen=True)
class Header:
    """What a PMTiles v3 header says about the map it holds."""

    min_zoom: int
    max_zoom: int
    west: float
    south: float
    east: float
    north: float


def read_header(path: str | Path) -> Header:
    """The header of a PMTiles v3 archive; ValueError saying what is wrong with the file."""
    with open(path, "rb") as archive:
        start = archive.read(HEADER_LENGTH)
    if not start.startswith(MAGIC):
        raise ValueError(f"{str(path)!r} is not a PMTiles archive (it does not start with PMTiles)")
    if len(start) < HEADER_LENGTH or start[7] != VERSION:
        raise ValueError(f"{str(path)!r} is not a PMTiles version 3 archive; convert it first")
    min_zoom, max_zoom = start[100], start[101]
    west, south, east, north = (e7 / 1e7 for e7 in struct.unpack_from("<iiii", start, 102))
    return Header(min_zoom, max_zoom, west, south, east, north)


def map_settings() -> dict[str, Any]:
    """What the maps of a page draw: the city's tile server if set (it wins), else the basemap
    archive if set, else a plain background; and where "the whole city" is."""
    config = current_app.config
    settings: dict[str, Any] = {**COUNTRY, "basemap": None, "tiles": config["MAP_TILE_URL"]}
    settings["attribution"] = config["MAP_TILE_ATTRIBUTION"] if settings["tiles"] else ""
    area = config["SERVICE_AREA"]
    if area:
        ring = area["coordinates"][0]
        lons, lats = [float(c[0]) for c in ring], [float(c[1]) for c in ring]
        settings["bounds"] = [[min(lats), min(lons)], [max(lats), max(lons)]]
    header = usable_header(config["MAP_BASEMAP"])
    if header:
        settings["bounds"] = [[header.south, header.west], [header.north, header.east]]
        if not settings["tiles"]:
            settings["basemap"] = url_for("assets.basemap")
            settings["max_data_zoom"] = header.max_zoom
            settings["attribution"] = ATTRIBUTION
    return settings


def usable_header(archive: str | None) -> Header | None:
    """The basemap's header, or None when there is none or it has gone since start-up (the
    maps then keep a plain background rather than fail)."""
    if not archive:
        return None
    try:
        return read_header(archive)
    except (OSError, ValueError) as wrong:
        log.warning("the basemap named by CANVASS_MAP_BASEMAP cannot be read: %s", wrong)
        return None
