"""The canvass REST API for investigators and supervisors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from flask import current_app, request, send_file
from flask_smorest import Blueprint

from accounts.auth import api_allows, current_user
from accounts.handlers import User

from . import exports
from . import schemas as s
from .candidates import CandidateList
from .footage import download_as
from .handlers import CanvassService

blp = Blueprint("canvass", __name__, url_prefix="/api/v1", description="Canvasses for footage")


def _service() -> CanvassService:
    service: CanvassService = current_app.extensions["canvass"].canvass
    return service


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


@blp.post("/canvasses")
@api_allows("canvass.open")
@blp.arguments(s.NewCanvassSchema)
@blp.response(201, s.CanvassSchema)
def open_canvass(body: dict[str, Any]) -> dict[str, Any]:
    """Open a draft canvass for an incident."""
    canvass_id = _service().open(_user(), s.canvass_details(body))
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/check")
@api_allows("canvass.open")
@blp.arguments(s.NewCanvassSchema)
@blp.response(200, s.PolicyCheckSchema)
def check_canvass(body: dict[str, Any]) -> dict[str, Any]:
    """Check a canvass against the agency's policy without opening it: what would be refused,
    and which limits a supervisor would have to approve."""
    return _service().check(_user(), s.canvass_details(body))


@blp.get("/canvasses")
@api_allows("canvass.read")
@blp.response(200, s.CanvassListSchema)
def list_canvasses() -> dict[str, Any]:
    """Your canvasses (a supervisor sees the agency's)."""
    return {"canvasses": _service().list_for(_user())}


@blp.get("/canvasses/<canvass_id>")
@api_allows("canvass.read")
@blp.response(200, s.CanvassSchema)
def get_canvass(canvass_id: str) -> dict[str, Any]:
    """One canvass."""
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/submit")
@api_allows("canvass.open")
@blp.response(200, s.CanvassSchema)
def submit(canvass_id: str) -> dict[str, Any]:
    """Submit: approved at once within the agency's limits, else sent to a supervisor."""
    _service().submit(_user(), canvass_id)
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/approve")
@api_allows("canvass.approve")
@blp.arguments(s.ReasonSchema)
@blp.response(200, s.CanvassSchema)
def approve(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Let a canvass exceed the limits; the reason is recorded."""
    _service().approve_override(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/deny")
@api_allows("canvass.approve")
@blp.arguments(s.DecisionSchema)
@blp.response(200, s.CanvassSchema)
def deny(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Refuse a canvass waiting for approval, for good; the investigator is told the reason."""
    _service().deny(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/send-back")
@api_allows("canvass.approve")
@blp.arguments(s.DecisionSchema)
@blp.response(200, s.CanvassSchema)
def send_back(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Return a canvass waiting for approval to its investigator, to change and submit again."""
    _service().send_back(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.put("/canvasses/<canvass_id>")
@api_allows("canvass.open")
@blp.arguments(s.NewCanvassSchema)
@blp.response(200, s.CanvassSchema)
def revise(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Change a draft, or a canvass a supervisor sent back; submit it again afterwards."""
    _service().revise(_user(), canvass_id, s.canvass_details(body))
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/close")
@api_allows("canvass.dispatch")
@blp.arguments(s.CloseSchema)
@blp.response(200, s.CanvassSchema)
def close(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Close a dispatched canvass, marking what became of each site's offered footage; the
    owners who offered it are emailed the outcome."""
    _service().close(_user(), canvass_id, body["outcomes"])
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/dispatch")
@api_allows("canvass.dispatch")
@blp.response(200, s.DispatchSchema)
def dispatch(canvass_id: str) -> dict[str, Any]:
    """Send an approved canvass out: one emailed request to each candidate's owner. The
    emails go out from the outbox within a minute; dispatching again finishes a dispatch that
    was cut short."""
    outcome = _service().dispatch(_user(), canvass_id)
    return {"canvass": _service().view(_user(), canvass_id), "requests": outcome}


@blp.get("/canvasses/<canvass_id>/requests")
@api_allows("canvass.read")
@blp.response(200, s.RequestSummarySchema)
def request_summary(canvass_id: str) -> dict[str, Any]:
    """How owners answered: counts, and the sites that offer footage or have none."""
    return _service().requests(_user(), canvass_id)


@blp.post("/requests/answer")
@blp.arguments(s.AnswerSchema)
@blp.response(200, s.AnswerRecordedSchema)
def answer_request(body: dict[str, Any]) -> dict[str, str]:
    """An owner answers a request with the token from the emailed link (no login needed)."""
    service = _service()
    service.dispatcher.answer(body["token"], body["answer"], body.get("note"), service.clock())
    return {"message": "Thank you: your answer is recorded."}


@blp.post("/canvasses/<canvass_id>/cancel")
@api_allows("canvass.dispatch")
@blp.arguments(s.ReasonSchema)
@blp.response(200, s.CanvassSchema)
def cancel(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Call a canvass off."""
    _service().cancel(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.get("/canvasses/<canvass_id>/candidates")
@api_allows("canvass.read")
@blp.response(200, s.CandidateListSchema)
def candidate_cameras(canvass_id: str) -> CandidateList:
    """Cameras that may have recorded the incident, ranked: view first, then soonest
    overwritten, then nearest. Camera facts and a site reference only, never an owner.

    A site whose owner keeps its exact place to themselves is given by its cell of about
    100 m: distance from the cell's centre to 100 m, direction to 45 degrees. Only for a
    submitted canvass: a draft, or a canvass called off, answers 409 (not_allowed_now).
    Every listing is recorded in the access log."""
    return _service().candidates(_user(), canvass_id, "api")


@blp.put("/requests/footage")
@blp.arguments(s.UploadQuerySchema, location="query")
@blp.response(201, s.StoredFootageSchema)
def upload_footage(query: dict[str, Any]) -> Any:
    """An owner uploads a clip for a request: the file is the request body, the link's token
    and (optionally) its SHA-256, the recorder's clock offset and a statement go in the query."""
    request.max_content_length = current_app.config["FOOTAGE_MAX_BYTES"]
    stream = request.stream

    def chunks() -> Iterator[bytes]:
        while chunk := stream.read(1024 * 1024):
            yield chunk

    desk = current_app.extensions["canvass"].footage
    return desk.receive(
        query["token"],
        chunks(),
        query.get("sha256"),
        query.get("clock_offset_seconds"),
        query.get("statement"),
        _service().clock(),
    )


@blp.get("/canvasses/<canvass_id>/footage")
@api_allows("canvass.read")
@blp.response(200, s.FootageListSchema)
def list_footage(canvass_id: str) -> dict[str, Any]:
    """The files owners sent for a canvass."""
    _service().view(_user(), canvass_id)
    return {"files": current_app.extensions["canvass"].footage.listing(canvass_id)}


@blp.get("/canvasses/<canvass_id>/footage/<sha256>")
@api_allows("footage.take")
@blp.response(200)
def download_footage(canvass_id: str, sha256: str) -> Any:
    """One file; the download is recorded in its chain of custody and the access log."""
    services, user = current_app.extensions["canvass"], _user()
    path = services.gateway.footage_file(user, canvass_id, sha256)
    entry = next(f for f in services.footage.listing(canvass_id) if f["sha256"] == sha256)
    case_number = services.canvass.view(user, canvass_id)["case_number"]
    name, _ = download_as(path, entry, case_number)  # the document promises octet-stream
    return send_file(
        path, mimetype="application/octet-stream", as_attachment=True, download_name=name
    )


@blp.get("/canvasses/<canvass_id>/package")
@api_allows("footage.take")
@blp.response(200)
def case_package(canvass_id: str) -> Any:
    """A zip of every file, a manifest of their SHA-256 hashes and the custody log."""
    gateway = current_app.extensions["canvass"].gateway
    path, name = gateway.case_package(_user(), canvass_id)
    response = send_file(path, mimetype="application/zip", as_attachment=True, download_name=name)
    path.unlink()  # the open file stays readable until sent
    return response


@blp.post("/canvasses/<canvass_id>/visits")
@api_allows("canvass.visit")
@blp.arguments(s.NewVisitSchema)
@blp.response(201, s.VisitSchema)
def record_visit(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Log a door knocked at in person: the result, and any camera's retention and clock."""
    if body.get("revisit_due") is not None:
        body["revisit_due"] = body["revisit_due"].isoformat()
    visit_id = _service().record_visit(_user(), canvass_id, body)
    return next(v for v in _service().visits(_user(), canvass_id) if v["visit_id"] == visit_id)


@blp.get("/canvasses/<canvass_id>/visits")
@api_allows("canvass.read")
@blp.response(200, s.VisitListSchema)
def list_visits(canvass_id: str) -> dict[str, Any]:
    """The canvass's door-to-door log."""
    return {"visits": _service().visits(_user(), canvass_id)}


@blp.get("/canvasses/<canvass_id>/export.geojson")
@api_allows("canvass.read")
@blp.response(200)
def export_geojson(canvass_id: str) -> Any:
    """The area, the incident, candidates (facts only, no position) and visits as GeoJSON."""
    service, user = _service(), _user()
    data = exports.geojson(
        service.view(user, canvass_id),
        service.candidates(user, canvass_id, "geojson"),
        service.visits(user, canvass_id),
    )
    return current_app.response_class(json.dumps(data), mimetype="application/geo+json")


@blp.get("/canvasses/<canvass_id>/export.csv")
@api_allows("canvass.read")
@blp.response(200)
def export_csv(canvass_id: str) -> Any:
    """Candidates and visits as a table for spreadsheets."""
    service, user = _service(), _user()
    found = service.candidates(user, canvass_id, "csv")
    text = exports.csv_text(found, service.visits(user, canvass_id))
    return current_app.response_class(text, mimetype="text/csv")
