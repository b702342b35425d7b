"""The public landing page."""

from __future__ import annotations

from flask import Blueprint, render_template

from .wiring import services

bp = Blueprint("home", __name__)


@bp.get("/")
def index() -> str:
    """What the registry is, who uses it and how it protects the people in it."""
    return render_template("home.html", events_in_log=services().store.head())
