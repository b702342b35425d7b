"""The verifiable log's API: signed checkpoints and the public key for anyone, proofs and the
event export for auditors (what `canvass-verify` reads)."""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from accounts.auth import api_allows, current_user
from validation.fields import MAX_PAGE, MAX_POSITION, Moment, Text, WholeNumber

from . import access as a
from .access_export import download
from .anomalies import RULES, find
from .erasure import STEPS
from .log import MAX_EXPORT_PAGE, VerifiableLog
from .timeline import canvass_timeline, owner_timeline

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1/audit", description="The verifiable event log"
)

COUNT = {"invalid": "Give a whole number.", "required": "This is required."}
POSITIONS = f"{MAX_POSITION:,}"


def _position(minimum: int, error: str, **options: object) -> WholeNumber:
    """A position or size in the log: bounded by what the log's encoding can count."""
    return WholeNumber(
        minimum,
        MAX_POSITION,
        f"{error}.",
        f"Give at most {POSITIONS}.",
        error_messages=COUNT,
        **options,  # type: ignore[arg-type]
    )


class InclusionQuery(Schema):
    position = _position(1, "Positions start at 1", required=True)
    size = _position(1, "A tree that holds the event has at least 1 leaf", required=True)


class ConsistencyQuery(Schema):
    old = _position(1, "Sizes start at 1", data_key="from", required=True)
    new = _position(1, "Sizes start at 1", data_key="to", required=True)


class ExportQuery(Schema):
    after = _position(0, "From 0 up", load_default=0)
    limit = WholeNumber(
        1,
        MAX_EXPORT_PAGE,
        f"From 1 to {MAX_EXPORT_PAGE}.",
        load_default=MAX_EXPORT_PAGE,
        error_messages=COUNT,
    )


class InclusionProofSchema(Schema):
    position = fields.Integer()
    leaf_index = fields.Integer()
    tree_size = fields.Integer()
    leaf_hash = fields.String(metadata={"description": "base64"})
    root = fields.String(metadata={"description": "base64"})
    proof = fields.List(fields.String(), metadata={"description": "base64, RFC 9162 order"})


class ConsistencyProofSchema(Schema):
    from_size = fields.Integer(data_key="from", attribute="from")
    to_size = fields.Integer(data_key="to", attribute="to")
    root_from = fields.String()
    root_to = fields.String()
    proof = fields.List(fields.String(), metadata={"description": "base64, RFC 9162 order"})


def _log() -> VerifiableLog:
    log: VerifiableLog = current_app.extensions["canvass"].log
    return log


@blp.get("/checkpoint")
@blp.response(200, content_type="text/plain")
def checkpoint() -> Response:
    """The newest signed checkpoint (C2SP tlog-checkpoint: origin, size, base64 root, and an
    Ed25519 signature line). Save it: later checkpoints must be consistent with it."""
    return Response(_log().latest_checkpoint().note, mimetype="text/plain")


@blp.post("/checkpoint")
@api_allows("audit.checkpoint")
@blp.response(201, content_type="text/plain")
def issue_checkpoint() -> Response:
    """Sign the log as it stands now (at a size already signed, that checkpoint is returned)."""
    return Response(_log().issue_checkpoint().note, status=201, mimetype="text/plain")


@blp.get("/public-key")
@blp.response(200, content_type="text/plain")
def public_key() -> Response:
    """The key that signs checkpoints, as a note verifier key (`name+key id+base64 key`)."""
    return Response(_log().signer.public_key_text + "\n", mimetype="text/plain")


@blp.get("/proof/inclusion")
@api_allows("audit.read")
@blp.arguments(InclusionQuery, location="query")
@blp.response(200, InclusionProofSchema)
def inclusion(query: dict[str, int]) -> dict[str, Any]:
    """The proof that the event at `position` is in the tree of `size` events."""
    return _log().inclusion(query["position"], query["size"])


@blp.get("/proof/consistency")
@api_allows("audit.read")
@blp.arguments(ConsistencyQuery, location="query")
@blp.response(200, ConsistencyProofSchema)
def consistency(query: dict[str, int]) -> dict[str, Any]:
    """The proof that the tree of `to` events extends the tree of `from` events."""
    return _log().consistency(query["old"], query["new"])


@blp.get("/events")
@api_allows("audit.read")
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type="application/x-ndjson")
def export(query: dict[str, int]) -> Response:
    """Events after `after`, one JSON object a line, exactly as stored (personal fields
    sealed, actors pseudonymous) with their base64 leaf hash. Page on with the last position
    until the answer is empty."""
    lines = (json.dumps(event, ensure_ascii=False) + "\n" for event in _log().export(**query))
    return Response("".join(lines), mimetype="application/x-ndjson")


TIME = {"invalid": "Give a date and time like 2026-11-20T21:30:00Z."}


class AccessSearchQuery(Schema):
    actor = Text(64)
    case_number = Text(40)
    subject = Text(64)
    action = fields.String(
        validate=validate.OneOf(
            ("downloaded", "exported", "viewed", "purged", "listed_candidates"),
            error="Choose downloaded, exported, viewed, purged or listed_candidates.",
        )
    )
    agency = Text(80)
    since = Moment(data_key="from", error_messages=TIME)
    until = Moment(data_key="to", error_messages=TIME)
    page = WholeNumber(
        1, MAX_PAGE, f"From 1 to {MAX_PAGE:,}.", load_default=1, error_messages=COUNT
    )
    per_page = WholeNumber(1, 500, "From 1 to 500.", load_default=50, error_messages=COUNT)
    format = fields.String(
        load_default="json",
        validate=validate.OneOf(("json", "csv", "jsonl"), error="Choose json, csv or jsonl."),
    )


class AccessSchema(Schema):
    position = fields.Integer(metadata={"description": "the access event's place in the log"})
    recorded_at = fields.DateTime()
    actor = fields.String(metadata={"description": "the staff account's id"})
    role = fields.String()
    agency = fields.String(allow_none=True)
    subject_id = fields.String(allow_none=True, metadata={"description": "the owner's id"})
    action = fields.String()
    released = fields.String()
    purpose = fields.String(allow_none=True)
    case_number = fields.String(allow_none=True)
    legal_basis = fields.String(allow_none=True)
    canvass_id = fields.String(allow_none=True)
    request_id = fields.String(allow_none=True)


class AccessPageSchema(Schema):
    accesses = fields.List(fields.Nested(AccessSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


@blp.get("/access")
@api_allows("audit.read")
@blp.arguments(AccessSearchQuery, location="query")
@blp.response(200, AccessPageSchema)
def search_access(query: dict[str, Any]) -> Any:
    """Search the access log of your agency (a system auditor, agency ALL, reads all) by
    actor, case, owner, action, agency and time; newest first, by pages. `format=csv` or
    `format=jsonl` exports every match instead."""
    user = current_user()
    assert user is not None
    wanted = a.AccessQuery(
        actor=query.get("actor"),
        case_number=query.get("case_number"),
        subject_id=query.get("subject"),
        action=query.get("action"),
        agency=query.get("agency"),
        since=query.get("since"),
        until=query.get("until"),
    )
    page, per_page, shape = query["page"], query["per_page"], query["format"]
    with _read() as conn:
        if shape != "json":
            rows, _ = a.search(conn, wanted, user.agency or "", 0, 1_000_000)
            zone = ZoneInfo(current_app.config["TIME_ZONE"])
            return download(current_app.extensions["canvass"], rows, shape, zone)
        rows, total = a.search(conn, wanted, user.agency or "", (page - 1) * per_page, per_page)
    return {"accesses": rows, "total": total, "page": page, "per_page": per_page}


@blp.get("/canvasses/<canvass_id>/timeline")
@api_allows("audit.read")
@blp.response(200)
def timeline(canvass_id: str) -> Any:
    """Everything that happened to one canvass and its requests, in order: who did what,
    when, and every access to the owners' data it led to. Nothing personal."""
    user = current_user()
    assert user is not None
    services = current_app.extensions["canvass"]
    return {"events": canvass_timeline(services, canvass_id, user.agency or "")}


class OwnerAccessSchema(Schema):
    recorded_at = fields.DateTime()
    agency = fields.String(allow_none=True)
    case_number = fields.String(allow_none=True)
    action = fields.String()
    released = fields.String()
    purpose = fields.String(allow_none=True)
    legal_basis = fields.String(allow_none=True)


class OwnerAccessListSchema(Schema):
    accesses = fields.List(fields.Nested(OwnerAccessSchema))


@blp.get("/my-accesses")
@api_allows("trail.own")
@blp.response(200, OwnerAccessListSchema)
def my_accesses() -> Any:
    """Every access to your data: which agency, which case, why and when (officers are not
    named)."""
    user = current_user()
    assert user is not None
    with _read() as conn:
        return {"accesses": a.of_subject(conn, user.user_id)}


def _read() -> Any:
    services = current_app.extensions["canvass"]
    return a.read_caught_up(services.projections, services.engine)


@blp.get("/anomalies")
@api_allows("audit.read")
@blp.response(200)
def anomalies() -> Any:
    """Patterns worth a second look in your agency's canvasses and access log, newest first,
    each with the rule that raised it: overrides of the limits, footage taken by someone not
    on the case or after the canvass ended, night-time bulk releases, an owner asked by many
    canvasses."""
    user = current_user()
    assert user is not None
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    with _read() as conn:
        flags = find(conn, user.agency or "", zone)
    return {"flags": [flag.as_dict() for flag in flags], "rules": RULES}


@blp.get("/owners/<subject_id>/timeline")
@api_allows("audit.read")
@blp.response(200)
def owner_story(subject_id: str) -> Any:
    """What happened to one owner's data, by their pseudonymous id: the requests your
    agency's canvasses sent them and what became of them, and every access to their data
    (a system auditor also sees the account's and sites' own events). Nothing personal."""
    user = current_user()
    assert user is not None
    services = current_app.extensions["canvass"]
    events = owner_timeline(services, subject_id, user.agency or "")
    query = a.AccessQuery(subject_id=subject_id)
    with _read() as conn:
        rows, _ = a.search(conn, query, user.agency or "", 0, 1_000_000)
    return {
        "events": events,
        "accesses": [row | {"recorded_at": row["recorded_at"].isoformat()} for row in rows],
    }


class PendingErasureSchema(Schema):
    user_id = fields.String(metadata={"description": "the owner's pseudonymous id"})
    reason = fields.String(metadata={"description": "owner_request or inactive"})
    started_at = fields.DateTime()
    steps_done = fields.List(fields.String())
    steps_total = fields.Integer()
    waiting_on = fields.String(
        allow_none=True, metadata={"description": "what is still to do and why, in plain words"}
    )
    attempts = fields.Integer()
    last_attempt_at = fields.DateTime(allow_none=True)


class PendingErasuresSchema(Schema):
    erasures = fields.List(fields.Nested(PendingErasureSchema))
    steps = fields.List(fields.String(), metadata={"description": "every step, in order"})


@blp.get("/erasures")
@api_allows("audit.read")
@blp.response(200, PendingErasuresSchema)
def pending_erasures() -> Any:
    """Erasures asked for and not finished yet, the oldest first: since when, which steps
    are done, and what the rest waits for (the scheduler retries them every minute).
    Nothing personal: owners are named by their pseudonymous id."""
    pending = current_app.extensions["canvass"].eraser.unfinished()
    return {
        "erasures": [
            {
                "user_id": erasure.user_id,
                "reason": erasure.reason,
                "started_at": erasure.started_at,
                "steps_done": [name for name, _ in STEPS if name in erasure.steps_done],
                "steps_total": len(STEPS),
                "waiting_on": erasure.waiting_on,
                "attempts": erasure.attempts,
                "last_attempt_at": erasure.last_attempt_at,
            }
            for erasure in pending
        ],
        "steps": [name for name, _ in STEPS],
    }
