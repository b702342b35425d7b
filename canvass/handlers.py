"""Carry out canvass commands for staff, and find a canvass's candidate cameras."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa

from accounts.handlers import User
from accounts.projection import users
from events_store import EventStore, RecordedEvent
from events_store.handling import fixed_subject, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault
from registry.geodesy import Circle, Point
from registry.projection import cameras
from registry.queries import cameras_within, cameras_within_polygon

from . import commands as c
from . import emails
from .candidates import CandidateList, candidates
from .decider import CanvassState, area_of, decide, preview
from .dispatching import Dispatcher
from .errors import CanvassNotFound, NotAllowedNow
from .policy import SQUARE_METRES_PER_SQUARE_MILE, AgencyPolicy
from .projection import canvasses, footage, requests, visits
from .streams import CANVASS, canvass_stream

__all__ = ["CANVASS", "CanvassService", "canvass_stream"]

INVESTIGATOR, SUPERVISOR = "investigator", "supervisor"


class CanvassService:
    """The write side of canvasses, and the questions investigators ask of them."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        policy_for: Callable[[str], AgencyPolicy],
        clock: Callable[[], datetime],
        dispatcher: Dispatcher,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._policy_for = policy_for
        self.clock = clock  # replaceable, so that tests and jobs can set the time
        self.dispatcher = dispatcher

    def open(self, investigator: User, details: dict[str, Any]) -> str:
        """Open a draft canvass; refusals are reported field by field."""
        canvass_id = str(uuid.uuid4())
        command = c.OpenCanvass(
            canvass_id=canvass_id,
            agency=investigator.agency or "",
            investigator_id=investigator.user_id,
            **details,
        )
        self._execute(investigator, command)
        return canvass_id

    def check(self, investigator: User, details: dict[str, Any]) -> dict[str, Any]:
        """How a canvass would fare against the agency's policy; nothing is recorded."""
        command = c.OpenCanvass(
            canvass_id="", agency=investigator.agency or "", investigator_id="", **details
        )
        report = preview(command, self._policy_for(investigator.agency or ""), self.clock())
        try:
            center = Point(details["incident_latitude"], details["incident_longitude"])
            square_miles = area_of(details["area"], center)[1] / SQUARE_METRES_PER_SQUARE_MILE
        except (ValueError, TypeError, KeyError):
            square_miles = None
        return {
            "within_limits": report.within_limits,
            "refusals": report.refusals,
            "exceedances": report.exceedances,
            "area_square_miles": None if square_miles is None else round(square_miles, 4),
        }

    def submit(self, investigator: User, canvass_id: str) -> None:
        """Submit: approved at once within the limits, else sent to a supervisor."""
        self._visible(investigator, canvass_id)
        self._execute(investigator, c.SubmitCanvass(canvass_id, investigator.user_id))

    def approve_override(self, supervisor: User, canvass_id: str, reason: str) -> None:
        """A supervisor lets a canvass exceed the limits, with a recorded reason."""
        self._visible(supervisor, canvass_id)
        command = c.ApproveOverride(canvass_id, supervisor.user_id, supervisor.agency or "", reason)
        self._execute(supervisor, command)

    def dispatch(self, investigator: User, canvass_id: str) -> dict[str, int]:
        """Send an approved canvass out: one request to each owner of a ranked candidate,
        recorded as the dispatch's plan, then made; a dispatch cut short is finished."""
        self._visible(investigator, canvass_id)
        now = self.clock()
        if not self._dispatch_unfinished(canvass_id):
            found = self.candidates(investigator, canvass_id)
            planned, not_asked = self.dispatcher.plan(canvass_id, found.ranked, now)
            command = c.DispatchCanvass(canvass_id, investigator.user_id, planned, not_asked)
            try:
                self._execute(investigator, command)
            except NotAllowedNow:
                if not self._dispatch_unfinished(canvass_id):
                    raise
                # dispatched a moment ago by another click: help finish it
        return self.dispatcher.finish(canvass_id, now)

    def _dispatch_unfinished(self, canvass_id: str) -> bool:
        state = CANVASS.fold(self._store.read_stream(canvass_stream(canvass_id)))
        return state.status == "dispatched" and not state.dispatch_finished

    def requests(self, user: User, canvass_id: str) -> dict[str, Any]:
        """How the owners answered, as counts; sites are named only where they offer footage."""
        self._visible(user, canvass_id)
        return self.dispatcher.summary(canvass_id)

    def cancel(self, investigator: User, canvass_id: str, reason: str) -> None:
        """Call a canvass off."""
        self._visible(investigator, canvass_id)
        self._execute(investigator, c.CancelCanvass(canvass_id, investigator.user_id, reason))

    def view(self, user: User, canvass_id: str) -> dict[str, Any]:
        """A canvass the user may see (their own, or their agency's for a supervisor)."""
        return self._visible(user, canvass_id)

    def list_for(self, user: User) -> list[dict[str, Any]]:
        """The canvasses the user may see, newest first."""
        query = sa.select(canvasses).where(canvasses.c.agency == user.agency)
        if user.role == INVESTIGATOR:
            query = query.where(canvasses.c.investigator_id == user.user_id)
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = conn.execute(query.order_by(canvasses.c.opened_at.desc()))
            return [_view(row._mapping) for row in rows]

    def candidates(self, user: User, canvass_id: str) -> CandidateList:
        """The cameras that may have recorded the incident, ranked; no owner identity."""
        canvass = self._visible(user, canvass_id)
        incident = Point(canvass["incident_latitude"], canvass["incident_longitude"])
        shape, _ = area_of(canvass["area"], incident)
        with self._engine.connect().execution_options(read_only=True) as conn:
            if isinstance(shape, Circle):
                hits = cameras_within(conn, incident, shape.radius_m)
            else:
                hits = cameras_within_polygon(conn, shape)
        return candidates(hits, incident, canvass["window_end"], canvass["category"], self.clock())

    def alert_expiring(self, now: datetime) -> int:
        """Tell investigators, once per request, when unanswered footage will be overwritten
        within a day; return how many canvasses got an alert."""
        alerted = 0
        for canvass, request_ids in self._expiring(now):
            email = self._email_of(canvass["investigator_id"])
            if email is None:
                continue
            message = emails.expiry_alert(email, canvass, len(request_ids))
            recorded = handle(
                self._store,
                self._vault,
                canvass_stream(canvass["canvass_id"]),
                CANVASS,
                partial(_alert, canvass["canvass_id"], tuple(request_ids)),
                fixed_subject(canvass["investigator_id"]),
                {"actor": "scheduler", "role": "system"},
                [OutgoingMessage(message.recipient, message.subject, message.body)],
            )
            alerted += bool(recorded)
        return alerted

    def close_settled(self, now: datetime) -> int:
        """Close dispatched canvasses whose every request is settled, and those open longer
        than their agency's deadline; return how many closed.

        A request is settled once it expired, its owner answered that they have nothing to
        share, or footage came; an owner who offered footage keeps the canvass open until it
        arrives or their request's time is up, since uploads stop when the canvass closes.
        """
        offered_and_awaited = sa.and_(
            requests.c.status == "answered",
            requests.c.answer.in_(("share_now", "will_bring")),
            requests.c.expires_at > now,
            ~sa.exists().where(footage.c.request_id == requests.c.request_id),
        )
        unanswered = sa.exists().where(
            requests.c.canvass_id == canvasses.c.canvass_id,
            sa.or_(requests.c.status == "sent", offered_and_awaited),
        )
        asked = sa.exists().where(requests.c.canvass_id == canvasses.c.canvass_id)
        query = sa.select(
            canvasses.c.canvass_id,
            canvasses.c.agency,
            canvasses.c.investigator_id,
            canvasses.c.opened_at,
            sa.and_(asked, ~unanswered, ~canvasses.c.dispatch_unfinished).label("settled"),
        ).where(canvasses.c.status == "dispatched")
        with self._engine.connect().execution_options(read_only=True) as conn:
            running = list(conn.execute(query))
        closed = 0
        for row in running:
            if row.settled:
                reason = "settled"
            elif now >= row.opened_at + self._policy_for(row.agency).deadline:
                reason = "deadline"
            else:
                continue
            closed += bool(
                handle(
                    self._store,
                    self._vault,
                    canvass_stream(row.canvass_id),
                    CANVASS,
                    partial(_close, row.canvass_id, reason, now),
                    fixed_subject(row.investigator_id),
                    {"actor": "scheduler", "role": "system"},
                )
            )
        if closed:
            self._projections.catch_up(["canvass"])
        return closed

    def _expiring(self, now: datetime) -> list[tuple[dict[str, Any], list[str]]]:
        query = (
            sa.select(canvasses, requests.c.request_id, sa.func.min(cameras.c.retention_days))
            .select_from(
                canvasses.join(requests, requests.c.canvass_id == canvasses.c.canvass_id).join(
                    cameras, cameras.c.site_id == requests.c.site_id
                )
            )
            .where(canvasses.c.status == "dispatched", requests.c.status == "sent")
            .group_by(*canvasses.c, requests.c.request_id)
        )
        due: dict[str, tuple[dict[str, Any], list[str]]] = {}
        with self._engine.connect().execution_options(read_only=True) as conn:
            for row in conn.execute(query):
                canvass = _view({k: v for k, v in row._mapping.items() if k in canvasses.c})
                expires = canvass["window_end"] + timedelta(days=row[-1])
                if expires - timedelta(hours=24) <= now < expires:
                    due.setdefault(canvass["canvass_id"], (canvass, []))[1].append(row.request_id)
        return list(due.values())

    def _email_of(self, user_id: str) -> str | None:
        with self._engine.connect().execution_options(read_only=True) as conn:
            email = conn.execute(
                sa.select(users.c.email).where(users.c.user_id == user_id)
            ).scalar()
        return str(email) if email else None

    def _visible(self, user: User, canvass_id: str) -> dict[str, Any]:
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(
                sa.select(canvasses).where(canvasses.c.canvass_id == canvass_id)
            ).first()
        if row is None or row.agency != user.agency:
            raise CanvassNotFound(canvass_id)
        if user.role == INVESTIGATOR and row.investigator_id != user.user_id:
            raise CanvassNotFound(canvass_id)
        return _view(row._mapping)

    def record_visit(self, investigator: User, canvass_id: str, visit: dict[str, Any]) -> str:
        """Log a door-to-door visit; its address and note are sealed for the canvass."""
        self._visible(investigator, canvass_id)
        visit_id = str(uuid.uuid4())
        command = c.RecordVisit(canvass_id, investigator.user_id, visit_id, **visit)
        self._execute(investigator, command, subject=f"visits-{canvass_id}")
        return visit_id

    def visits(self, user: User, canvass_id: str) -> list[dict[str, Any]]:
        """The canvass's door-to-door log, oldest first."""
        self._visible(user, canvass_id)
        query = (
            sa.select(visits)
            .where(visits.c.canvass_id == canvass_id)
            .order_by(visits.c.recorded_at)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _execute(self, user: User, command: Any, subject: str | None = None) -> list[RecordedEvent]:
        metadata = {"actor": user.user_id, "role": user.role, "agency": user.agency}
        policy = self._policy_for(user.agency or "")
        now = self.clock()
        recorded = handle(
            self._store,
            self._vault,
            canvass_stream(command.canvass_id),
            CANVASS,
            lambda state: decide(command, state, policy, now),
            lambda _: subject or user.user_id,
            metadata,
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["canvass"])
        return recorded


def _view(row: Any) -> dict[str, Any]:
    view = dict(row)
    view["area"] = json.loads(view["area"])
    view["exceedances"] = json.loads(view["exceedances"])
    return view  # times come back aware, in UTC (UtcDateTime columns)


def _alert(canvass_id: str, request_ids: tuple[str, ...], state: CanvassState) -> list[Any]:
    return decide(
        c.AlertExpiringFootage(canvass_id, request_ids), state, AgencyPolicy(), datetime.now(UTC)
    )


def _close(canvass_id: str, reason: str, now: datetime, state: CanvassState) -> list[Any]:
    if state.status != "dispatched":
        return []  # closed, or cancelled, since the job looked
    return decide(c.CloseCanvass(canvass_id, reason), state, AgencyPolicy(), now)
