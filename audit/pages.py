"""Pages of the audit package: the owner's trail of accesses to their data, and the
auditors' search of the access log with its exports and the canvass timeline."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from accounts.auth import current_user, page_allows
from validation.fields import EARLIEST_DAY, LATEST_DAY, MAX_PAGE, Text

from . import access as a
from .access_export import download, local_time, readable
from .anomalies import find
from .erasure import STEPS
from .officers import officers, who
from .timeline import canvass_timeline
from .words import action_words, event_words

bp = Blueprint("audit_pages", __name__, template_folder="templates")
PER_PAGE = 50
ACTION_WORDS = {
    "downloaded": "downloaded the footage you sent",
    "exported": "added the footage you sent to the case file",
    "viewed": "viewed the footage you sent",
}
FILTERS = ("actor", "case_number", "subject", "action", "agency", "from", "to")
# What the timeline says under an event, in this order: (detail in the event, its label).
DETAILS = (
    ("reason", "Reason"),
    ("answer", "Answer"),
    ("action", "Done"),
    ("by", "Approved by"),
    ("exceedances", "Beyond the limits"),
)
ANSWER_WORDS = {
    "share_now": "will upload footage",
    "will_bring": "will bring or send footage",
    "no_footage": "recorded nothing useful",
    "decline": "declined",
}


@bp.context_processor
def time_zone() -> dict[str, str]:
    """The zone every time on the audit pages is shown in."""
    return {"time_zone": current_app.config["TIME_ZONE"]}


class TypedFilters(Schema):
    """The filters typed into the search form, held to what the access log can match."""

    actor = Text(64)
    case_number = Text(40)
    subject = Text(64)
    action = Text(20)
    agency = Text(80)
    since = Text(10, data_key="from")
    until = Text(10, data_key="to")


@bp.get("/my-data")
@page_allows("trail.own")
def my_data() -> ResponseReturnValue:
    """Who has seen the owner's data: agency, case, why and when."""
    user = current_user()
    assert user is not None
    with _read() as conn:
        rows = a.of_subject(conn, user.user_id)
    erasure = current_app.extensions["canvass"].eraser.progress_of(user.user_id)
    return render_template(
        "audit/my_data.html",
        rows=rows,
        words=ACTION_WORDS,
        erasure=erasure if erasure is not None and not erasure.finished else None,
    )


@bp.get("/audit/erasures")
@page_allows("audit.read")
def erasures() -> ResponseReturnValue:
    """Erasures asked for and not finished yet: since when, how far, what they wait for."""
    pending = current_app.extensions["canvass"].eraser.unfinished()
    return render_template("audit/erasures.html", pending=pending, steps=STEPS)


@bp.get("/audit")
@page_allows("audit.read")
def search() -> ResponseReturnValue:
    """The access log of the auditor's agency, searched and paged; CSV and JSON Lines too."""
    user = current_user()
    assert user is not None
    values = {name: request.args.get(name, "").strip() for name in FILTERS}
    errors = _filter_errors(values)
    wanted = a.AccessQuery(
        actor=values["actor"] or None,
        case_number=values["case_number"] or None,
        subject_id=values["subject"] or None,
        action=values["action"] or None,
        agency=values["agency"] or None,
        since=_day(values["from"], "from", errors),
        until=_day(values["to"], "to", errors, next_day=True),
    )
    shape = request.args.get("format", "")
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int) or 1))
    rows: list[dict[str, Any]] = []
    total = 0
    if not errors:
        with _read() as conn:
            if shape in ("csv", "jsonl"):
                rows, _ = a.search(conn, wanted, user.agency or "", 0, 1_000_000)
                return download(_services(), rows, shape, _zone())
            rows, total = a.search(conn, wanted, user.agency or "", (page - 1) * PER_PAGE, PER_PAGE)
    with _read() as conn:
        flags = find(conn, user.agency or "", _zone())
    named = officers(_services(), [flag.actor for flag in flags if flag.actor])
    page_html = render_template(
        "audit/search.html",
        flags=flags,
        flag_actors={flag.actor: who(named, flag.actor, None) for flag in flags if flag.actor},
        values=values,
        errors=errors,
        rows=readable(_services(), rows, _zone()),
        total=total,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        query={k: v for k, v in values.items() if v},
        agency=user.agency,
    )
    return page_html, 422 if errors else 200


@bp.get("/audit/canvasses/<canvass_id>")
@page_allows("audit.read")
def timeline(canvass_id: str) -> ResponseReturnValue:
    """One canvass from opening to close, with every access it led to."""
    user = current_user()
    assert user is not None
    services, zone = _services(), _zone()
    events = canvass_timeline(services, canvass_id, user.agency or "")
    query = a.AccessQuery(canvass_id=canvass_id)
    with _read() as conn:
        accesses, _ = a.search(conn, query, user.agency or "", 0, 1_000_000)
    named = officers(
        services, [event["actor"] for event in events] + [_approver(event) for event in events]
    )
    shown = [
        event
        | {
            "when": local_time(datetime.fromisoformat(event["recorded_at"]), zone),
            "what": event_words(event["type"]),
            "who": who(named, event["actor"], event["role"]),
            "notes": _notes(event["details"], named),
        }
        for event in events
    ]
    return render_template(
        "audit/timeline.html",
        canvass_id=canvass_id,
        case_number=next(
            (e["details"].get("case_number") for e in events if e["details"].get("case_number")),
            None,
        ),
        events=shown,
        accesses=readable(services, accesses, zone),
    )


def _approver(event: dict[str, Any]) -> str | None:
    by = event["details"].get("by")
    return by if isinstance(by, str) and by != "policy" else None


def _notes(details: dict[str, Any], named: dict[str, Any]) -> list[tuple[str, str]]:
    """The details of an event an auditor asks about, in words: the answer an owner gave,
    what staff did with footage, who approved, and why."""
    notes = []
    for key, label in DETAILS:
        value = details.get(key)
        if not value:
            continue
        if key == "answer":
            text = ANSWER_WORDS.get(str(value), str(value))
        elif key == "action":
            text = action_words(str(value))
        elif key == "by" and value == "policy":
            text = "the agency's policy (within its limits)"
        elif key == "by":
            text = who(named, str(value), "supervisor")
        elif key == "exceedances" and isinstance(value, dict):
            text = " ".join(str(line) for lines in value.values() for line in lines)
        else:
            text = str(value)
        notes.append((label, text))
    return notes


def _services() -> Any:
    return current_app.extensions["canvass"]


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIME_ZONE"])


def _read() -> Any:
    services = _services()
    return a.read_caught_up(services.projections, services.engine)


def _filter_errors(values: dict[str, str]) -> dict[str, str]:
    """The first problem with each typed filter, by the form's field names."""
    try:
        TypedFilters().load(values)
    except ValidationError as invalid:
        return {
            {"since": "from", "until": "to"}.get(str(name), str(name)): " ".join(messages)
            for name, messages in dict(invalid.messages).items()
        }
    return {}


def _day(text: str, name: str, errors: dict[str, str], next_day: bool = False) -> Any:
    """A typed date (YYYY-MM-DD) as the start of that day in the service's time zone; the
    end of the range counts the whole day."""
    if not text or name in errors:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        errors[name] = "Give a date like 2026-11-20."
        return None
    if not EARLIEST_DAY <= day.date() <= LATEST_DAY:
        errors[name] = "Give a date from the year 1970 to the year 9998."
        return None
    start = day.replace(tzinfo=ZoneInfo(current_app.config["TIME_ZONE"]))
    return start + timedelta(days=1) if next_day else start
