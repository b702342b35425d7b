"""Is the process up, and can it serve: the answers a load balancer and an operator need."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from events_store.projections import ProjectionRunner

from .database import current_revision, head_revision, is_known_revision
from .wiring import services

blp = Blueprint("health", __name__, description="Liveness and readiness of the service")


class LivenessSchema(Schema):
    status = fields.String(metadata={"example": "up"})


class StoppedProjectionSchema(Schema):
    name = fields.String(metadata={"description": "the read model that stopped"})
    position = fields.Integer(metadata={"description": "the event it could not apply"})
    event_type = fields.String()
    error = fields.String(metadata={"description": "the kind of error"})
    message = fields.String(metadata={"description": "what went wrong, without personal data"})
    failed_at = fields.DateTime(allow_none=True)


class ReadinessSchema(Schema):
    status = fields.String(metadata={"description": "ready or not_ready"})
    database = fields.String(metadata={"description": "ok, or why it cannot be reached"})
    migrations = fields.String(metadata={"description": "current, behind, ahead or unknown"})
    revision = fields.String(allow_none=True)
    expected_revision = fields.String(allow_none=True)
    projections = fields.String(
        metadata={"description": "ok, or which read model stopped, where, why, and the repair"}
    )
    stopped_projections = fields.List(fields.Nested(StoppedProjectionSchema))


@blp.route("/healthz")
@blp.response(200, LivenessSchema)
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "up"}


@blp.route("/readyz")
@blp.response(200, ReadinessSchema)
@blp.alt_response(503, schema=ReadinessSchema, description="Not ready: the body says why")
def readyz() -> Any:
    """The database answers, its schema is at the revision this code expects, and every
    read model is applying the log."""
    found = services()
    expected = head_revision()
    report: dict[str, Any] = {"expected_revision": expected, "revision": None}
    try:
        report["revision"] = current_revision(found.engine)
        report["database"] = "ok"
    except sa.exc.SQLAlchemyError as error:
        report["database"] = unreachable(found.engine.url, error)
    report["migrations"] = _migrations(report["database"] == "ok", report["revision"], expected)
    report["projections"] = "not checked: the database is not ready"
    report["stopped_projections"] = []
    if report["database"] == "ok" and report["migrations"] == "current":
        report.update(_projections(found.projections))
    ready = report["database"] == "ok" and report["migrations"] == "current"
    ready = ready and report["projections"] == "ok"
    report["status"] = "ready" if ready else "not_ready"
    return report, 200 if ready else 503


def unreachable(url: sa.URL, error: sa.exc.SQLAlchemyError) -> str:
    """Why the database cannot be reached, in plain words: where it is and what it said."""
    cause = getattr(error, "orig", None) or error
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    reason = text.rsplit(": ", 1)[-1].strip().rstrip(".")
    reason = reason[:1].lower() + reason[1:]
    if url.get_backend_name() == "sqlite":
        return f"cannot open the database file {url.database}: {reason}"
    where = f"{url.host or 'localhost'}:{url.port or 5432}"
    return f"cannot reach the database at {where}: {reason}"


def _migrations(reachable: bool, revision: str | None, expected: str | None) -> str:
    if not reachable:
        return "unknown: the database cannot be reached"
    if revision == expected:
        return "current"
    if revision is not None and not is_known_revision(revision):
        return "ahead: a newer release of the service migrated this database"
    return "behind: run 'flask --app wsgi db upgrade'"


def _projections(runner: ProjectionRunner) -> dict[str, Any]:
    try:
        failures = runner.failures()
    except sa.exc.SQLAlchemyError as error:
        return {"projections": f"could not be read ({type(error.orig or error).__name__})"}
    if not failures:
        return {"projections": "ok"}
    sentences = [
        f"{name} stopped at position {failure.position - 1:,}: it {failure.describe()}; "
        f"repair it, then run 'flask --app wsgi projections rebuild {name}'"
        for name, failure in failures.items()
    ]
    stopped = [
        {
            "name": name,
            "position": failure.position,
            "event_type": failure.event_type,
            "error": failure.error,
            "message": failure.message,
            "failed_at": failure.failed_at,
        }
        for name, failure in failures.items()
    ]
    return {"projections": "; ".join(sentences), "stopped_projections": stopped}
