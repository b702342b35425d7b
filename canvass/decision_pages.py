"""The supervisor's decisions on the approvals page beyond approving (deny, send back), and
the investigator's closing of a canvass with what became of the footage owners offered."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from accounts.auth import page_allows
from accounts.handlers import User

from .decider import OUTCOMES
from .errors import InvalidCanvass, NotAllowedNow
from .schemas import DecisionSchema
from .staff_pages import canvass_service, choices, queue_refusing, signed_in_user

bp = Blueprint("canvass_decisions", __name__, template_folder="templates")
bp.context_processor(choices)

DONE = {
    "deny": "Denied. The investigator is told your reason; the canvass is closed for good.",
    "send_back": "Sent back. The investigator is told your reason and may change the canvass "
    "and submit it again.",
}


@bp.post("/canvasses/<canvass_id>/deny")
@page_allows("canvass.approve")
def deny(canvass_id: str) -> ResponseReturnValue:
    """Deny a canvass waiting for approval, for good, with a reason."""
    return _decide(canvass_id, "deny", canvass_service().deny)


@bp.post("/canvasses/<canvass_id>/send-back")
@page_allows("canvass.approve")
def send_back(canvass_id: str) -> ResponseReturnValue:
    """Send a canvass back to its investigator to change, with a reason."""
    return _decide(canvass_id, "send_back", canvass_service().send_back)


@bp.post("/canvasses/<canvass_id>/close")
@page_allows("canvass.dispatch")
def close(canvass_id: str) -> ResponseReturnValue:
    """Close a dispatched canvass; each `outcome-<site id>` field marks what became of that
    site's offered footage (used, not_needed, returned; left out: not needed)."""
    outcomes = {
        name.removeprefix("outcome-"): value
        for name, value in request.form.items()
        if name.startswith("outcome-")
    }
    if any(value not in OUTCOMES for value in outcomes.values()):
        flash("Choose used, not needed or returned for each site's footage.", "error")
        return redirect(url_for("canvass_pages.canvass", canvass_id=canvass_id))
    try:
        canvass_service().close(signed_in_user(), canvass_id, outcomes)
    except (InvalidCanvass, NotAllowedNow) as refused:
        errors = getattr(refused, "errors", None)
        flash(
            " ".join(m for ms in errors.values() for m in ms) if errors else str(refused), "error"
        )
    else:
        flash("The canvass is closed; the owners who offered footage are told what became of it.")
    return redirect(url_for("canvass_pages.canvass", canvass_id=canvass_id))


def _decide(
    canvass_id: str, decision: str, act: Callable[[User, str, str], None]
) -> ResponseReturnValue:
    reason = request.form.get("reason", "")
    try:
        act(signed_in_user(), canvass_id, DecisionSchema().load({"reason": reason})["reason"])
    except ValidationError as invalid:
        messages = invalid.messages if isinstance(invalid.messages, dict) else {}
        return queue_refusing(canvass_id, reason, list(messages.get("reason", [])))
    except InvalidCanvass as refused:
        return queue_refusing(canvass_id, reason, refused.errors.get("reason", [str(refused)]))
    except NotAllowedNow as refused:
        flash(str(refused), "error")
        return redirect(url_for("canvass_pages.approvals"))
    flash(DONE[decision])
    return redirect(url_for("canvass_pages.approvals"))
