"""The access log: every release of an owner's personal data, as a read model that auditors
search and owners read about themselves. Rows come from the events the access gateway
appends before it releases anything, so the log and its proofs vouch for them: footage
taken, and every listing of a canvass's candidate cameras (which sites were shown, by their
references, to whom, and why)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Response

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.projections import ProjectionRunner

access = sa.Table(
    "audit_access",
    sa.MetaData(),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(80)),
    sa.Column("subject_id", sa.String(64)),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("released", sa.Text, nullable=False),
    sa.Column("purpose", sa.Text),
    sa.Column("case_number", sa.String(40)),
    sa.Column("legal_basis", sa.String(32)),
    sa.Column("canvass_id", sa.String(64)),
    sa.Column("request_id", sa.String(64)),
)

COLUMNS = [column.name for column in access.c]
LISTED = "CandidatesListed"
LISTING = "listed_candidates"  # the action of a listing's row
# A system auditor (agency "ALL") reads every agency's accesses.
ALL_AGENCIES = "ALL"


class AccessLog:
    """Keeps `audit_access` up to date from the gateway's records."""

    name = "access_log"
    event_types = frozenset({"FootageHandled", LISTED})

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """One row per release or listing; other events pass by."""
        rows = [
            _listing(event) if event.type == LISTED else _row(event)
            for event in events
            if event.type in self.event_types
        ]
        if rows:
            conn.execute(access.insert(), rows)

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read model before a rebuild."""
        conn.execute(access.delete())


def _row(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    return {
        "position": event.position,
        "recorded_at": event.recorded_at,
        "actor": data["actor"],
        "role": data.get("role") or event.metadata.get("role") or "unknown",
        "agency": data.get("agency"),
        "subject_id": data.get("owner_id"),
        "action": data["action"],
        "released": f"footage {data['sha256']}",
        "purpose": data.get("purpose"),
        "case_number": data.get("case_number"),
        "legal_basis": data.get("legal_basis"),
        "canvass_id": data["canvass_id"],
        "request_id": data["request_id"],
    }


def _listing(event: RecordedEvent) -> dict[str, Any]:
    data = event.data
    site_ids = data.get("site_ids") or []
    count = data.get("sites", len(site_ids))
    shown = f" ({data['shown_as']})" if data.get("shown_as") else ""
    listed = f": {', '.join(site_ids)}" if site_ids else ""
    return {
        "position": event.position,
        "recorded_at": event.recorded_at,
        "actor": data["actor"],
        "role": data.get("role") or event.metadata.get("role") or "unknown",
        "agency": data.get("agency"),
        "subject_id": None,
        "action": LISTING,
        "released": f"candidate cameras of {count} site{'s' if count != 1 else ''}{shown}" + listed,
        "purpose": data.get("purpose"),
        "case_number": data.get("case_number"),
        "legal_basis": data.get("legal_basis"),
        "canvass_id": data["canvass_id"],
        "request_id": None,
    }


@dataclass(frozen=True)
class AccessQuery:
    """What an auditor searches by; unset fields do not narrow the search."""

    actor: str | None = None
    case_number: str | None = None
    subject_id: str | None = None
    action: str | None = None
    agency: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    canvass_id: str | None = None


def search(
    conn: sa.Connection, query: AccessQuery, visible_agency: str, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The matching accesses, newest first, and how many match in all."""
    conditions = _conditions(query, visible_agency)
    total = conn.execute(sa.select(sa.func.count()).select_from(access).where(*conditions))
    rows = conn.execute(
        sa.select(access)
        .where(*conditions)
        .order_by(access.c.position.desc())
        .offset(offset)
        .limit(limit)
    )
    return [dict(row._mapping) for row in rows], int(total.scalar_one())


def _conditions(query: AccessQuery, visible_agency: str) -> list[Any]:
    conditions: list[Any] = []
    if visible_agency != ALL_AGENCIES:
        conditions.append(access.c.agency == visible_agency)
    for name in ("actor", "case_number", "subject_id", "action", "agency", "canvass_id"):
        value = getattr(query, name)
        if value:
            conditions.append(access.c[name] == value)
    if query.since:
        conditions.append(access.c.recorded_at >= query.since)
    if query.until:
        conditions.append(access.c.recorded_at < query.until)
    return conditions


def read_caught_up(projections: ProjectionRunner, engine: sa.Engine) -> sa.Connection:
    """A read-only connection, once the access log has read every event so far."""
    projections.catch_up([AccessLog.name])
    return engine.connect().execution_options(read_only=True)


def of_subject(conn: sa.Connection, subject_id: str) -> list[dict[str, Any]]:
    """Every access to one owner's data, newest first: what the owner's trail shows."""
    rows = conn.execute(
        sa.select(access)
        .where(access.c.subject_id == subject_id, access.c.action != "purged")
        .order_by(access.c.position.desc())
    )
    return [dict(row._mapping) for row in rows]


def as_download(rows: list[dict[str, Any]], shape: str) -> Response:
    """Rows as a file to save: `csv` for spreadsheets, `jsonl` for JSON Lines."""
    body = as_csv(rows) if shape == "csv" else as_json_lines(rows)
    kind = "text/csv" if shape == "csv" else "application/x-ndjson"
    response = Response(body, mimetype=kind)
    response.headers["Content-Disposition"] = f'attachment; filename="access-log.{shape}"'
    return response


def as_csv(rows: list[dict[str, Any]]) -> str:
    """Rows for spreadsheets: one header line, times in UTC."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row | {"recorded_at": row["recorded_at"].isoformat()})
    return out.getvalue()


def as_json_lines(rows: list[dict[str, Any]]) -> str:
    """Rows as JSON Lines, times in UTC."""
    return "".join(
        json.dumps(row | {"recorded_at": row["recorded_at"].isoformat()}) + "\n" for row in rows
    )
