"""Front-end libraries served from their Python packages, so pages work without a network."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
import xstatic.pkg.leaflet as leaflet
from flask import Blueprint, Response, abort, send_from_directory

bp = Blueprint("assets", __name__, url_prefix="/assets")

LIBRARIES = {
    "leaflet": Path(leaflet.BASE_DIR),
    # Swagger UI 5, the first to read OpenAPI 3.1 documents like ours.
    "swagger-ui": Path(flask_swagger_ui.__file__).parent / "dist",
}
ONE_DAY = 24 * 3600


@bp.get("/<library>/<path:filename>")
def asset(library: str, filename: str) -> Response:
    """A file of a packaged library (404 for anything else)."""
    if library not in LIBRARIES:
        abort(404)
    return send_from_directory(LIBRARIES[library], filename, max_age=ONE_DAY)
