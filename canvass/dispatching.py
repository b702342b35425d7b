"""Sending a canvass's footage requests to owners, and taking their answers."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

import sqlalchemy as sa

from accounts.links import ANSWER_REQUEST, Links
from accounts.projection import users
from events_store import EventStore
from events_store.handling import StreamModel, fixed_subject, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault
from registry.projection import sites

from . import emails
from . import events as e
from .candidates import Candidate
from .errors import CanvassNotFound
from .projection import requests
from .requests import (
    DEFAULT_LIFETIME,
    RequestState,
    answer,
    evolve,
    expire,
    remind,
    request_id_for,
)

REQUEST = StreamModel(e.REQUEST_EVENT_TYPES, RequestState(), evolve)


def request_stream(request_id: str) -> str:
    """The stream that holds one request's history."""
    return f"request-{request_id}"


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

    def send_requests(
        self, canvass: dict[str, Any], ranked: list[Candidate], now: datetime
    ) -> Counter[str]:
        """One request per owner of the ranked candidates' sites; counts of what happened."""
        outcome: Counter[str] = Counter()
        by_owner = self._owners(ranked)
        for owner_id, (email, cameras) in sorted(by_owner.items()):
            if email is None:
                outcome["no_contact_on_file"] += 1
                continue
            request_id = request_id_for(canvass["canvass_id"], owner_id)
            if self._already_sent(request_id):
                outcome["already_sent"] += 1
                continue
            if self._sent_this_week(owner_id, now) >= self.weekly_cap:
                outcome["weekly_cap_reached"] += 1
                continue
            self._send(canvass, request_id, owner_id, email, cameras, now)
            outcome["sent"] += 1
        return outcome

    def answer(self, token: str, given: str, note: str | None, now: datetime) -> str:
        """Record an owner's answer from the emailed link; return the canvass's case number."""
        claim = self._links.read(ANSWER_REQUEST, token)
        recorded = handle(
            self._store,
            self._vault,
            request_stream(claim.user_id),
            REQUEST,
            lambda state: answer(state, claim.user_id, given, note, now),
            lambda _: self._owner_of(claim.user_id),
            {"actor": "owner-link", "role": "owner"},
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["canvass_requests"])
        return claim.user_id

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
        query = sa.select(
            requests.c.request_id,
            requests.c.canvass_id,
            requests.c.owner_id,
            requests.c.camera_ids,
        ).where(requests.c.status == "sent")
        with self._engine.connect().execution_options(read_only=True) as conn:
            waiting = list(conn.execute(query))
        sent = 0
        for request_id, canvass_id, owner_id, _ in waiting:
            email = self._email_of(owner_id)
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
        """What investigators may see: counts by status, and which sites offered footage.

        Who declined or did not answer is never shown per owner.
        """
        query = sa.select(requests.c.site_id, requests.c.status, requests.c.answer).where(
            requests.c.canvass_id == canvass_id
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = list(conn.execute(query))
        counts = Counter(row.answer or row.status for row in rows)
        offering = sorted(r.site_id for r in rows if r.answer in ("share_now", "will_bring"))
        no_footage = sorted(r.site_id for r in rows if r.answer == "no_footage")
        return {
            "requests": len(rows),
            "counts": {
                "offered_footage": counts["share_now"] + counts["will_bring"],
                "no_footage": counts["no_footage"],
                "declined_or_unanswered": counts["decline"] + counts["sent"] + counts["expired"],
            },
            "sites_offering_footage": offering,
            "sites_without_footage": no_footage,
        }

    # --- plumbing -----------------------------------------------------------------------

    def _owners(self, ranked: list[Candidate]) -> dict[str, tuple[str | None, list[Candidate]]]:
        by_site: dict[str, list[Candidate]] = defaultdict(list)
        for candidate in ranked:
            by_site[candidate.site_id].append(candidate)
        query = (
            sa.select(sites.c.site_id, sites.c.owner_id, users.c.email, users.c.verified)
            .select_from(sites.outerjoin(users, users.c.user_id == sites.c.owner_id))
            .where(sites.c.site_id.in_(list(by_site)))
        )
        owners: dict[str, tuple[str | None, list[Candidate]]] = {}
        with self._engine.connect().execution_options(read_only=True) as conn:
            for site_id, owner_id, email, verified in conn.execute(query):
                address = email if verified else None
                known = owners.get(owner_id, (address, []))
                owners[owner_id] = (known[0], known[1] + by_site[site_id])
        return owners

    def _send(
        self,
        canvass: dict[str, Any],
        request_id: str,
        owner_id: str,
        email: str,
        cameras: list[Candidate],
        now: datetime,
    ) -> None:
        expires_at = now + DEFAULT_LIFETIME
        event = e.FootageRequested(
            request_id,
            canvass["canvass_id"],
            cameras[0].site_id,
            owner_id,
            [camera.camera_id for camera in cameras],
            canvass["window_start"].isoformat(),
            canvass["window_end"].isoformat(),
            now.isoformat(),
            expires_at.isoformat(),
        )
        token = self._links.make(ANSWER_REQUEST, request_id, "sent")
        link = f"{self._public_url()}/requests/answer?token={token}"
        message = emails.footage_request(
            email, canvass, [c.label for c in cameras], link, expires_at, self.zone
        )
        recorded = handle(
            self._store,
            self._vault,
            request_stream(request_id),
            REQUEST,
            lambda state: [event] if state.status == "none" else [],
            lambda _: owner_id,
            {"actor": "dispatcher", "role": "system", "canvass_id": canvass["canvass_id"]},
            [OutgoingMessage(message.recipient, message.subject, message.body, owner_id)],
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["canvass_requests"])

    def _already_sent(self, request_id: str) -> bool:
        with self._engine.connect().execution_options(read_only=True) as conn:
            query = sa.select(requests.c.request_id).where(requests.c.request_id == request_id)
            return conn.execute(query).first() is not None

    def _sent_this_week(self, owner_id: str, now: datetime) -> int:
        query = sa.select(sa.func.count()).where(
            requests.c.owner_id == owner_id, requests.c.sent_at > now - timedelta(days=7)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return int(conn.execute(query).scalar_one())

    def _email_of(self, owner_id: str) -> str | None:
        query = sa.select(users.c.email).where(users.c.user_id == owner_id, users.c.verified)
        with self._engine.connect().execution_options(read_only=True) as conn:
            email = conn.execute(query).scalar()
        return str(email) if email else None

    def _owner_of(self, request_id: str) -> str:
        with self._engine.connect().execution_options(read_only=True) as conn:
            query = sa.select(requests.c.owner_id).where(requests.c.request_id == request_id)
            owner = conn.execute(query).scalar()
        if owner is None:
            raise CanvassNotFound(request_id)
        return str(owner)


def _expire_at(state: RequestState, *, request_id: str, now: datetime) -> list[e.RequestEvent]:
    return expire(state, request_id, now)


def _remind_at(state: RequestState, *, request_id: str, now: datetime) -> list[e.RequestEvent]:
    return remind(state, request_id, now)
