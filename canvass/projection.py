"""The canvasses' read model: one row per canvass with its status and approvals."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.errors import SubjectErasedError
from events_store.sealing import PRIVATE, domain_events, seal_row
from events_store.vault import KeyVault

from . import events as e

canvasses = sa.Table(
    "canvass_canvasses",
    sa.MetaData(),
    sa.Column("canvass_id", sa.String(64), primary_key=True),
    sa.Column("agency", sa.String(80), nullable=False),
    sa.Column("investigator_id", sa.String(64), nullable=False),
    sa.Column("case_number", sa.String(40), nullable=False),
    sa.Column("category", sa.String(40), nullable=False),
    sa.Column("incident_latitude", sa.Float, nullable=False),
    sa.Column("incident_longitude", sa.Float, nullable=False),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("window_end", UtcDateTime(), nullable=False),
    sa.Column("area", sa.Text, nullable=False),
    sa.Column("area_m2", sa.Float, nullable=False),
    sa.Column("justification", sa.Text, nullable=False),
    sa.Column("legal_basis", sa.String(40), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("exceedances", sa.Text, nullable=False),
    sa.Column("approved_by", sa.String(64)),
    sa.Column("override_reason", sa.Text),
    sa.Column("opened_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    # True from a dispatch's plan until its every request exists (the scheduler finishes it)
    sa.Column("dispatch_unfinished", sa.Boolean, nullable=False, server_default=sa.false()),
    # the supervisor who last denied or sent it back, and their reason
    sa.Column("decided_by", sa.String(64)),
    sa.Column("decision_reason", sa.Text),
)

# A visit's place, address and note are one sealed value (`private`, sealed as the event
# was: for the visited site's owner, or for the canvass's visits); None once that is erased.
visits = sa.Table(
    "canvass_visits",
    sa.MetaData(),
    sa.Column("visit_id", sa.String(64), primary_key=True),
    sa.Column("canvass_id", sa.String(64), nullable=False),
    sa.Column("site_id", sa.String(64)),
    sa.Column("result", sa.String(16), nullable=False),
    sa.Column("retention_days", sa.Integer),
    sa.Column("clock_offset_seconds", sa.Integer),
    sa.Column("contact_made", sa.Boolean, nullable=False),
    sa.Column("revisit_due", sa.String(10)),
    sa.Column("recorded_at", UtcDateTime(), nullable=False),
    sa.Column("private", sa.Text),
)
VISIT_PRIVATE = ("latitude", "longitude", "address", "note")

_STATUS = {
    e.CanvassDispatched: "dispatched",
    e.CanvassClosed: "closed",
    e.CanvassCancelled: "cancelled",
    e.CanvassExpired: "expired",
}


class CanvassProjection:
    """Keeps `canvass_canvasses` and `canvass_visits` up to date."""

    name = "canvass"
    event_types = frozenset(e.EVENT_TYPES)

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply the canvass events of a batch; other events pass by."""
        for event, recorded in domain_events(events, e.EVENT_TYPES, self._vault):
            self._apply(conn, event, recorded)

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read model before a rebuild."""
        conn.execute(visits.delete())
        conn.execute(canvasses.delete())

    def _visit(self, event: e.VisitRecorded, recorded: RecordedEvent) -> dict[str, Any]:
        values = vars(event)
        sealed = recorded.data.get(PRIVATE)
        private = None
        if isinstance(sealed, str) and values["latitude"] is not None:
            subject = sealed.split(".")[1]  # the event's own subject
            personal = {name: values[name] for name in VISIT_PRIVATE}
            with contextlib.suppress(SubjectErasedError):
                private = seal_row(self._vault, subject, visits.name, event.visit_id, personal)
        return {
            "visit_id": event.visit_id,
            "canvass_id": event.canvass_id,
            "site_id": event.site_id,
            "result": event.result,
            "retention_days": event.retention_days,
            "clock_offset_seconds": event.clock_offset_seconds,
            "contact_made": bool(event.contact_made),
            "revisit_due": event.revisit_due,
            "recorded_at": recorded.recorded_at,
            "private": private,
        }

    def _apply(self, conn: sa.Connection, event: e.CanvassEvent, recorded: RecordedEvent) -> None:
        at = recorded.recorded_at
        row = canvasses.c.canvass_id == event.canvass_id
        if isinstance(event, e.VisitRecorded):
            conn.execute(visits.insert().values(**self._visit(event, recorded)))
        elif isinstance(event, e.CanvassOpened):
            conn.execute(
                canvasses.insert().values(
                    canvass_id=event.canvass_id,
                    agency=event.agency,
                    investigator_id=event.investigator_id,
                    case_number=event.case_number,
                    category=event.category,
                    incident_latitude=event.incident_latitude,
                    incident_longitude=event.incident_longitude,
                    window_start=_utc(event.window_start),
                    window_end=_utc(event.window_end),
                    area=json.dumps(event.area),
                    area_m2=event.area_m2,
                    justification=event.justification,
                    legal_basis=event.legal_basis,
                    status="draft",
                    exceedances="{}",
                    opened_at=at,
                    updated_at=at,
                )
            )
        elif isinstance(event, e.CanvassSubmitted):
            conn.execute(
                canvasses.update()
                .where(row)
                .values(
                    status="submitted", exceedances=json.dumps(event.exceedances), updated_at=at
                )
            )
        elif isinstance(event, (e.CanvassDenied, e.CanvassSentBack)):
            status = "denied" if isinstance(event, e.CanvassDenied) else "sent_back"
            conn.execute(
                canvasses.update()
                .where(row)
                .values(
                    status=status,
                    decided_by=event.supervisor_id,
                    decision_reason=event.reason,
                    updated_at=at,
                )
            )
        elif isinstance(event, e.CanvassRevised):
            conn.execute(
                canvasses.update()
                .where(row)
                .values(
                    case_number=event.case_number,
                    category=event.category,
                    incident_latitude=event.incident_latitude,
                    incident_longitude=event.incident_longitude,
                    window_start=_utc(event.window_start),
                    window_end=_utc(event.window_end),
                    area=json.dumps(event.area),
                    area_m2=event.area_m2,
                    justification=event.justification,
                    legal_basis=event.legal_basis,
                    status="draft",
                    exceedances="{}",
                    updated_at=at,
                )
            )
        elif isinstance(event, e.OverrideApproved):
            conn.execute(canvasses.update().where(row).values(override_reason=event.reason))
        elif isinstance(event, e.CanvassApproved):
            conn.execute(
                canvasses.update()
                .where(row)
                .values(status="approved", approved_by=event.by, updated_at=at)
            )
        elif isinstance(event, e.RequestsPlanned):
            unfinished = bool(event.requests)
            conn.execute(canvasses.update().where(row).values(dispatch_unfinished=unfinished))
        elif isinstance(event, e.DispatchFinished):
            conn.execute(canvasses.update().where(row).values(dispatch_unfinished=False))
        elif type(event) in _STATUS:
            conn.execute(
                canvasses.update().where(row).values(status=_STATUS[type(event)], updated_at=at)
            )


requests = sa.Table(
    "canvass_requests",
    sa.MetaData(),
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("canvass_id", sa.String(64), nullable=False),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("camera_ids", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("answer", sa.String(16)),
    sa.Column("sent_at", UtcDateTime(), nullable=False),
    sa.Column("expires_at", UtcDateTime(), nullable=False),
    sa.Column("answered_at", UtcDateTime()),
)


footage = sa.Table(
    "canvass_footage",
    sa.MetaData(),
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("canvass_id", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("container", sa.String(16), nullable=False),
    sa.Column("clock_offset_seconds", sa.Integer),
    sa.Column("received_at", UtcDateTime(), nullable=False),
)


class RequestsProjection:
    """Keeps `canvass_requests` up to date: statuses, never the owner's note."""

    name = "canvass_requests"
    event_types = frozenset(e.REQUEST_EVENT_TYPES)

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply the request events of a batch; other events pass by."""
        for event, recorded in domain_events(events, e.REQUEST_EVENT_TYPES, None):
            row = requests.c.request_id == event.request_id
            at = recorded.recorded_at
            if isinstance(event, e.FootageRequested):
                conn.execute(
                    requests.insert().values(
                        request_id=event.request_id,
                        canvass_id=event.canvass_id,
                        site_id=event.site_id,
                        owner_id=event.owner_id,
                        camera_ids=json.dumps(event.camera_ids),
                        status="sent",
                        sent_at=at,
                        expires_at=_utc(event.expires_at),
                    )
                )
            elif isinstance(event, e.RequestAnswered):
                conn.execute(
                    requests.update()
                    .where(row)
                    .values(status="answered", answer=event.answer, answered_at=at)
                )
            elif isinstance(event, e.RequestExpired):
                conn.execute(requests.update().where(row).values(status="expired"))
            elif isinstance(event, e.FootageReceived):
                conn.execute(
                    footage.insert().values(
                        request_id=event.request_id,
                        sha256=event.sha256,
                        canvass_id=event.canvass_id,
                        size=event.size,
                        container=event.container,
                        clock_offset_seconds=event.clock_offset_seconds,
                        received_at=at,
                    )
                )
            elif isinstance(event, e.FootageHandled) and event.action == "purged":
                conn.execute(
                    footage.delete().where(
                        footage.c.request_id == event.request_id,
                        footage.c.sha256 == event.sha256,
                    )
                )

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read model before a rebuild."""
        conn.execute(footage.delete())
        conn.execute(requests.delete())


def _utc(text: str) -> datetime:
    """A stored time in UTC: SQLite keeps no offset, so every time is written in UTC."""
    return datetime.fromisoformat(text).astimezone(UTC)
