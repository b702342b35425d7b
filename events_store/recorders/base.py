"""What every backend does to append and read rows, with the SQL left to subclasses.

A recorder owns one database connection per thread and process. Appends run inside a
write that the database serializes (SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
transaction-scoped advisory lock), so positions are assigned, hashed and committed one
append at a time, in order, with no holes.

A connection the database dropped (a restart, a terminated backend) is replaced on the
spot: the read or append that found it broken runs once more on a fresh connection. That is
safe for appends too, because they are idempotent by event id: if the first attempt was
committed before the connection broke, the second finds its rows stored and returns them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from hashlib import sha256
from typing import Any, ClassVar, NamedTuple, TypeVar

from ..canonical import LEAF_PREFIX, format_timestamp, json_string
from ..errors import ConcurrencyError, DuplicateEventError
from ..model import NO_STREAM, ExpectedVersion, StreamState

# position, stream_id, version, event_id, type, schema_version,
# data_json, metadata_json, recorded_at (canonical text), leaf_hash
Row = tuple[int, str, int, str, str, int, str, str, str, bytes]

# message_id, created_at, subject_id, recipient, subject, body: the outbox row of a
# message, without the position of the event that caused it (the recorder adds it).
MessageRow = tuple[str, str, str | None, str, str, str]
MESSAGE_COLUMNS = (
    "message_id, created_at, event_position, subject_id, recipient, subject, body, attempts"
)

T = TypeVar("T")


class CurrentProcess:
    """This process's id, kept up to date across forks: `os.getpid()` is a system call, and
    an append asks for it more than once."""

    pid = os.getpid()


def _forked() -> None:
    CurrentProcess.pid = os.getpid()


os.register_at_fork(after_in_child=_forked)

COLUMNS = (
    "position, stream_id, version, event_id, type, schema_version, "
    "data, metadata, recorded_at, leaf_hash"
)


class PendingEvent(NamedTuple):
    """An event validated and encoded, waiting for its position."""

    event_id: str
    type: str
    schema_version: int
    data_json: str
    metadata_json: str


def build_rows(
    stream_id: str,
    pending: Sequence[PendingEvent],
    first_version: int,
    first_position: int,
    recorded_at: str,
) -> list[Row]:
    """Give pending events their places and leaf hashes.

    The canonical bytes are those of `canonical.canonical_event_bytes`, written out here
    with the members shared by the whole batch encoded once.
    """
    stream_json = json_string(stream_id)
    type_json: dict[str, str] = {}
    rows: list[Row] = []
    for offset, event in enumerate(pending):
        position = first_position + offset
        version = first_version + offset
        event_type = event.type
        if event_type not in type_json:
            type_json[event_type] = json_string(event_type)
        canonical = (
            f'{{"data":{event.data_json},"event_id":"{event.event_id}",'
            f'"metadata":{event.metadata_json},"position":{position},'
            f'"recorded_at":"{recorded_at}","schema_version":{event.schema_version},'
            f'"stream_id":{stream_json},"type":{type_json[event_type]},'
            f'"version":{version}}}'
        )
        rows.append(
            (
                position,
                stream_id,
                version,
                event.event_id,
                event_type,
                event.schema_version,
                event.data_json,
                event.metadata_json,
                recorded_at,
                sha256(LEAF_PREFIX + canonical.encode()).digest(),
            )
        )
    return rows


def expected_matches(expected: ExpectedVersion, current: int) -> bool:
    """Whether a stream at `current` is where the appender expected it."""
    if expected is StreamState.ANY:
        return True
    if expected is NO_STREAM:
        return current == 0
    return current == expected


def place_of(expected: ExpectedVersion, first_stored_version: int) -> bool:
    """Whether a re-sent batch found at `first_stored_version` is where it was sent to."""
    if expected is StreamState.ANY:
        return True
    if expected is NO_STREAM:
        return first_stored_version == 1
    return first_stored_version == expected + 1


def stored_in_place(rows: Sequence[Row | None], stream_id: str, expected: ExpectedVersion) -> bool:
    """Whether a re-sent batch is stored whole, in order, where it was sent to."""
    first = rows[0]
    if first is None or first[1] != stream_id or not place_of(expected, first[2]):
        return False
    return all(
        row is not None and row[1] == stream_id and row[2] == first[2] + offset
        for offset, row in enumerate(rows)
    )


class Recorder(ABC):
    """Appends and reads rows of the events table on one database."""

    unique_violation: ClassVar[type[Exception]]

    def __init__(self, clock: Callable[[], datetime]) -> None:
        self._clock = clock
        self._local = threading.local()
        self._connections: list[Any] = []
        self._guard = threading.Lock()

    # --- connections -------------------------------------------------------------

    def _connection(self) -> Any:
        """This thread's connection, opened on first use (and anew after a fork or after the
        database dropped the last one)."""
        local = self._local
        if getattr(local, "pid", None) != CurrentProcess.pid or local.connection is None:
            local.connection = None
            local.pid = CurrentProcess.pid
            local.connection = self._connect()
            with self._guard:
                self._connections.append(local.connection)
        return local.connection

    def _discard_connection(self, connection: Any) -> None:
        """Forget a connection the database dropped, so that the next use opens a new one."""
        if getattr(self._local, "connection", None) is connection:
            self._local.connection = None
        with self._guard:
            self._connections = [c for c in self._connections if c is not connection]
        with contextlib.suppress(Exception):
            connection.close()

    def _reading(self, read: Callable[[Any], T]) -> T:
        """Run `read` on this thread's connection; if the database had dropped it, run it
        once more on a fresh one (a read changes nothing, so running it twice is harmless)."""
        conn = self._connection()
        try:
            return read(conn)
        except Exception as error:
            if not self._is_disconnect(conn, error):
                raise
            self._discard_connection(conn)
        return read(self._connection())

    def close(self) -> None:
        """Close every connection this recorder opened in this process."""
        with self._guard:
            connections, self._connections = self._connections, []
        for connection in connections:
            with contextlib.suppress(Exception):
                connection.close()
        self._local = threading.local()

    # --- appending ---------------------------------------------------------------

    def append(
        self,
        stream_id: str,
        pending: Sequence[PendingEvent],
        expected: ExpectedVersion,
        messages: Sequence[MessageRow] = (),
    ) -> list[Row]:
        """Store `pending` at the end of the stream, and `messages` in the outbox, all or
        nothing."""
        conn = self._connection()
        try:
            return self._append_on(conn, stream_id, pending, expected, messages)
        except Exception as error:
            if not self._is_disconnect(conn, error):
                raise
            self._discard_connection(conn)
        # Safe to send again: a batch already committed is found by its event ids.
        return self._append_on(self._connection(), stream_id, pending, expected, messages)

    def _append_on(
        self,
        conn: Any,
        stream_id: str,
        pending: Sequence[PendingEvent],
        expected: ExpectedVersion,
        messages: Sequence[MessageRow],
    ) -> list[Row]:
        """One attempt at `append` on one connection."""
        try:
            try:
                current, head = self._begin_serialized(conn, stream_id)
                if not expected_matches(expected, current):
                    self._rollback(conn)
                    conflict: int | None = current
                else:
                    recorded_at = format_timestamp(self._clock())
                    rows = build_rows(stream_id, pending, current + 1, head + 1, recorded_at)
                    outgoing = [(*m[:2], rows[-1][0], *m[2:]) for m in messages]
                    self._write(conn, rows, outgoing)
                    return rows
            finally:
                self._end_serialized()
        except self.unique_violation:
            self._rollback(conn)
            conflict = None
        except BaseException:
            self._rollback(conn)
            raise
        return self._resolve_conflict(stream_id, pending, expected, conflict)

    def _resolve_conflict(
        self,
        stream_id: str,
        pending: Sequence[PendingEvent],
        expected: ExpectedVersion,
        current: int | None,
    ) -> list[Row]:
        """A re-sent append returns what is stored; anything else is refused."""
        found = {row[3]: row for row in self.select_by_event_ids([e.event_id for e in pending])}
        if not found:
            actual = self.current_version(stream_id) if current is None else current
            raise ConcurrencyError(stream_id, expected, actual)
        rows = [found.get(event.event_id) for event in pending]
        if stored_in_place(rows, stream_id, expected):
            return rows  # type: ignore[return-value]
        misplaced = next(e.event_id for e in pending if e.event_id in found)
        raise DuplicateEventError(misplaced)

    # --- backend specifics -------------------------------------------------------

    @abstractmethod
    def _connect(self) -> Any:
        """Open a connection configured for this recorder."""

    def _is_disconnect(self, conn: Any, error: Exception) -> bool:
        """Whether `error` means the database dropped `conn` (never, on a local file)."""
        return False

    def _end_serialized(self) -> None:  # noqa: B027 - most backends take nothing extra
        """Release whatever `_begin_serialized` took beyond the database's own lock."""

    @abstractmethod
    def _begin_serialized(self, conn: Any, stream_id: str) -> tuple[int, int]:
        """Start the serialized write; return the stream's version and the log's head."""

    def _write(self, conn: Any, rows: list[Row], messages: list[tuple[Any, ...]]) -> None:
        """Insert the rows (and outbox messages) and commit the open write."""
        self._insert(conn, rows)
        if messages:
            self._insert_messages(conn, messages)
        self._commit(conn)

    @abstractmethod
    def _insert_messages(self, conn: Any, messages: list[tuple[Any, ...]]) -> None:
        """Insert outbox rows inside the open write."""

    @abstractmethod
    def _insert(self, conn: Any, rows: list[Row]) -> None:
        """Insert rows inside the open write."""

    @abstractmethod
    def _commit(self, conn: Any) -> None:
        """Commit the open write."""

    @abstractmethod
    def _rollback(self, conn: Any) -> None:
        """Abandon the open write, if any."""

    @abstractmethod
    def select_by_event_ids(self, event_ids: Sequence[str]) -> list[Row]:
        """Stored rows with these event ids, in any order."""

    @abstractmethod
    def current_version(self, stream_id: str) -> int:
        """The stream's last version, 0 when it has none."""

    @abstractmethod
    def read_stream(self, stream_id: str, from_version: int, limit: int | None) -> list[Row]:
        """Rows of one stream from a version on, ascending."""

    @abstractmethod
    def read_all(self, after: int, limit: int) -> list[Row]:
        """Rows after a position, ascending, at most `limit`."""

    @abstractmethod
    def head(self) -> int:
        """The last position, 0 when the log is empty."""
