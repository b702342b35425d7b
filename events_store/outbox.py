"""Messages that leave the service (email), written with the events that cause them.

A command appends its events and its messages in one transaction, so a message exists if
and only if its cause was recorded. `Outbox.send_pending` delivers them afterwards, one at
a time: each is claimed, handed to the transport, and marked sent in its own short
transaction, so a crash loses none, and a retry re-sends only a message whose delivery was
never confirmed (a crash in the instant between the mail server's acceptance and the
mark). A message the transport refuses is tried again later, waiting twice as long after
each failure (a minute at first, an hour at most, with jitter so that a backlog does not
return all at once), for at least a day; only then does it give up, and what gave up stays
visible and can be sent again. Rows are deleted a while after sending, and at once when
their subject is erased.

A message about a person is sealed for them (`seal_message`): its recipient and body are
stored only as ciphertext under the person's data key, so forgetting the key erases every
copy, queued or sent, in live rows, dead tuples and write-ahead logs alike. The subject
line stays in clear and must carry nothing personal. A message whose subject was forgotten
before its turn is dropped, never sent.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol, runtime_checkable

import sqlalchemy as sa

from .canonical import parse_timestamp
from .database import UtcDateTime
from .errors import DecryptionError, SubjectErasedError
from .model import new_event_id
from .outbox_retries import MIN_ATTEMPTS_BEFORE_GIVING_UP, gives_up, retry_delay
from .vault import KeyVault, is_sealed

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=5)
# The old rule gave up after this many attempts; readers that predate `gave_up_at` use it.
MAX_ATTEMPTS = MIN_ATTEMPTS_BEFORE_GIVING_UP

Undelivered = Literal["waiting", "gave_up"]

outbox = sa.Table(
    "outbox",
    sa.MetaData(),
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("created_at", sa.Text),
    sa.Column("event_position", sa.BigInteger),
    sa.Column("subject_id", sa.String(64)),
    sa.Column("recipient", sa.Text),
    sa.Column("subject", sa.Text),
    sa.Column("body", sa.Text),
    sa.Column("attempts", sa.Integer),
    sa.Column("claimed_at", UtcDateTime()),
    sa.Column("sent_at", UtcDateTime()),
    sa.Column("last_error", sa.Text),
    sa.Column("next_attempt_at", UtcDateTime()),
    sa.Column("gave_up_at", UtcDateTime()),
)


@dataclass(frozen=True)
class OutgoingMessage:
    """An email to send once the events appended with it are committed.

    `subject_id` names the person it concerns, so that erasing them removes it too. The
    subject line goes into logs: it must carry nothing personal.
    """

    recipient: str
    subject: str
    body: str
    subject_id: str | None = None
    message_id: str = field(default_factory=new_event_id)


RECIPIENT_FIELD = "outbox.recipient"
BODY_FIELD = "outbox.body"


def seal_message(vault: KeyVault, message: OutgoingMessage) -> OutgoingMessage:
    """The message with its recipient and body sealed for its subject, bound to its id.

    Sealing twice changes nothing. A message that names no subject cannot be erased with
    anyone, so it stays in clear: give every message about a person its subject.
    """
    if message.subject_id is None or is_sealed(message.recipient):
        return message
    subject, message_id = message.subject_id, message.message_id
    return replace(
        message,
        recipient=vault.seal(subject, message_id, RECIPIENT_FIELD, message.recipient),
        body=vault.seal(subject, message_id, BODY_FIELD, message.body),
    )


@dataclass(frozen=True)
class Delivery:
    """A message as the transport receives it: opened, and naming its subject so that a
    transport that keeps copies can find and delete them when the subject is erased."""

    message_id: str
    recipient: str
    subject: str
    body: str
    subject_id: str | None = None


@dataclass(frozen=True)
class GivenUp:
    """A message the outbox stopped trying to send: what an operator may see of it."""

    message_id: str
    attempts: int
    last_error: str | None
    gave_up_at: datetime


@dataclass(frozen=True)
class OutboxStatus:
    """How many messages wait to be sent, and which ones gave up."""

    waiting: int
    next_attempt_at: datetime | None  # None: one is due now, or none is waiting
    given_up: list[GivenUp]


class MailTransport(Protocol):
    """Where messages go: an SMTP server, or files in development."""

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise; returning means the message was accepted."""


@runtime_checkable
class KeepsCopies(Protocol):
    """A transport that keeps what it sent (files in development) and can delete it."""

    def forget_subject(self, subject_id: str) -> None:
        """Delete every copy kept of messages about the subject; raise if one stays."""


class Outbox:
    """Delivers committed messages through a transport."""

    def __init__(
        self,
        engine: sa.Engine,
        transport: MailTransport,
        clock: Callable[[], datetime] | None = None,
        jitter: Callable[[], float] = random.random,
        vault: KeyVault | None = None,
    ) -> None:
        """`vault` opens sealed messages; an outbox without one sends only clear ones."""
        self._engine = engine
        self.transport = transport
        self._clock = clock or _now
        self._jitter = jitter
        self._vault = vault

    def send_pending(self, limit: int = 100) -> int:
        """Send up to `limit` messages that are due, oldest first; return how many were sent."""
        sent = 0
        for message_id in self._due(limit):
            claim = self._claim(message_id)
            if claim is None:
                continue  # another sender has it
            delivery, attempts, created_at = claim
            try:
                self.transport.send(delivery)
            except Exception as error:
                self._failed(message_id, error, attempts, created_at)
                continue
            self._mark_sent(message_id, delivery.subject_id)
            sent += 1
        return sent

    def retry_given_up(self) -> int:
        """Put every message that gave up back in line, to be tried once more at once; return
        how many. One that fails again gives up again."""
        with self._engine.begin() as conn:
            result = conn.execute(
                outbox.update()
                .where(outbox.c.sent_at.is_(None), outbox.c.gave_up_at.is_not(None))
                .values(gave_up_at=None, next_attempt_at=None, claimed_at=None)
            )
        return int(result.rowcount)

    def pending_count(self) -> int:
        """Messages not yet delivered (including ones that gave up)."""
        with self._engine.connect().execution_options(read_only=True) as conn:
            query = sa.select(sa.func.count()).where(outbox.c.sent_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def undelivered(self, message_ids: Sequence[str]) -> dict[str, Undelivered]:
        """Of these messages, those the mail server has not accepted: still waiting to be
        sent, or given up. Messages sent (or never written) are left out."""
        if not message_ids:
            return {}
        query = sa.select(outbox.c.message_id, outbox.c.gave_up_at.is_not(None)).where(
            outbox.c.message_id.in_(list(message_ids)), outbox.c.sent_at.is_(None)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = conn.execute(query).all()
        return {message_id: "gave_up" if gave_up else "waiting" for message_id, gave_up in rows}

    def status(self) -> OutboxStatus:
        """Counts of waiting messages and the ones that gave up, newest give-up first."""
        unsent = outbox.c.sent_at.is_(None)
        next_attempt = outbox.c.next_attempt_at
        waiting = sa.select(
            sa.func.count(), sa.func.count(next_attempt), sa.func.min(next_attempt)
        ).where(unsent, outbox.c.gave_up_at.is_(None))
        given_up = (
            sa.select(
                outbox.c.message_id, outbox.c.attempts, outbox.c.last_error, outbox.c.gave_up_at
            )
            .where(unsent, outbox.c.gave_up_at.is_not(None))
            .order_by(outbox.c.gave_up_at.desc(), outbox.c.message_id)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            count, backing_off, next_attempt_at = conn.execute(waiting).one()
            gave_up = [GivenUp(*row) for row in conn.execute(given_up)]
        due_now = backing_off < count
        return OutboxStatus(int(count), None if due_now else next_attempt_at, gave_up)

    def forget_subject(self, conn: sa.Connection, subject_id: str) -> None:
        """Delete every message about a person, sent or not, and every copy the transport
        kept of them (part of erasing them). Raises `OSError` when a copy cannot be deleted,
        so that the erasure is tried again; deleting twice changes nothing."""
        self._forget_copies(subject_id)
        conn.execute(outbox.delete().where(outbox.c.subject_id == subject_id))

    def purge_sent(self, older_than: timedelta) -> int:
        """Delete messages sent longer ago than `older_than`."""
        cutoff = self._clock() - older_than
        with self._engine.begin() as conn:
            result = conn.execute(outbox.delete().where(outbox.c.sent_at < cutoff))
        return int(result.rowcount)

    def _due_now(self, now: datetime) -> sa.ColumnElement[bool]:
        """Unsent, still being tried, its next attempt due, and nobody sending it."""
        return sa.and_(
            outbox.c.sent_at.is_(None),
            outbox.c.gave_up_at.is_(None),
            sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now),
            sa.or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < now - CLAIM_TIMEOUT),
        )

    def _due(self, limit: int) -> list[str]:
        query = (
            sa.select(outbox.c.message_id)
            .where(self._due_now(self._clock()))
            .order_by(outbox.c.event_position, outbox.c.message_id)
            .limit(limit)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return list(conn.execute(query).scalars())

    def _claim(self, message_id: str) -> tuple[Delivery, int, datetime] | None:
        now = self._clock()
        with self._engine.begin() as conn:
            claimed = conn.execute(
                outbox.update()
                .where(outbox.c.message_id == message_id, self._due_now(now))
                .values(claimed_at=now, attempts=outbox.c.attempts + 1)
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(
                sa.select(
                    outbox.c.recipient,
                    outbox.c.subject,
                    outbox.c.body,
                    outbox.c.subject_id,
                    outbox.c.attempts,
                    outbox.c.created_at,
                ).where(outbox.c.message_id == message_id)
            ).one()
            delivery = self._opened(message_id, row)
            if delivery is None:
                log.info("dropped message %s: the person it was for is erased", message_id)
                conn.execute(outbox.delete().where(outbox.c.message_id == message_id))
                return None
        return delivery, int(row.attempts), _as_time(row.created_at)

    def _opened(self, message_id: str, row: Any) -> Delivery | None:
        """The message as the transport receives it; None once its subject is forgotten."""
        recipient, body, subject_id = row.recipient, row.body, row.subject_id
        if is_sealed(recipient) and self._vault is None:
            raise DecryptionError("this outbox has no key vault to open sealed messages with")
        if subject_id is not None and self._vault is not None:
            try:
                if is_sealed(recipient):
                    recipient = self._vault.open(recipient, message_id, RECIPIENT_FIELD)
                    body = self._vault.open(body, message_id, BODY_FIELD)
                elif self._vault.is_forgotten(subject_id):
                    return None
            except SubjectErasedError:
                return None
        return Delivery(message_id, recipient, row.subject, body, subject_id)

    def _mark_sent(self, message_id: str, subject_id: str | None) -> None:
        with self._engine.begin() as conn:
            marked = conn.execute(
                outbox.update()
                .where(outbox.c.message_id == message_id)
                .values(sent_at=self._clock(), next_attempt_at=None)
            )
        if marked.rowcount == 0 and subject_id is not None:
            # Its subject was erased while it was being sent: delete the copy just made.
            self._forget_copies(subject_id)

    def _forget_copies(self, subject_id: str) -> None:
        if isinstance(self.transport, KeepsCopies):
            self.transport.forget_subject(subject_id)

    def _failed(
        self, message_id: str, error: Exception, attempts: int, created_at: datetime
    ) -> None:
        now = self._clock()
        reason = _reason(error)
        if gives_up(attempts, created_at, now):
            log.warning(
                "gave up sending message %s after %d attempts: %s", message_id, attempts, reason
            )
            values = {"gave_up_at": now, "next_attempt_at": None}
        else:
            retry_at = now + retry_delay(attempts, self._jitter())
            log.warning(
                "sending message %s failed (%s); trying again at %s",
                message_id,
                reason,
                f"{retry_at:%H:%M:%S}",
            )
            values = {"next_attempt_at": retry_at}
        with self._engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.message_id == message_id)
                .values(claimed_at=None, last_error=reason, **values)
            )


def _reason(error: Exception) -> str:
    """The kind of failure and the server's reply code: never its text, which may quote the
    recipient."""
    code = getattr(error, "smtp_code", None)
    return f"{type(error).__name__} {code}" if isinstance(code, int) else type(error).__name__


def _as_time(value: datetime | str) -> datetime:
    """A stored creation time as an aware datetime (text on SQLite, a timestamp elsewhere)."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return parse_timestamp(value)


def _now() -> datetime:
    return datetime.now(UTC)
