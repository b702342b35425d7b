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
    url_for,
)
from flask.typing import ResponseReturnValue
from geographiclib.geodesic import Geodesic
from marshmallow import ValidationError

from accounts.auth import current_user, page_allows
from accounts.handlers import User
from registry.errors import InvalidSite

from . import exports
from .candidates import Candidate, CandidateList
from .decider import LEGAL_BASES
from .errors import InvalidCanvass, NotAllowedNow
from .handlers import CanvassService
from .policy import CATEGORIES, CATEGORY_NAMES
from .schemas import NewCanvassSchema, NewVisitSchema, ReasonSchema, canvass_details

bp = Blueprint("canvass_pages", __name__, template_folder="templates")

LEGAL_BASIS_NAMES = {
    "owner_consent": "The owner's consent",
    "warrant": "A warrant",
    "exigent_circumstances": "Exigent circumstances",
}
VISIT_RESULT_NAMES = {
    "no_answer": "Nobody answered",
    "no_camera": "No camera here",
    "camera_present": "A camera is here",
}
# How a candidate's site looks on the map and in the list, by what its owner answered.
SITE_STATUS = {
    "not_asked": ("Not asked yet", "#1f5fa8"),
    "offered": ("Offered footage", "#2e7d32"),
    "no_footage": ("No relevant footage", "#6b7785"),
    # declined, not answered yet, or not contactable: never told apart per site
    "waiting": ("No answer to show", "#d9822b"),
    "overwritten": ("Likely overwritten", "#9aa7b4"),
}
# Fields of the form grouped as the page shows them, so errors appear next to their input.
FORM_GROUPS = {
    "incident": ("incident", "latitude", "longitude", "address"),
    "window": ("window", "window_start", "window_end"),
    "area": ("area", "radius_m", "polygon", "shape"),
}


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None) -> str:
    """A stored time in the service's time zone, as people read it."""
    if moment is None:
        return ""
    return moment.astimezone(_zone()).strftime("%a %d %b %Y, %H:%M %Z")


@bp.app_template_filter("expires_in")
def expires_in(moment: datetime) -> str:
    """'expires in 3 days', 'expires in 5 hours', 'overwritten 2 days ago'."""
    left = moment - _service().clock()
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
        "time_zone": current_app.config["TIME_ZONE"],
        "map_settings": {
            "tiles": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
        },
    }


@bp.get("/canvasses")
@page_allows("canvass.read")
def canvasses() -> ResponseReturnValue:
    """The investigator's canvasses, or the agency's for a supervisor."""
    user = _user()
    rows = _service().list_for(user)
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
            details = _details_from(values)
            canvass_id = _service().open(_user(), details)
            _service().submit(_user(), canvass_id)
        except (InvalidCanvass, InvalidSite) as refused:
            errors = refused.errors
        else:
            canvass = _service().view(_user(), canvass_id)
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
        details = _details_from(form, geocode=False)
    except (InvalidCanvass, InvalidSite) as refused:
        return jsonify(within_limits=False, refusals=refused.errors, exceedances={})
    return jsonify(_service().check(_user(), details))


@bp.get("/canvasses/<canvass_id>")
@page_allows("canvass.read")
def canvass(canvass_id: str) -> ResponseReturnValue:
    """One canvass: its map, ranked candidates, answers, footage and door-to-door log."""
    service, user = _service(), _user()
    view = service.view(user, canvass_id)
    found = service.candidates(user, canvass_id)
    answers = service.requests(user, canvass_id)
    visits = service.visits(user, canvass_id)
    statuses = _site_statuses(view, found, answers)
    return render_template(
        "canvass/canvass.html",
        canvass=view,
        found=found,
        answers=answers,
        statuses=statuses,
        files=current_app.extensions["canvass"].footage.listing(canvass_id),
        visits=visits,
        map_data=json.dumps(_map_data(view, found, statuses, visits)),
        user=user,
        visit_results=list(VISIT_RESULT_NAMES.items()),
    )


@bp.post("/canvasses/<canvass_id>/submit")
@page_allows("canvass.open")
def submit(canvass_id: str) -> ResponseReturnValue:
    """Submit a draft."""
    return _act(canvass_id, lambda: _service().submit(_user(), canvass_id), "Submitted.")


@bp.post("/canvasses/<canvass_id>/dispatch")
@page_allows("canvass.dispatch")
def dispatch(canvass_id: str) -> ResponseReturnValue:
    """Send the requests to the candidates' owners."""

    def send() -> None:
        outcome = _service().dispatch(_user(), canvass_id)
        sent = outcome.get("sent", 0)
        flash(f"Requests sent to {sent} owner{'s' if sent != 1 else ''}." + _not_sent(outcome))

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
        lambda: _service().cancel(_user(), canvass_id, body["reason"]),
        "The canvass is cancelled.",
    )


@bp.post("/canvasses/<canvass_id>/visits")
@page_allows("canvass.visit")
def record_visit(canvass_id: str) -> ResponseReturnValue:
    """Log a door-to-door visit from the canvass page."""
    form = request.form.to_dict()
    body: dict[str, Any] = {
        "latitude": form.get("latitude") or None,
        "longitude": form.get("longitude") or None,
        "address": form.get("address") or None,
        "result": form.get("result", ""),
        "retention_days": _whole_number(form.get("retention_days")),
        "clock_offset_seconds": _whole_number(form.get("clock_offset_seconds")),
        "contact_made": form.get("contact_made") == "yes",
        "revisit_due": form.get("revisit_due") or None,
        "note": form.get("note") or None,
    }
    if body["latitude"] is None and body["longitude"] is None and body["address"]:
        errors: dict[str, list[str]] = {}
        place = _incident({"address": body["address"]}, errors, geocode=True)
        if errors:
            return _visit_refused(canvass_id, errors)
        body |= place
    try:
        visit = NewVisitSchema().load(body)
        if visit["revisit_due"] is not None:
            visit["revisit_due"] = visit["revisit_due"].isoformat()
        _service().record_visit(_user(), canvass_id, visit)
    except ValidationError as invalid:
        return _visit_refused(canvass_id, _flatten(invalid.messages))
    except (InvalidCanvass, InvalidSite) as refused:
        return _visit_refused(canvass_id, refused.errors)
    except NotAllowedNow as refused:
        flash(str(refused), "error")
    else:
        flash("The visit is logged.")
    return redirect(url_for(".canvass", canvass_id=canvass_id, _anchor="visits"))


@bp.get("/canvasses/<canvass_id>/footage/<sha256>")
@page_allows("footage.take")
def download_footage(canvass_id: str, sha256: str) -> ResponseReturnValue:
    """One file; the download is recorded in its chain of custody and the access log."""
    path = current_app.extensions["canvass"].gateway.footage_file(_user(), canvass_id, sha256)
    return send_file(path, mimetype="application/octet-stream", download_name=f"{sha256}.video")


@bp.get("/canvasses/<canvass_id>/package")
@page_allows("footage.take")
def case_package(canvass_id: str) -> ResponseReturnValue:
    """The case package: every file, the manifest of hashes and the custody log."""
    gateway = current_app.extensions["canvass"].gateway
    path, name = gateway.case_package(_user(), canvass_id)
    response = send_file(path, mimetype="application/zip", download_name=name)
    path.unlink()  # the open file stays readable until sent
    return response


@bp.get("/canvasses/<canvass_id>/export.<kind>")
@page_allows("canvass.read")
def export(canvass_id: str, kind: str) -> ResponseReturnValue:
    """The canvass as GeoJSON for maps, or CSV for spreadsheets."""
    service, user = _service(), _user()
    view = service.view(user, canvass_id)
    found, visits = service.candidates(user, canvass_id), service.visits(user, canvass_id)
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
    rows = [row for row in _service().list_for(_user()) if row["status"] == "submitted"]
    rows.sort(key=lambda row: row["opened_at"])
    return render_template("canvass/approvals.html", rows=rows, errors={})


@bp.post("/canvasses/<canvass_id>/approve")
@page_allows("canvass.approve")
def approve(canvass_id: str) -> ResponseReturnValue:
    """Approve a canvass beyond the limits, with the written reason the log keeps."""
    reason = request.form.get("reason", "")
    try:
        _service().approve_override(_user(), canvass_id, reason)
    except InvalidCanvass as refused:
        rows = [row for row in _service().list_for(_user()) if row["status"] == "submitted"]
        page = render_template(
            "canvass/approvals.html",
            rows=rows,
            errors={canvass_id: refused.errors.get("reason", [str(refused)])},
            reasons={canvass_id: reason},
        )
        return page, 422
    except NotAllowedNow as refused:
        flash(str(refused), "error")
        return redirect(url_for(".approvals"))
    flash("Approved. The investigator may now send the requests; your reason is recorded.")
    return redirect(url_for(".approvals"))


# --- helpers -------------------------------------------------------------------------------


def _service() -> CanvassService:
    service: CanvassService = current_app.extensions["canvass"].canvass
    return service


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


def _zone() -> ZoneInfo:
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
        "already_sent": "already asked for this canvass",
    }
    parts = [f"{outcome[key]} {text}" for key, text in notes.items() if outcome.get(key)]
    return f" Not sent: {'; '.join(parts)}." if parts else ""


def _details_from(form: dict[str, str], *, geocode: bool = True) -> dict[str, Any]:
    """The form's fields as the details of a canvass, or InvalidCanvass field by field."""
    errors: dict[str, list[str]] = {}
    body: dict[str, Any] = {
        key: form.get(key, "").strip()
        for key in ("case_number", "category", "justification", "legal_basis")
    }
    if not body["legal_basis"]:
        errors["legal_basis"] = ["Choose the legal basis for asking owners."]
        del body["legal_basis"]
    for key in ("window_start", "window_end"):
        body[key] = _aware(form.get(key, ""), key, errors)
    body["incident"] = _incident(form, errors, geocode)
    body["area"] = _area(form, errors)
    try:
        loaded = NewCanvassSchema(partial=("legal_basis",)).load(body)
    except ValidationError as invalid:
        for key, messages in _flatten(invalid.messages).items():
            errors.setdefault(key, messages)
    if errors:
        raise InvalidCanvass(errors)
    return canvass_details(loaded)


def _aware(text: str, key: str, errors: dict[str, list[str]]) -> str | None:
    """A date and time typed in the service's time zone, as ISO text with its offset."""
    if not text.strip():
        errors[key] = ["Give a date and time."]
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        errors[key] = ["Give a date and time like 2026-11-20 21:30."]
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone())
    return moment.isoformat()


def _incident(form: dict[str, str], errors: dict[str, list[str]], geocode: bool) -> Any:
    latitude, longitude = form.get("latitude", "").strip(), form.get("longitude", "").strip()
    if latitude or longitude:
        return {"latitude": latitude or None, "longitude": longitude or None}
    address = form.get("address", "").strip()
    if address and geocode:
        from registry.actions import candidates

        places = candidates(address)
        if len(places) == 1:
            return {"latitude": places[0].latitude, "longitude": places[0].longitude}
        errors["address"] = [
            "We could not find this address. Check it, or click the map where it happened."
            if not places
            else "This address matches several places. Add the town, or click the map."
        ]
    elif not address:
        errors["incident"] = ["Click the map where it happened, or give its address."]
    return None


def _area(form: dict[str, str], errors: dict[str, list[str]]) -> Any:
    if form.get("shape", "circle") == "polygon":
        try:
            corners = json.loads(form.get("polygon") or "[]")
        except ValueError:
            corners = None
        if not corners:
            errors["polygon"] = ["Draw the area on the map: click each corner in turn."]
            return None
        return {"polygon": corners}
    radius = form.get("radius_m", "").strip()
    if not radius:
        errors["radius_m"] = ["Give the radius in metres, e.g. 250."]
        return None
    return {"radius_m": radius}


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages keyed by the form's field names."""
    flat: dict[str, list[str]] = {}
    for key, value in dict(messages).items():
        name = prefix if key == "_schema" else str(key)
        if isinstance(value, dict):
            inner = _flatten(value, name)
            if name in ("incident", "area", "place") or key.isdigit():
                for inner_key, inner_messages in inner.items():
                    flat.setdefault(inner_key or name, []).extend(inner_messages)
            else:
                flat.setdefault(name, []).extend(m for ms in inner.values() for m in ms)
        else:
            flat.setdefault(name or "form", []).extend(
                value if isinstance(value, list) else [str(value)]
            )
    return flat


def _whole_number(text: str | None) -> int | str | None:
    """A typed whole number as an int; anything else as typed, for the schema to explain."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        return text


def _visit_refused(canvass_id: str, errors: dict[str, list[str]]) -> ResponseReturnValue:
    message = " ".join(m for ms in errors.values() for m in ms)
    flash(f"The visit was not logged: {message}", "error")
    return redirect(url_for(".canvass", canvass_id=canvass_id, _anchor="visits"))


def _site_statuses(
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


def _map_data(
    canvass: dict[str, Any],
    found: CandidateList,
    statuses: dict[str, str],
    visits: list[dict[str, Any]],
) -> dict[str, Any]:
    """What the canvass map draws. Candidates are placed by their rounded distance and
    bearing from the incident: the facts the investigator sees, nothing more precise."""
    incident = (canvass["incident_latitude"], canvass["incident_longitude"])
    return {
        "incident": incident,
        "area": canvass["area"],
        "candidates": [
            _map_candidate(incident, candidate, statuses[candidate.site_id], rank)
            for rank, candidate in enumerate([*found.ranked, *found.likely_overwritten], 1)
        ],
        "visits": [
            {
                "latitude": visit["latitude"],
                "longitude": visit["longitude"],
                "result": VISIT_RESULT_NAMES.get(visit["result"], visit["result"]),
            }
            for visit in visits
        ],
    }


def _map_candidate(
    incident: tuple[float, float], candidate: Candidate, status: str, rank: int
) -> dict[str, Any]:
    at = Geodesic.WGS84.Direct(
        incident[0], incident[1], candidate.about_bearing, candidate.about_distance_m
    )
    return {
        "rank": rank,
        "latitude": round(at["lat2"], 4),  # about 10 m, as coarse as the facts behind it
        "longitude": round(at["lon2"], 4),
        "bearing": candidate.bearing_degrees,
        "fov": candidate.field_of_view_degrees,
        "range": candidate.range_metres,
        "covers": candidate.view_covers_incident,
        "status": status,
        "colour": SITE_STATUS[status][1],
        "label": f"{rank}. {SITE_STATUS[status][0]}",
    }
