"""Front-end libraries and the street basemap, served from the service itself, so pages
work without a network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask_swagger_ui
import xstatic.pkg.leaflet as leaflet
from flask import Blueprint, Response, abort, current_app, send_file, send_from_directory

from .basemap import map_settings, usable_header

bp = Blueprint("assets", __name__, url_prefix="/assets")

FRONTEND = Path(__file__).parent / "frontend" / "node_modules"
LIBRARIES = {
    "leaflet": Path(leaflet.BASE_DIR),
    # Swagger UI 5, the first to read OpenAPI 3.1 documents like ours.
    "swagger-ui": Path(flask_swagger_ui.__file__).parent / "dist",
    # Draws the PMTiles basemap in Leaflet, labels in the browser's own fonts (no glyph files).
    "protomaps-leaflet": FRONTEND / "protomaps-leaflet" / "dist",
}
ONE_DAY = 24 * 3600


@bp.get("/basemap.pmtiles")
def basemap() -> Response:
    """The basemap archive, read by the maps a few byte ranges at a time (404 when unset)."""
    archive = current_app.config["MAP_BASEMAP"]
    if not usable_header(archive):
        abort(404)
    return send_file(archive, mimetype="application/vnd.pmtiles", conditional=True, max_age=ONE_DAY)


@bp.get("/<library>/<path:filename>")
def asset(library: str, filename: str) -> Response:
    """A file of a packaged library (404 for anything else)."""
    if library not in LIBRARIES:
        abort(404)
    return send_from_directory(LIBRARIES[library], filename, max_age=ONE_DAY)


@bp.app_context_processor
def maps() -> dict[str, Any]:
    """Every page may hold maps; they read their settings from one place."""
    return {"map_settings_for_scripts": map_settings}
