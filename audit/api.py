"""The verifiable log's API: signed checkpoints and the public key for anyone, proofs and the
event export for auditors (what `canvass-verify` reads)."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from accounts.auth import api_login_required

from .log import MAX_EXPORT_PAGE, VerifiableLog

blp = Blueprint(
    "audit", __name__, url_prefix="/api/v1/audit", description="The verifiable event log"
)
auditors = api_login_required("auditor")

COUNT = {"invalid": "Give a whole number.", "required": "This is required."}


class InclusionQuery(Schema):
    position = fields.Integer(
        required=True,
        strict=False,
        error_messages=COUNT,
        validate=validate.Range(min=1, error="Positions start at 1."),
    )
    size = fields.Integer(
        required=True,
        strict=False,
        error_messages=COUNT,
        validate=validate.Range(min=1, error="A tree that holds the event has at least 1 leaf."),
    )


class ConsistencyQuery(Schema):
    old = fields.Integer(
        data_key="from",
        required=True,
        error_messages=COUNT,
        validate=validate.Range(min=1, error="Sizes start at 1."),
    )
    new = fields.Integer(
        data_key="to",
        required=True,
        error_messages=COUNT,
        validate=validate.Range(min=1, error="Sizes start at 1."),
    )


class ExportQuery(Schema):
    after = fields.Integer(
        load_default=0, error_messages=COUNT, validate=validate.Range(min=0, error="From 0 up.")
    )
    limit = fields.Integer(
        load_default=MAX_EXPORT_PAGE,
        error_messages=COUNT,
        validate=validate.Range(1, MAX_EXPORT_PAGE, error=f"From 1 to {MAX_EXPORT_PAGE}."),
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
@auditors
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
@auditors
@blp.arguments(InclusionQuery, location="query")
@blp.response(200, InclusionProofSchema)
def inclusion(query: dict[str, int]) -> dict[str, Any]:
    """The proof that the event at `position` is in the tree of `size` events."""
    return _log().inclusion(query["position"], query["size"])


@blp.get("/proof/consistency")
@auditors
@blp.arguments(ConsistencyQuery, location="query")
@blp.response(200, ConsistencyProofSchema)
def consistency(query: dict[str, int]) -> dict[str, Any]:
    """The proof that the tree of `to` events extends the tree of `from` events."""
    return _log().consistency(query["old"], query["new"])


@blp.get("/events")
@auditors
@blp.arguments(ExportQuery, location="query")
@blp.response(200, content_type="application/x-ndjson")
def export(query: dict[str, int]) -> Response:
    """Events after `after`, one JSON object a line, exactly as stored (personal fields
    sealed, actors pseudonymous) with their base64 leaf hash. Page on with the last position
    until the answer is empty."""
    lines = (json.dumps(event, ensure_ascii=False) + "\n" for event in _log().export(**query))
    return Response("".join(lines), mimetype="application/x-ndjson")
