"""The append-only event log: validate, encode, append, read, upcast."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.engine import make_url

from .canonical import canonical_json, format_timestamp, parse_timestamp
from .database import sqlite_busy_timeout_ms
from .errors import InvalidEventError, UnsupportedDatabaseError
from .model import (
    MAX_STREAM_ID_LENGTH,
    MAX_TYPE_LENGTH,
    ExpectedVersion,
    NewEvent,
    RecordedEvent,
    StoredRow,
    StreamState,
)
from .outbox import OutgoingMessage
from .recorders.base import MessageRow, PendingEvent, Recorder, Row
from .upcasting import Upcasters

MAX_EVENTS_PER_APPEND: Final = 1000
MAX_PAYLOAD_BYTES: Final = 256 * 1024
MAX_READ_LIMIT: Final = 10_000
# RFC 8785, the log's canonical encoding, writes numbers as IEEE 754 doubles: exact only
# for integers up to this size.
MAX_EXACT_INTEGER: Final = 2**53 - 1

_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def utc_now() -> datetime:
    """The default clock of the log."""
    return datetime.now(UTC)


class EventStore:
    """One append-only log of events, grouped into streams, on SQLite or PostgreSQL."""

    def __init__(self, recorder: Recorder, upcasters: Upcasters | None = None) -> None:
        self._recorder = recorder
        self._upcasters = upcasters or Upcasters()
        self._guards: list[Callable[[set[str]], None]] = []

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        upcasters: Upcasters | None = None,
        clock: Callable[[], datetime] = utc_now,
        sqlite_synchronous: str = "NORMAL",
    ) -> EventStore:
        """Open the log in a migrated database named by an SQLAlchemy-style URL."""
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            from .recorders.sqlite import SQLiteRecorder

            path = parsed.database
            if not path or path == ":memory:" or path.startswith("file::memory:"):
                raise UnsupportedDatabaseError(
                    "the event store needs an SQLite database file, not an in-memory one"
                )
            busy_seconds = sqlite_busy_timeout_ms(url) / 1000
            return cls(SQLiteRecorder(path, clock, sqlite_synchronous, busy_seconds), upcasters)
        if backend == "postgresql":
            from .recorders.postgres import PostgresRecorder

            conninfo = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
            return cls(PostgresRecorder(conninfo, clock), upcasters)
        raise UnsupportedDatabaseError(
            f"the event store runs on SQLite or PostgreSQL, not {backend!r}"
        )

    @property
    def upcasters(self) -> Upcasters:
        """The registry that upgrades old payload shapes on read."""
        return self._upcasters

    # --- writing -----------------------------------------------------------------

    def guard_appends(self, guard: Callable[[set[str]], None]) -> None:
        """Have `guard` see the event types of every append before it is written; whatever
        it raises refuses the append (a projection that has stopped refuses what it reads)."""
        self._guards.append(guard)

    def append(
        self,
        stream_id: str,
        events: Sequence[NewEvent],
        expected_version: ExpectedVersion,
        messages: Sequence[OutgoingMessage] = (),
    ) -> list[RecordedEvent]:
        """Append events to a stream, all or none, if the stream is where it is expected.

        Raises `ConcurrencyError` when it is not, and `DuplicateEventError` when an event id
        is already stored elsewhere; re-sending an append that is already stored returns the
        stored events and writes nothing. `messages` go into the outbox in the same
        transaction, to be sent once it commits.
        """
        _check_stream_id(stream_id)
        _check_expected_version(expected_version)
        pending = _encode_batch(events)
        for guard in self._guards:
            guard({event.type for event in pending})
        outgoing: list[MessageRow] = []
        if messages:
            created = format_timestamp(utc_now())
            outgoing = [
                (m.message_id, created, m.subject_id, m.recipient, m.subject, m.body)
                for m in messages
            ]
        rows = self._recorder.append(stream_id, pending, expected_version, outgoing)
        if self._upcasters.has_any():
            return [self._to_event(row) for row in rows]
        # The rows of one append share one time, unless it was a re-send of stored events.
        recorded_at = rows[0][8]
        moment = parse_timestamp(recorded_at)
        return [
            RecordedEvent(
                *row[:8], moment if row[8] == recorded_at else parse_timestamp(row[8]), row[9]
            )
            for row in rows
        ]

    # --- reading -----------------------------------------------------------------

    def read_stream(
        self, stream_id: str, from_version: int = 1, limit: int | None = None
    ) -> list[RecordedEvent]:
        """Events of one stream from `from_version` on, in version order."""
        _check_stream_id(stream_id)
        if limit is not None:
            _check_limit(limit)
        rows = self._recorder.read_stream(stream_id, max(1, from_version), limit)
        return [self._to_event(row) for row in rows]

    def read_all(self, after: int = 0, limit: int = 1000) -> list[RecordedEvent]:
        """Events after position `after`, in position order, at most `limit` of them."""
        _check_limit(limit)
        rows = self._recorder.read_all(max(0, after), limit)
        if not self._upcasters.has_any():
            return [RecordedEvent(*row[:8], parse_timestamp(row[8]), row[9]) for row in rows]
        return [self._to_event(row) for row in rows]

    def iter_all(self, after: int = 0, batch_size: int = 1000) -> Iterator[RecordedEvent]:
        """Every event after `after`, read in batches, until the head at the time of reading."""
        while True:
            batch = self.read_all(after, batch_size)
            yield from batch
            if len(batch) < batch_size:
                return
            after = batch[-1].position

    def iter_stored(self, after: int = 0, batch_size: int = 1000) -> Iterator[StoredRow]:
        """Rows exactly as stored, not upcast: what verification hashes."""
        while True:
            rows = self._recorder.read_all(after, batch_size)
            for row in rows:
                yield StoredRow(*row)
            if len(rows) < batch_size:
                return
            after = rows[-1][0]

    def head(self) -> int:
        """The last position in the log, 0 when it is empty."""
        return self._recorder.head()

    def close(self) -> None:
        """Release this process's connections."""
        self._recorder.close()

    def _to_event(self, row: Row) -> RecordedEvent:
        event_type, schema_version = row[4], row[5]
        if not self._upcasters.needs_upcasting(event_type, schema_version):
            return RecordedEvent(*row[:8], parse_timestamp(row[8]), row[9])
        stored = RecordedEvent(*row[:8], parse_timestamp(row[8]), row[9])
        new_version, data = self._upcasters.upcast(event_type, schema_version, stored.data)
        return RecordedEvent(
            row[0],
            row[1],
            row[2],
            row[3],
            event_type,
            new_version,
            row[6],
            row[7],
            stored.recorded_at,
            row[9],
            data=data,
        )


def _check_stream_id(stream_id: object) -> None:
    if not isinstance(stream_id, str) or not stream_id:
        raise InvalidEventError("a stream id must be a non-empty string")
    if len(stream_id) > MAX_STREAM_ID_LENGTH:
        raise InvalidEventError(f"a stream id may have at most {MAX_STREAM_ID_LENGTH} characters")


def _check_expected_version(expected: object) -> None:
    if isinstance(expected, StreamState):
        return
    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
        raise InvalidEventError(
            "expected_version must be a stream version (0 or more), NO_STREAM or ANY"
        )


def _check_limit(limit: object) -> None:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_READ_LIMIT:
        raise InvalidEventError(f"limit must be a whole number from 1 to {MAX_READ_LIMIT}")


def _encode_batch(events: Sequence[NewEvent]) -> list[PendingEvent]:
    if not events:
        raise InvalidEventError("an append needs at least one event")
    if len(events) > MAX_EVENTS_PER_APPEND:
        raise InvalidEventError(f"an append may carry at most {MAX_EVENTS_PER_APPEND} events")
    # The events of one append usually share one metadata mapping: encode it once.
    shared_metadata: dict[int, str] = {}
    pending = [_encode(event, shared_metadata) for event in events]
    if len({event.event_id for event in pending}) != len(pending):
        raise InvalidEventError("an event id appears twice in one append")
    return pending


def _encode(event: NewEvent, shared_metadata: dict[int, str]) -> PendingEvent:
    if not isinstance(event, NewEvent):
        raise InvalidEventError(f"expected a NewEvent, got {type(event).__name__}")
    if not isinstance(event.type, str) or not event.type:
        raise InvalidEventError("an event type must be a non-empty string")
    if len(event.type) > MAX_TYPE_LENGTH:
        raise InvalidEventError(f"an event type may have at most {MAX_TYPE_LENGTH} characters")
    schema_version = event.schema_version
    if type(schema_version) is not int or schema_version < 1:
        raise InvalidEventError("schema_version must be a whole number from 1 up")
    return PendingEvent(
        _canonical_event_id(event.event_id),
        event.type,
        schema_version,
        _payload_json(event.data, "data", event.type),
        shared_metadata.get(id(event.metadata))
        or shared_metadata.setdefault(
            id(event.metadata), _payload_json(event.metadata, "metadata", event.type)
        ),
    )


def _unrepresentable(payload: dict[str, object]) -> str | None:
    """What in a (plain JSON) payload no backend or canonical encoding holds exactly: the
    NUL character (PostgreSQL text refuses it) and integers beyond 2**53 - 1."""
    pending: list[object] = [payload]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return "a NUL character (U+0000)"
        elif isinstance(value, dict):
            pending.extend(value.values())
            pending.extend(value.keys())
        elif isinstance(value, list | tuple):
            pending.extend(value)
        elif type(value) is int and not -MAX_EXACT_INTEGER <= value <= MAX_EXACT_INTEGER:
            return f"an integer beyond +-{MAX_EXACT_INTEGER}"
    return None


def _canonical_event_id(event_id: object) -> str:
    """The lower-case hyphenated form of a UUID, which is how event ids are stored."""
    if isinstance(event_id, str) and _CANONICAL_UUID.fullmatch(event_id):
        return event_id
    try:
        return str(uuid.UUID(str(event_id)))
    except ValueError:
        raise InvalidEventError(f"event id {event_id!r} is not a UUID") from None


def _payload_json(payload: object, name: str, event_type: str) -> str:
    if type(payload) is not dict and not isinstance(payload, Mapping):
        raise InvalidEventError(f"{name} of {event_type} must be a JSON object")
    try:
        plain = payload if isinstance(payload, dict) else dict(payload)
        text = canonical_json(plain)
    except (TypeError, ValueError, RecursionError) as error:
        raise InvalidEventError(f"{name} of {event_type} is not plain JSON: {error}") from None
    # The encoder refuses integers beyond 2**53 - 1 and writes a NUL as \u0000: only a
    # text that holds those six characters can hold a NUL.
    if "\\u0000" in text and (problem := _unrepresentable(plain)):
        raise InvalidEventError(f"{name} of {event_type} holds {problem}")
    if len(text) * 4 > MAX_PAYLOAD_BYTES and len(text.encode()) > MAX_PAYLOAD_BYTES:
        raise InvalidEventError(
            f"{name} of {event_type} is larger than {MAX_PAYLOAD_BYTES // 1024} KiB"
        )
    return text
