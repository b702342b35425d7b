"""The investigator's page to change a draft canvass, or one a supervisor sent back, and
submit it again: the canvass form, filled in with the canvass as it stands."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from accounts.auth import page_allows
from registry.errors import InvalidSite

from .decider import LEGAL_BASES
from .errors import InvalidCanvass, NotAllowedNow
from .forms import canvass_from_form
from .policy import CATEGORIES, CATEGORY_NAMES
from .staff_pages import LEGAL_BASIS_NAMES, agency_zone, canvass_service, choices, signed_in_user

bp = Blueprint("canvass_revise", __name__, template_folder="templates")
bp.context_processor(choices)

CHANGEABLE = ("draft", "sent_back")
NOT_CHANGEABLE = "Only a draft canvass, or one sent back to you, can be changed."


@bp.route("/canvasses/<canvass_id>/change", methods=["GET", "POST"])
@page_allows("canvass.open")
def revise(canvass_id: str) -> ResponseReturnValue:
    """The canvass form filled in with the canvass; sent, it changes the canvass and submits
    it again. A canvass past the point of changing leads back to its page, saying why."""
    service, user = canvass_service(), signed_in_user()
    canvass = service.view(user, canvass_id)
    if canvass["status"] not in CHANGEABLE:
        return _not_now(canvass_id, NOT_CHANGEABLE)
    values, errors = form_values(canvass, agency_zone()), {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            service.revise(user, canvass_id, canvass_from_form(values, agency_zone()))
            service.submit(user, canvass_id)
        except (InvalidCanvass, InvalidSite) as refused:
            errors = refused.errors
        except NotAllowedNow as refused:
            return _not_now(canvass_id, str(refused))
        else:
            flash(_submitted(service.view(user, canvass_id)["status"]))
            return redirect(url_for("canvass_pages.canvass", canvass_id=canvass_id))
    page = render_template(
        "canvass/revise_canvass.html",
        canvass=canvass,
        values=values,
        errors=errors,
        categories=[(name, CATEGORY_NAMES[name].capitalize()) for name in CATEGORIES],
        legal_bases=[(name, LEGAL_BASIS_NAMES[name]) for name in LEGAL_BASES],
    )
    return page, 422 if errors else 200


def form_values(canvass: dict[str, Any], zone: ZoneInfo) -> dict[str, str]:
    """The canvass as the form's fields: times in the service's zone as the browser's
    date-and-time fields write them, the area as a radius or as corners one a line."""
    kept = ("case_number", "category", "justification", "legal_basis")
    values = {key: str(canvass[key]) for key in kept}
    values |= {
        "latitude": f"{canvass['incident_latitude']:.6f}",
        "longitude": f"{canvass['incident_longitude']:.6f}",
        "placed_by": "map",
        "window_start": _typed(canvass["window_start"], zone),
        "window_end": _typed(canvass["window_end"], zone),
    }
    area = canvass["area"]
    if "circle" in area:
        return values | {"shape": "circle", "radius_m": f"{area['circle']['radius_m']:g}"}
    corners = area["polygon"]
    return values | {
        "shape": "polygon",
        "radius_m": "250",
        "corners": "\n".join(f"{latitude}, {longitude}" for latitude, longitude in corners),
    }


def _typed(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M")


def _submitted(status: str) -> str:
    if status == "approved":
        return "Changed and submitted: within your agency's limits, you may send the requests."
    return "Changed and submitted again: a supervisor must approve it."


def _not_now(canvass_id: str, message: str) -> ResponseReturnValue:
    flash(message, "error")
    return redirect(url_for("canvass_pages.canvass", canvass_id=canvass_id))
