"""The investigators' digest: one email per investigator, every few minutes, with what
happened on their canvasses since the last one (decisions, answers, footage), never one
email per event.

Each run covers the log from where the last run stopped to the head it read, and is
recorded in one stream (`DigestsSent`) with its emails, in one append: two schedulers, or
a run repeated after a restart, cover each position once, since the second finds the
stream moved on and sends nothing. Each email's id is derived from its investigator and the
positions it covers, so no retry can send it twice.

The first run ever (after a fresh install, or on a log older than the digests) tells only
the news of the last interval and records the head it reached even with nothing to tell:
an investigator is never sent the sum of the whole history.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from accounts.queries import email_of
from events_store import EventStore, RecordedEvent
from events_store.handling import StreamModel, fixed_subject, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.sealing import domain_events
from events_store.vault import KeyVault

from . import emails
from . import events as e
from .projection import canvasses, requests

DIGEST_STREAM = "investigator-digests"
DIGEST_NAMESPACE = uuid.UUID("9a3c51d2-6e0b-4f57-8a1d-3b7e2c4f6a90")
# With nothing to tell, the position reached is still recorded once this many events passed,
# so that a quiet service's runs do not read ever more of the log.
QUIET_STRETCH = 500
NEWS_TYPES = {
    name: kind
    for name, kind in {**e.EVENT_TYPES, **e.REQUEST_EVENT_TYPES}.items()
    if kind
    in (
        e.CanvassApproved,
        e.CanvassDenied,
        e.CanvassSentBack,
        e.RequestAnswered,
        e.FootageReceived,
    )
}
OFFERS = ("share_now", "will_bring")
INTERVAL = timedelta(minutes=10)  # the DIGEST_INTERVAL_MINUTES setting's default

DIGESTS = StreamModel(e.DIGEST_EVENT_TYPES, 0, lambda _covered, sent: sent.up_to_position)


def digest_message_id(investigator_id: str, after: int, up_to: int) -> str:
    """The one email of an investigator's digest of the log from `after` to `up_to`."""
    return str(uuid.uuid5(DIGEST_NAMESPACE, f"{investigator_id}|{after}|{up_to}"))


class Digests:
    """Collects the news of each investigator's canvasses and sends it as one email."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        public_url: Callable[[], str],
        zone: tzinfo,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._public_url = public_url
        self.zone = zone

    def send_due(self, now: datetime | None = None, interval: timedelta = INTERVAL) -> int:
        """Send the digests of what happened since the last run (the first run ever: in the
        last `interval` before `now`); return how many emails."""
        now = now or datetime.now(UTC)
        after = DIGESTS.fold(self._store.read_stream(DIGEST_STREAM))
        head = self._store.head()
        if head <= after:
            return 0
        self._projections.catch_up(["canvass", "canvass_requests"])
        covered = [event for event in self._store.iter_all(after) if event.position <= head]
        first_ever = after == 0
        if first_ever:
            covered = [event for event in covered if event.recorded_at >= now - interval]
        news = self._news(covered)
        if not news and len(covered) < QUIET_STRETCH and not first_ever:
            return 0
        since = covered[0].recorded_at if covered else now
        messages = self._messages(news, since, after, head)
        counts = {
            investigator: sum(len(c["news"]) for c in items) for investigator, items in news.items()
        }
        sent = e.DigestsSent(after, head, counts)
        recorded = handle(
            self._store,
            self._vault,
            DIGEST_STREAM,
            DIGESTS,
            lambda covered_to: [sent] if covered_to == after else [],
            fixed_subject("system"),
            {"actor": "scheduler", "role": "system"},
            messages,
        )
        return len(messages) if recorded else 0

    def _messages(
        self, news: dict[str, list[dict[str, Any]]], since: datetime, after: int, head: int
    ) -> list[OutgoingMessage]:
        messages = []
        for investigator_id, items in sorted(news.items()):
            address = email_of(self._engine, self._vault, investigator_id)
            if address is None:
                continue  # erased, or never had one: nobody to tell
            email = emails.digest(address, since, items, self.zone)
            message_id = digest_message_id(investigator_id, after, head)
            messages.append(
                OutgoingMessage(
                    email.recipient, email.subject, email.body, investigator_id, message_id
                )
            )
        return messages

    def _news(self, covered: list[RecordedEvent]) -> dict[str, list[dict[str, Any]]]:
        """Per investigator, per canvass (in the order news came), the lines to tell."""
        found = list(domain_events(covered, NEWS_TYPES, None))
        request_ids = {ev.request_id for ev, _ in found if isinstance(ev, e.RequestEvent)}
        canvass_of = self._canvass_of_requests(request_ids)
        tallies: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
        for event, _ in found:
            canvass_id = getattr(event, "canvass_id", None) or canvass_of.get(
                getattr(event, "request_id", ""), ""
            )
            kind, detail = _news_of(event)
            if canvass_id and kind:
                tally = tallies[canvass_id]
                if detail is None:
                    tally[kind] += 1
                else:
                    tally[kind] = detail
        return self._by_investigator(tallies)

    def _by_investigator(
        self, tallies: dict[str, dict[str, Any]]
    ) -> dict[str, list[dict[str, Any]]]:
        query = sa.select(
            canvasses.c.canvass_id, canvasses.c.investigator_id, canvasses.c.case_number
        ).where(canvasses.c.canvass_id.in_(list(tallies)))
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = {row.canvass_id: row for row in conn.execute(query)}
        news: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for canvass_id, tally in tallies.items():
            row = rows.get(canvass_id)
            if row is None:
                continue
            news[row.investigator_id].append(
                {
                    "case_number": row.case_number,
                    "link": f"{self._public_url()}/canvasses/{canvass_id}",
                    "news": _lines(tally),
                }
            )
        return dict(news)

    def _canvass_of_requests(self, request_ids: set[str]) -> dict[str, str]:
        if not request_ids:
            return {}
        query = sa.select(requests.c.request_id, requests.c.canvass_id).where(
            requests.c.request_id.in_(sorted(request_ids))
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return {row.request_id: row.canvass_id for row in conn.execute(query)}


def _news_of(event: Any) -> tuple[str | None, str | None]:
    """What kind of news an event is (None: none to tell), and a supervisor's reason."""
    if isinstance(event, e.CanvassApproved):
        return ("approved", None) if event.by != "policy" else (None, None)
    if isinstance(event, e.CanvassDenied):
        return "denied", event.reason
    if isinstance(event, e.CanvassSentBack):
        return "sent_back", event.reason
    if isinstance(event, e.RequestAnswered):
        # A decline is not told apart from silence; an offer or "no footage" is news.
        if event.answer in OFFERS:
            return "offered", None
        return ("no_footage", None) if event.answer == "no_footage" else (None, None)
    if isinstance(event, e.FootageReceived):
        return "files", None
    return None, None


def _lines(tally: dict[str, Any]) -> list[str]:
    lines = []
    if tally.get("approved"):
        lines.append("A supervisor approved it: you may send the requests.")
    if "denied" in tally:
        lines.append(f"A supervisor denied it, for good: {tally['denied']}")
    if "sent_back" in tally:
        lines.append(f"A supervisor sent it back to be changed: {tally['sent_back']}")
    for kind, one, many in (
        ("offered", "owner offered footage", "owners offered footage"),
        ("no_footage", "owner has no relevant footage", "owners have no relevant footage"),
        ("files", "file of footage arrived", "files of footage arrived"),
    ):
        if tally.get(kind):
            lines.append(f"{tally[kind]} {one if tally[kind] == 1 else many}.")
    return lines
