"""Sending a canvass's footage requests to owners, and taking their answers.

A dispatch is recorded as an intent (the canvass's `RequestsPlanned`), then each planned
request is created in its own stream, with its email in the outbox, and the dispatch is
marked finished. Creating a request is idempotent (its id is derived from canvass and
owner, and its stream can begin only once), so a dispatch cut short by a crash or an error
is finished by running the same step again: inline when the investigator dispatches again,
or by the scheduler's `finish-dispatches` job. Email is never sent here: the outbox's job
delivers it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from functools import partial
from typing import Any

import sqlalchemy as sa

from accounts.errors import InvalidLink
from accounts.links import ANSWER_REQUEST, Links
from events_store import EventStore
from events_store.handling import fixed_subject, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault

from . import commands as c
from . import emails
from . import events as e
from .candidates import Candidate
from .decider import CanvassState, decide
from .policy import AgencyPolicy
from .projection import canvasses, requests
from .queries import (
    camera_labels,
    owners_of,
    request_context,
    request_summary,
    requests_this_week,
    verified_email,
)
from .requests import (
    DEFAULT_LIFETIME,
    RequestState,
    answer,
    expire,
    message_id_for,
    remind,
    request_id_for,
)
from .streams import CANVASS, REQUEST, canvass_has_ended, canvass_stream, request_stream

__all__ = ["REQUEST", "Dispatcher", "request_stream"]

Plan = tuple[tuple[dict[str, Any], ...], tuple[tuple[str, int], ...]]


class Dispatcher:
    """Turns a dispatched canvass's candidates into one request per owner."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        links: Links,
        public_url: Callable[[], str],
        weekly_cap: int,
        zone: tzinfo = UTC,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._links = links
        self.links = links
        self._public_url = public_url
        self.weekly_cap = weekly_cap
        self.zone = zone  # the time zone emails speak in

    def plan(self, canvass_id: str, ranked: list[Candidate], now: datetime) -> Plan:
        """The requests a dispatch is to create (one per owner of the ranked candidates'
        sites), and how many owners are not asked, by reason."""
        planned: list[dict[str, Any]] = []
        not_asked: Counter[str] = Counter()
        for owner_id, (email, found) in sorted(
            owners_of(self._engine, self._vault, ranked).items()
        ):
            if email is None:
                not_asked["no_contact_on_file"] += 1
            elif requests_this_week(self._engine, owner_id, now) >= self.weekly_cap:
                # Read, then acted on: two dispatches at once may both ask an owner at the cap.
                not_asked["weekly_cap_reached"] += 1
            else:
                planned.append(
                    {
                        "request_id": request_id_for(canvass_id, owner_id),
                        "owner_id": owner_id,
                        "site_id": found[0].site_id,
                        "camera_ids": [camera.camera_id for camera in found],
                    }
                )
        return tuple(planned), tuple(sorted(not_asked.items()))

    def finish(self, canvass_id: str, now: datetime) -> dict[str, int]:
        """Create every planned request of the canvass's dispatch that does not exist yet,
        each with its email waiting in the outbox, then mark the dispatch finished; safe to
        run again, and after a crash. Returns what the dispatch did."""
        state = self._canvass_state(canvass_id)
        if state.status == "dispatched" and not state.dispatch_finished:
            for planned in state.planned:
                self._create(canvass_id, state, planned, now)
            self._projections.catch_up(["canvass_requests"])
            recorded = handle(
                self._store,
                self._vault,
                canvass_stream(canvass_id),
                CANVASS,
                partial(_finish, canvass_id),
                fixed_subject(state.investigator_id or "system"),
                {"actor": "dispatcher", "role": "system"},
            )
            if recorded:
                self._projections.wait_until(recorded[-1].position, ["canvass"])
        return state.dispatch_outcome

    def finish_due(self, now: datetime) -> int:
        """Finish every dispatch that was cut short; return how many were finished."""
        self._projections.catch_up(["canvass"])  # a plan recorded just before a crash counts
        query = sa.select(canvasses.c.canvass_id).where(
            canvasses.c.status == "dispatched", canvasses.c.dispatch_unfinished
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            unfinished = list(conn.execute(query).scalars())
        for canvass_id in unfinished:
            self.finish(canvass_id, now)
        return len(unfinished)

    def answer(self, token: str, given: str, note: str | None, now: datetime) -> str:
        """Record an owner's answer from the emailed link; return the request's id."""
        claim = self._links.read(ANSWER_REQUEST, token)
        ended = self.canvass_ended(claim.user_id)
        recorded = handle(
            self._store,
            self._vault,
            request_stream(claim.user_id),
            REQUEST,
            lambda state: answer(state, claim.user_id, given, note, now, ended),
            lambda state: str(state.owner_id),
            {"actor": "owner-link", "role": "owner"},
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["canvass_requests"])
        return claim.user_id

    def context(self, token: str) -> dict[str, Any] | None:
        """What the owner's emailed link is about (see `queries.request_context`); None
        for a link that is not one of ours."""
        try:
            request_id = self._links.read(ANSWER_REQUEST, token).user_id
        except InvalidLink:
            return None
        return request_context(self._engine, self._vault, request_id)

    def canvass_ended(self, request_id: str) -> bool:
        """Whether the request's canvass is closed, cancelled or expired."""
        state = REQUEST.fold(self._store.read_stream(request_stream(request_id)))
        return canvass_has_ended(self._store, state.canvass_id)

    def expire_due(self, now: datetime) -> int:
        """Expire every unanswered request whose time is up; safe to run again."""
        query = sa.select(requests.c.request_id, requests.c.owner_id).where(
            requests.c.status == "sent", requests.c.expires_at <= now
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            due = list(conn.execute(query))
        for request_id, owner_id in due:
            handle(
                self._store,
                self._vault,
                request_stream(request_id),
                REQUEST,
                partial(_expire_at, request_id=request_id, now=now),
                fixed_subject(owner_id),
                {"actor": "scheduler", "role": "system"},
            )
        self._projections.catch_up(["canvass_requests"])
        return len(due)

    def remind_due(self, now: datetime) -> int:
        """Send the reminders that are due (a day, then three days, after a request)."""
        query = (
            sa.select(
                requests.c.request_id,
                requests.c.canvass_id,
                requests.c.owner_id,
                requests.c.camera_ids,
            )
            .select_from(requests.join(canvasses, canvasses.c.canvass_id == requests.c.canvass_id))
            .where(requests.c.status == "sent", canvasses.c.status == "dispatched")
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            waiting = list(conn.execute(query))
        sent = 0
        for request_id, canvass_id, owner_id, _ in waiting:
            email = verified_email(self._engine, self._vault, owner_id)
            if email is None:
                continue
            token = self._links.make(ANSWER_REQUEST, request_id, "sent")
            link = f"{self._public_url()}/requests/answer?token={token}"
            message = emails.reminder(email, link)
            recorded = handle(
                self._store,
                self._vault,
                request_stream(request_id),
                REQUEST,
                partial(_remind_at, request_id=request_id, now=now),
                fixed_subject(owner_id),
                {"actor": "scheduler", "role": "system", "canvass_id": canvass_id},
                [OutgoingMessage(message.recipient, message.subject, message.body, owner_id)],
            )
            sent += len(recorded)
        if sent:
            self._projections.catch_up(["canvass_requests"])
        return sent

    def summary(self, canvass_id: str) -> dict[str, Any]:
        """What investigators may see of the requests (see `queries.request_summary`)."""
        return request_summary(self._engine, canvass_id, self._vault)

    # --- plumbing -----------------------------------------------------------------------

    def _create(
        self, canvass_id: str, canvass: CanvassState, planned: dict[str, Any], now: datetime
    ) -> None:
        """One planned request, with its email, unless its stream has begun already."""
        request_id, owner_id = planned["request_id"], planned["owner_id"]
        email = verified_email(self._engine, self._vault, owner_id)
        scope = canvass.scope
        if email is None or scope is None:
            return  # erased or unverified since the plan: there is no one to ask
        expires_at = now + DEFAULT_LIFETIME
        event = e.FootageRequested(
            request_id,
            canvass_id,
            planned["site_id"],
            owner_id,
            list(planned["camera_ids"]),
            scope.window_start.isoformat(),
            scope.window_end.isoformat(),
            now.isoformat(),
            expires_at.isoformat(),
        )
        token = self._links.make(ANSWER_REQUEST, request_id, "sent")
        link = f"{self._public_url()}/requests/answer?token={token}"
        about = {
            "agency": canvass.agency,
            "category": scope.category,
            "window_start": scope.window_start,
            "window_end": scope.window_end,
        }
        labels = camera_labels(self._engine, self._vault, planned["camera_ids"])
        message = emails.footage_request(email, about, labels, link, expires_at, self.zone)
        outgoing = OutgoingMessage(
            message.recipient, message.subject, message.body, owner_id, message_id_for(request_id)
        )
        handle(
            self._store,
            self._vault,
            request_stream(request_id),
            REQUEST,
            lambda state: [event] if state.status == "none" else [],
            fixed_subject(owner_id),
            {"actor": "dispatcher", "role": "system", "canvass_id": canvass_id},
            [outgoing],
        )

    def _canvass_state(self, canvass_id: str) -> CanvassState:
        return CANVASS.fold(self._store.read_stream(canvass_stream(canvass_id)))


def _finish(canvass_id: str, state: CanvassState) -> list[e.CanvassEvent]:
    return decide(c.FinishDispatch(canvass_id), state, AgencyPolicy(), datetime.now(UTC))


def _expire_at(state: RequestState, *, request_id: str, now: datetime) -> list[e.RequestEvent]:
    return expire(state, request_id, now)


def _remind_at(state: RequestState, *, request_id: str, now: datetime) -> list[e.RequestEvent]:
    return remind(state, request_id, now)
