"""The canvass REST API for investigators and supervisors."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from accounts.auth import api_login_required, current_user
from accounts.handlers import User

from . import schemas as s
from .candidates import CandidateList
from .handlers import CanvassService

blp = Blueprint("canvass", __name__, url_prefix="/api/v1", description="Canvasses for footage")
staff = api_login_required("investigator", "supervisor")
investigators = api_login_required("investigator")
supervisors = api_login_required("supervisor")


def _service() -> CanvassService:
    service: CanvassService = current_app.extensions["canvass"].canvass
    return service


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


@blp.post("/canvasses")
@investigators
@blp.arguments(s.NewCanvassSchema)
@blp.response(201, s.CanvassSchema)
def open_canvass(body: dict[str, Any]) -> dict[str, Any]:
    """Open a draft canvass for an incident."""
    incident = body.pop("incident")
    area = body.pop("area")
    details = body | {
        "incident_latitude": incident["latitude"],
        "incident_longitude": incident["longitude"],
        "area": {"circle": {"radius_m": area["radius_m"]}}
        if "radius_m" in area
        else {"polygon": area["polygon"]},
    }
    canvass_id = _service().open(_user(), details)
    return _service().view(_user(), canvass_id)


@blp.get("/canvasses")
@staff
@blp.response(200, s.CanvassListSchema)
def list_canvasses() -> dict[str, Any]:
    """Your canvasses (a supervisor sees the agency's)."""
    return {"canvasses": _service().list_for(_user())}


@blp.get("/canvasses/<canvass_id>")
@staff
@blp.response(200, s.CanvassSchema)
def get_canvass(canvass_id: str) -> dict[str, Any]:
    """One canvass."""
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/submit")
@investigators
@blp.response(200, s.CanvassSchema)
def submit(canvass_id: str) -> dict[str, Any]:
    """Submit: approved at once within the agency's limits, else sent to a supervisor."""
    _service().submit(_user(), canvass_id)
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/approve")
@supervisors
@blp.arguments(s.ReasonSchema)
@blp.response(200, s.CanvassSchema)
def approve(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Let a canvass exceed the limits; the reason is recorded."""
    _service().approve_override(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.post("/canvasses/<canvass_id>/dispatch")
@investigators
@blp.response(200, s.DispatchSchema)
def dispatch(canvass_id: str) -> dict[str, Any]:
    """Send an approved canvass out: one emailed request to each candidate's owner."""
    outcome = _service().dispatch(_user(), canvass_id)
    current_app.extensions["canvass"].outbox.send_pending()
    return {"canvass": _service().view(_user(), canvass_id), "requests": outcome}


@blp.get("/canvasses/<canvass_id>/requests")
@staff
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
@investigators
@blp.arguments(s.ReasonSchema)
@blp.response(200, s.CanvassSchema)
def cancel(body: dict[str, Any], canvass_id: str) -> dict[str, Any]:
    """Call a canvass off."""
    _service().cancel(_user(), canvass_id, body["reason"])
    return _service().view(_user(), canvass_id)


@blp.get("/canvasses/<canvass_id>/candidates")
@staff
@blp.response(200, s.CandidateListSchema)
def candidate_cameras(canvass_id: str) -> CandidateList:
    """Cameras that may have recorded the incident, ranked: view first, then soonest
    overwritten, then nearest. Camera facts and a site reference only, never an owner."""
    return _service().candidates(_user(), canvass_id)
