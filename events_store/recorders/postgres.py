"""The event log on PostgreSQL: writers serialized by a transaction-scoped advisory lock.

The lock is taken in a statement of its own, so the statement that reads the stream's
version and the log's head runs on a snapshot taken after every earlier writer committed:
at READ COMMITTED each statement takes its own snapshot, even when the two travel to the
server in one message, as they do here to spare a round trip while the lock is held.
PostgreSQL makes a transaction visible before it releases its locks, so a reader that sees
position p also sees every position below it. A backend that dies takes its advisory lock
with it, so a dropped connection never leaves the log locked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

import psycopg
from psycopg import errors

from .base import COLUMNS, MESSAGE_COLUMNS, Recorder, Row

# An arbitrary constant naming "the events table's writer" among advisory locks.
APPEND_LOCK_KEY = 0x63616E7661737301

_SELECT = (
    "SELECT position, stream_id, version, event_id::text, type, schema_version,"
    " data::text, metadata::text,"
    " to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    " leaf_hash FROM events"
)
_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
_INSERT_MESSAGE = f"INSERT INTO outbox ({MESSAGE_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, 0)"
_COPY = f"COPY events ({COLUMNS}) FROM STDIN"
_STATE = (
    "SELECT (SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = %s),"
    " (SELECT COALESCE(MAX(position), 0) FROM events)"
)
_BEGIN_LOCK_AND_STATE = f"BEGIN; SELECT pg_advisory_xact_lock({APPEND_LOCK_KEY}); {_STATE}"
_READ_ALL = _SELECT + " WHERE position > %s ORDER BY position LIMIT %s"
_READ_STREAM = _SELECT + " WHERE stream_id = %s AND version >= %s ORDER BY version LIMIT %s"


class PostgresRecorder(Recorder):
    """Rows of the events table in a PostgreSQL database."""

    unique_violation: ClassVar[type[Exception]] = errors.UniqueViolation

    def __init__(self, conninfo: str, clock: Callable[[], datetime]) -> None:
        super().__init__(clock)
        self.conninfo = conninfo

    def _connect(self) -> psycopg.Connection[Any]:
        conninfo = self.conninfo
        if "connect_timeout" not in conninfo:
            conninfo = psycopg.conninfo.make_conninfo(conninfo, connect_timeout=10)
        return psycopg.connect(conninfo, autocommit=True)

    def _is_disconnect(self, conn: psycopg.Connection[Any], error: Exception) -> bool:
        dropped = isinstance(error, psycopg.OperationalError | psycopg.InterfaceError)
        return dropped and (conn.closed or conn.broken)

    def _begin_serialized(self, conn: psycopg.Connection[Any], stream_id: str) -> tuple[int, int]:
        with psycopg.ClientCursor(conn) as cursor:
            cursor.execute(_BEGIN_LOCK_AND_STATE, (stream_id,))
            cursor.nextset()  # past BEGIN to the lock
            cursor.nextset()  # and on to the state
            row = cursor.fetchone()
        assert row is not None
        return row[0], row[1]

    def _write(
        self, conn: psycopg.Connection[Any], rows: list[Row], messages: list[tuple[Any, ...]]
    ) -> None:
        if len(rows) > 1 or messages:
            super()._write(conn, rows, messages)
            return
        # A single event and the commit travel in one message: if the insert fails, the
        # server skips the COMMIT and the transaction stays open for our ROLLBACK.
        with psycopg.ClientCursor(conn) as cursor:
            cursor.execute(_INSERT + "; COMMIT", rows[0])

    def _insert(self, conn: psycopg.Connection[Any], rows: list[Row]) -> None:
        with conn.cursor() as cursor, cursor.copy(_COPY) as copy:
            for row in rows:
                copy.write_row(row)

    def _insert_messages(
        self, conn: psycopg.Connection[Any], messages: list[tuple[Any, ...]]
    ) -> None:
        with conn.cursor() as cursor:
            cursor.executemany(_INSERT_MESSAGE, messages)

    def _commit(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute("COMMIT")

    def _rollback(self, conn: psycopg.Connection[Any]) -> None:
        if conn.closed or conn.broken:
            return  # the server rolled it back when the connection went
        conn.execute("ROLLBACK")

    def select_by_event_ids(self, event_ids: Sequence[str]) -> list[Row]:
        sql = _SELECT + " WHERE event_id = ANY(%s::uuid[])"
        return self._fetch_all(sql, (list(event_ids),))

    def current_version(self, stream_id: str) -> int:
        sql = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = %s"
        return int(self._fetch_all(sql, (stream_id,))[0][0])

    def read_stream(self, stream_id: str, from_version: int, limit: int | None) -> list[Row]:
        return self._fetch_all(_READ_STREAM, (stream_id, from_version, limit))

    def read_all(self, after: int, limit: int) -> list[Row]:
        return self._fetch_all(_READ_ALL, (after, limit))

    def head(self) -> int:
        return int(self._fetch_all("SELECT COALESCE(MAX(position), 0) FROM events", ())[0][0])

    def _fetch_all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Every row of a query, through a connection that is reopened if it was dropped."""
        rows: list[Any] = self._reading(lambda conn: conn.execute(sql, params).fetchall())
        return rows
