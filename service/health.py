"""Is the process up, and can it serve: the answers a load balancer and an operator need."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from .database import current_revision, head_revision, is_known_revision
from .wiring import services

blp = Blueprint("health", __name__, description="Liveness and readiness of the service")


class LivenessSchema(Schema):
    status = fields.String(metadata={"example": "up"})


class ReadinessSchema(Schema):
    status = fields.String(metadata={"description": "ready or not_ready"})
    database = fields.String(metadata={"description": "ok, or why it cannot be reached"})
    migrations = fields.String(metadata={"description": "current, behind or ahead"})
    revision = fields.String(allow_none=True)
    expected_revision = fields.String(allow_none=True)


@blp.route("/healthz")
@blp.response(200, LivenessSchema)
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "up"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="Not ready: the body says why")
def readyz() -> Any:
    """The database answers and its schema is at the revision this code expects."""
    expected = head_revision()
    report: dict[str, Any] = {"expected_revision": expected, "revision": None}
    try:
        report["revision"] = current_revision(services().engine)
        report["database"] = "ok"
    except sa.exc.SQLAlchemyError as error:
        report["database"] = f"unreachable ({type(error.orig or error).__name__})"
    if report["revision"] == expected:
        report["migrations"] = "current"
    elif report["revision"] is not None and not is_known_revision(report["revision"]):
        report["migrations"] = "ahead: a newer release of the service migrated this database"
    else:
        report["migrations"] = "behind: run 'flask --app wsgi db upgrade'"
    ready = report["database"] == "ok" and report["migrations"] == "current"
    report["status"] = "ready" if ready else "not_ready"
    return report, 200 if ready else 503
