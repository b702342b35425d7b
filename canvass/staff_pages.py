"""Pages for investigators and supervisors: open a canvass on a map, follow it, approve
canvasses beyond the limits. The pages use the same service as the API, with a session
instead of a bearer token."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from accounts.auth import current_user, page_allows
from accounts.handlers import User
from registry.errors import InvalidSite

from . import exports
from .canvass_map import SITE_STATUS, VISIT_RESULT_NAMES, map_data, site_statuses
from .decider import LEGAL_BASES
from .errors import InvalidCanvass, NotAllowedNow
from .footage import download_as
from .forms import VISIT_FIELDS, canvass_from_form, reason_from_form, visit_from_form
from .handlers import CanvassService
from .places import nearest_address, places_of
from .policy import CATEGORIES, CATEGORY_NAMES
from .schemas import ReasonSchema

bp = Blueprint("canvass_pages", __name__, template_folder="templates")

LEGAL_BASIS_NAMES = {
    "owner_consent": "The owner's consent",
    "warrant": "A warrant",
    "exigent_circumstances": "Exigent circumstances",
}
OUTCOME_NAMES = {
    "used": "Used in the investigation",
    "not_needed": "Not needed",
    "returned": "Handed back to the owner (a card, disc or drive)",
}
# Fields of the form grouped as the page shows them, so errors appear next to their input.
FORM_GROUPS = {
    "incident": ("incident", "latitude", "longitude", "address"),
    "window": ("window", "window_start", "window_end"),
    "area": ("area", "radius_m", "polygon", "corners", "shape"),
}
# A refused visit's fields and messages, kept for the page the browser is sent back to.
REFUSED_VISIT = "refused_visit"


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None) -> str:
    """A stored time in the service's time zone, as people read it."""
    if moment is None:
        return ""
    return moment.astimezone(agency_zone()).strftime("%a %d %b %Y, %H:%M %Z")


@bp.app_template_filter("expires_in")
def expires_in(moment: datetime) -> str:
    """'expires in 3 days', 'expires in 5 hours', 'overwritten 2 days ago'."""
    left = moment - canvass_service().clock()
    if left <= timedelta(0):
        return f"overwritten {_span(-left)} ago"
    return f"expires in {_span(left)}"


@bp.context_processor
def choices() -> dict[str, Any]:
    return {
        "category_names": CATEGORY_NAMES,
        "legal_basis_names": LEGAL_BASIS_NAMES,
        "visit_result_names": VISIT_RESULT_NAMES,
        "site_status": SITE_STATUS,
        "outcome_names": OUTCOME_NAMES,
        "time_zone": current_app.config["TIME_ZONE"],
        "time_zone_now": canvass_service().clock().astimezone(agency_zone()).strftime("%Z"),
        "map_settings": {
            "tiles": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
        },
    }


def footage_offers(user: User, canvass_id: str) -> list[dict[str, str | None]]:
    """The sites whose owners offered footage, each with what became of it, in words."""
    outcomes = canvass_service().footage_outcomes(user, canvass_id)
    return [
        {
            "site_id": site_id,
            "outcome": outcome,
            "label": OUTCOME_NAMES[outcome] if outcome else None,
        }
        for site_id, outcome in outcomes.items()
    ]


@bp.get("/canvasses")
@page_allows("canvass.read")
def canvasses() -> ResponseReturnValue:
    """The investigator's canvasses, or the agency's for a supervisor."""
    user = signed_in_user()
    rows = canvass_service().list_for(user)
    waiting = [row for row in rows if row["status"] == "submitted"]
    return render_template("canvass/canvasses.html", rows=rows, waiting=waiting, user=user)


@bp.route("/canvasses/new", methods=["GET", "POST"])
@page_allows("canvass.open")
def new_canvass() -> ResponseReturnValue:
    """The canvass form: incident, window and area on a map, checked against policy."""
    values: dict[str, Any] = {"shape": "circle", "radius_m": "250", "category": "violent_crime"}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            details = canvass_from_form(values, agency_zone())
            canvass_id = canvass_service().open(signed_in_user(), details)
            canvass_service().submit(signed_in_user(), canvass_id)
        except (InvalidCanvass, InvalidSite) as refused:
            errors = refused.errors
        else:
            canvass = canvass_service().view(signed_in_user(), canvass_id)
            if canvass["status"] == "approved":
                flash("The canvass is within your agency's limits: you may send the requests.")
            else:
                flash("The canvass goes beyond your agency's limits: a supervisor must approve it.")
            return redirect(url_for(".canvass", canvass_id=canvass_id))
    page = render_template(
        "canvass/new_canvass.html",
        values=values,
        errors=errors,
        categories=[(name, CATEGORY_NAMES[name].capitalize()) for name in CATEGORIES],
        legal_bases=[(name, LEGAL_BASIS_NAMES[name]) for name in LEGAL_BASES],
        groups=FORM_GROUPS,
    )
    return page, 422 if errors else 200


@bp.post("/canvasses/check")
@page_allows("canvass.open")
def check() -> ResponseReturnValue:
    """The form's live policy feedback: what would be refused, and what needs approval.

    It is about the agency's limits, so the justification and legal basis, which the person
    may not have reached yet, are left to the check on submission."""
    form = request.form.to_dict()
    form["justification"] = form.get("justification", "").strip() or "(not written yet)"
    form["legal_basis"] = form.get("legal_basis") or LEGAL_BASES[0]
    try:
        details = canvass_from_form(form, agency_zone(), geocode=False)
    except (InvalidCanvass, InvalidSite) as refused:
        return jsonify(within_limits=False, refusals=refused.errors, exceedances={})
    return jsonify(canvass_service().check(signed_in_user(), details))


@bp.get("/canvasses/places")
@page_allows("canvass.open")
def places() -> ResponseReturnValue:
    """The form's address lookups: the places a typed address may be, or the address
    nearest a point clicked on the map."""
    address = request.args.get("address", "").strip()[:200]
    if address:
        try:
            return jsonify(candidates=places_of(address))
        except InvalidSite as refused:
            return jsonify(candidates=[], message=" ".join(refused.errors["address"]))
    try:
        latitude = float(request.args.get("latitude", ""))
        longitude = float(request.args.get("longitude", ""))
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            raise ValueError
    except ValueError:
        message = "Give an address, or a latitude (-90 to 90) and longitude (-180 to 180)."
        return jsonify(code="invalid", message=message), 400
    engine = current_app.extensions["canvass"].engine
    return jsonify(address=nearest_address(engine, latitude, longitude))


@bp.get("/canvasses/<canvass_id>")
@page_allows("canvass.read")
def canvass(canvass_id: str) -> ResponseReturnValue:
    """One canvass: its map, ranked candidates, answers, footage and door-to-door log."""
    services, user = current_app.extensions["canvass"], signed_in_user()
    service = services.canvass
    view = service.view(user, canvass_id)
    found, not_listed = service.candidates_or_why(user, canvass_id, "page")
    answers = service.requests(user, canvass_id)
    visits = service.visits(user, canvass_id)
    statuses = site_statuses(view, found, answers)
    files = services.footage.listing(canvass_id)
    statements = services.gateway.footage_statements(
        user, canvass_id, services.store, services.vault
    )
    refused = session.pop(REFUSED_VISIT, None) or {}
    if refused.get("canvass_id") != canvass_id:
        refused = {}
    return render_template(
        "canvass/canvass.html",
        canvass=view,
        found=found,
        not_listed=not_listed,
        answers=answers,
        offers=footage_offers(user, canvass_id),
        statuses=statuses,
        files=[
            entry | {"statement": statements.get((entry["request_id"], entry["sha256"]))}
            for entry in files
        ],
        visits=visits,
        map_data=json.dumps(map_data(view, found, statuses, visits)),
        user=user,
        visit_results=list(VISIT_RESULT_NAMES.items()),
        visit_values=refused.get("values", {}),
        visit_errors=dict(refused.get("errors", [])),
    )


@bp.post("/canvasses/<canvass_id>/submit")
@page_allows("canvass.open")
def submit(canvass_id: str) -> ResponseReturnValue:
    """Submit a draft."""
    return _act(
        canvass_id, lambda: canvass_service().submit(signed_in_user(), canvass_id), "Submitted."
    )


@bp.post("/canvasses/<canvass_id>/dispatch")
@page_allows("canvass.dispatch")
def dispatch(canvass_id: str) -> ResponseReturnValue:
    """Send the requests to the candidates' owners."""

    def send() -> None:
        outcome = canvass_service().dispatch(signed_in_user(), canvass_id)
        made = outcome.get("requested", 0)
        flash(
            f"Requests made to {made} owner{'s' if made != 1 else ''}; their emails go out "
            "within a few minutes." + _not_sent(outcome)
        )

    return _act(canvass_id, send)


@bp.post("/canvasses/<canvass_id>/cancel")
@page_allows("canvass.dispatch")
def cancel(canvass_id: str) -> ResponseReturnValue:
    """Call the canvass off, with a reason."""
    try:
        body = ReasonSchema().load({"reason": request.form.get("reason", "")})
    except ValidationError:
        flash("Say why you are cancelling the canvass.", "error")
        return redirect(url_for(".canvass", canvass_id=canvass_id))
    return _act(
        canvass_id,
        lambda: canvass_service().cancel(signed_in_user(), canvass_id, body["reason"]),
        "The canvass is cancelled.",
    )


@bp.post("/canvasses/<canvass_id>/visits")
@page_allows("canvass.visit")
def record_visit(canvass_id: str) -> ResponseReturnValue:
    """Log a door-to-door visit from the canvass page."""
    try:
        visit = visit_from_form(request.form.to_dict())
        canvass_service().record_visit(signed_in_user(), canvass_id, visit)
    except (InvalidCanvass, InvalidSite) as refused:
        return _visit_refused(canvass_id, request.form.to_dict(), refused.errors)
    except NotAllowedNow as refused:
        flash(str(refused), "error")
    else:
        flash("The visit is logged.")
    return redirect(url_for(".canvass", canvass_id=canvass_id, _anchor="visits"))


@bp.get("/canvasses/<canvass_id>/footage/<sha256>")
@page_allows("footage.take")
def download_footage(canvass_id: str, sha256: str) -> ResponseReturnValue:
    """One file; the download is recorded in its chain of custody and the access log."""
    services, user = current_app.extensions["canvass"], signed_in_user()
    path = services.gateway.footage_file(user, canvass_id, sha256)
    entry = next(f for f in services.footage.listing(canvass_id) if f["sha256"] == sha256)
    case_number = services.canvass.view(user, canvass_id)["case_number"]
    name, mimetype = download_as(path, entry, case_number)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)


@bp.get("/canvasses/<canvass_id>/package")
@page_allows("footage.take")
def case_package(canvass_id: str) -> ResponseReturnValue:
    """The case package: every file, the manifest of hashes and the custody log."""
    gateway = current_app.extensions["canvass"].gateway
    path, name = gateway.case_package(signed_in_user(), canvass_id)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
    path.unlink()  # the open file stays readable until sent
    return response


@bp.get("/canvasses/<canvass_id>/export.<kind>")
@page_allows("canvass.read")
def export(canvass_id: str, kind: str) -> ResponseReturnValue:
    """The canvass as GeoJSON for maps, or CSV for spreadsheets."""
    service, user = canvass_service(), signed_in_user()
    view = service.view(user, canvass_id)
    if kind not in ("geojson", "csv"):
        abort(404)
    try:
        found = service.candidates(user, canvass_id, kind)
    except NotAllowedNow as not_now:
        flash(str(not_now), "error")
        return redirect(url_for(".canvass", canvass_id=canvass_id))
    visits = service.visits(user, canvass_id)
    name = f"canvass-{view['case_number']}"
    if kind == "geojson":
        body, mimetype = json.dumps(exports.geojson(view, found, visits)), "application/geo+json"
    elif kind == "csv":
        body, mimetype = exports.csv_text(found, visits), "text/csv"
    else:
        abort(404)
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{kind}"'
    return response


@bp.get("/approvals")
@page_allows("canvass.approve")
def approvals() -> ResponseReturnValue:
    """The supervisor's queue: canvasses of the agency beyond the limits, oldest first."""
    return render_template("canvass/approvals.html", rows=approval_queue(), errors={})


@bp.post("/canvasses/<canvass_id>/approve")
@page_allows("canvass.approve")
def approve(canvass_id: str) -> ResponseReturnValue:
    """Approve a canvass beyond the limits, with the written reason the log keeps."""
    reason = request.form.get("reason", "")
    try:
        canvass_service().approve_override(signed_in_user(), canvass_id, reason_from_form(reason))
    except InvalidCanvass as refused:
        return queue_refusing(canvass_id, reason, refused.errors.get("reason", [str(refused)]))
    except NotAllowedNow as refused:
        flash(str(refused), "error")
        return redirect(url_for(".approvals"))
    flash("Approved. The investigator may now send the requests; your reason is recorded.")
    return redirect(url_for(".approvals"))


# --- helpers -------------------------------------------------------------------------------


def approval_queue() -> list[dict[str, Any]]:
    """The canvasses waiting for the signed-in supervisor's decision, oldest first."""
    rows = [
        row for row in canvass_service().list_for(signed_in_user()) if row["status"] == "submitted"
    ]
    return sorted(rows, key=lambda row: row["opened_at"])


def queue_refusing(canvass_id: str, reason: str, messages: list[str]) -> ResponseReturnValue:
    """The queue again, the reason as typed and what to change beside it."""
    page = render_template(
        "canvass/approvals.html",
        rows=approval_queue(),
        errors={canvass_id: messages},
        reasons={canvass_id: reason},
    )
    return page, 422


def canvass_service() -> CanvassService:
    service: CanvassService = current_app.extensions["canvass"].canvass
    return service


def signed_in_user() -> User:
    user = current_user()
    assert user is not None
    return user


def agency_zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIME_ZONE"])


def _span(length: timedelta) -> str:
    hours = length.total_seconds() / 3600
    if hours < 1:
        minutes = max(1, round(hours * 60))
        return f"{minutes} minute{'s' if minutes != 1 else ''}"
    if hours < 48:
        whole = round(hours)
        return f"{whole} hour{'s' if whole != 1 else ''}"
    days = round(hours / 24)
    return f"{days} days"


def _act(canvass_id: str, action: Any, done: str | None = None) -> ResponseReturnValue:
    """Carry out a button's action; a refusal is shown on the canvass page, not as an error."""
    try:
        action()
    except (NotAllowedNow, InvalidCanvass) as refused:
        errors = getattr(refused, "errors", None)
        message = " ".join(m for ms in errors.values() for m in ms) if errors else str(refused)
        flash(message, "error")
    else:
        if done:
            flash(done)
    return redirect(url_for(".canvass", canvass_id=canvass_id))


def _not_sent(outcome: dict[str, int]) -> str:
    notes = {
        "no_contact_on_file": "without contact details on file",
        "weekly_cap_reached": "already asked as often as allowed this week",
    }
    parts = [f"{outcome[key]} {text}" for key, text in notes.items() if outcome.get(key)]
    return f" Not asked: {'; '.join(parts)}." if parts else ""


def _visit_refused(
    canvass_id: str, form: dict[str, str], errors: dict[str, list[str]]
) -> ResponseReturnValue:
    """Back to the canvass page with the visit form as it was typed, each message beside
    its field."""
    values = {name: form.get(name, "")[:1000] for name in VISIT_FIELDS if form.get(name)}
    in_order = {name: errors[name] for name in VISIT_FIELDS if name in errors}
    in_order |= {name: messages for name, messages in errors.items() if name not in in_order}
    # as pairs: the session's JSON sorts keys, and the first field's error takes the focus
    pairs = list(in_order.items())
    session[REFUSED_VISIT] = {"canvass_id": canvass_id, "values": values, "errors": pairs}
    # no #anchor: the browser would then skip the autofocus on the first field to fix
    return redirect(url_for(".canvass", canvass_id=canvass_id))
