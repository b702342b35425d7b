"""Messages that leave the service (email), written with the events that cause them.

A command appends its events and its messages in one transaction, so a message exists if
and only if its cause was recorded. `Outbox.send_pending` delivers them afterwards, one at
a time: each is claimed, handed to the transport, and marked sent in its own short
transaction, so a crash loses none, and a retry re-sends only a message whose delivery was
never confirmed (a crash in the instant between the mail server's acceptance and the
mark). Rows are deleted a while after sending, and at once when their subject is erased.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa

from .database import UtcDateTime
from .model import new_event_id

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=5)

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


@dataclass(frozen=True)
class Delivery:
    """A message as the transport receives it."""

    message_id: str
    recipient: str
    subject: str
    body: str


class MailTransport(Protocol):
    """Where messages go: an SMTP server, or files in development."""

    def send(self, delivery: Delivery) -> None:
        """Deliver or raise; returning means the message was accepted."""


class Outbox:
    """Delivers committed messages through a transport."""

    def __init__(self, engine: sa.Engine, transport: MailTransport) -> None:
        self._engine = engine
        self.transport = transport

    def send_pending(self, limit: int = 100) -> int:
        """Send up to `limit` waiting messages, oldest first; return how many were sent."""
        sent = 0
        for message_id in self._waiting(limit):
            delivery = self._claim(message_id)
            if delivery is None:
                continue  # another sender has it
            try:
                self.transport.send(delivery)
            except Exception as error:
                self._failed(message_id, error)
                continue
            self._mark_sent(message_id)
            sent += 1
        return sent

    def pending_count(self) -> int:
        """Messages not yet delivered (including ones that gave up)."""
        with self._engine.connect().execution_options(read_only=True) as conn:
            query = sa.select(sa.func.count()).where(outbox.c.sent_at.is_(None))
            return int(conn.execute(query).scalar_one())

    def forget_subject(self, conn: sa.Connection, subject_id: str) -> None:
        """Delete every message about a person, sent or not (part of erasing them)."""
        conn.execute(outbox.delete().where(outbox.c.subject_id == subject_id))

    def purge_sent(self, older_than: timedelta) -> int:
        """Delete messages sent longer ago than `older_than`."""
        cutoff = _now() - older_than
        with self._engine.begin() as conn:
            result = conn.execute(outbox.delete().where(outbox.c.sent_at < cutoff))
        return int(result.rowcount)

    def _waiting(self, limit: int) -> list[str]:
        query = (
            sa.select(outbox.c.message_id)
            .where(outbox.c.sent_at.is_(None), outbox.c.attempts < MAX_ATTEMPTS)
            .order_by(outbox.c.event_position, outbox.c.message_id)
            .limit(limit)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return list(conn.execute(query).scalars())

    def _claim(self, message_id: str) -> Delivery | None:
        now = _now()
        with self._engine.begin() as conn:
            claimed = conn.execute(
                outbox.update()
                .where(
                    outbox.c.message_id == message_id,
                    outbox.c.sent_at.is_(None),
                    sa.or_(
                        outbox.c.claimed_at.is_(None), outbox.c.claimed_at < now - CLAIM_TIMEOUT
                    ),
                )
                .values(claimed_at=now, attempts=outbox.c.attempts + 1)
            )
            if claimed.rowcount != 1:
                return None
            row = conn.execute(
                sa.select(outbox.c.recipient, outbox.c.subject, outbox.c.body).where(
                    outbox.c.message_id == message_id
                )
            ).one()
        return Delivery(message_id, row.recipient, row.subject, row.body)

    def _mark_sent(self, message_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                outbox.update().where(outbox.c.message_id == message_id).values(sent_at=_now())
            )

    def _failed(self, message_id: str, error: Exception) -> None:
        log.warning("sending message %s failed: %s", message_id, type(error).__name__)
        with self._engine.begin() as conn:
            conn.execute(
                outbox.update()
                .where(outbox.c.message_id == message_id)
                .values(claimed_at=None, last_error=type(error).__name__)
            )


def _now() -> datetime:
    return datetime.now(UTC)
