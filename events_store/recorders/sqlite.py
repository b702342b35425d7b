"""The event log on SQLite: one file, WAL journal, writers serialized by `BEGIN IMMEDIATE`."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, ClassVar

from .base import COLUMNS, MESSAGE_COLUMNS, CurrentProcess, Recorder, Row

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
# Pages the write-ahead log may hold before a commit copies them back into the database
# file (SQLite's default is 1,000). A copy ends with a sync of both files, the only wait for
# the disk an append has at NORMAL; the pages an append touches are mostly the same few,
# so a longer log copies about as many distinct pages, ten times less often. At most
# some 40 MB of log, reused from its start after each copy.
# At FULL and EXTRA every commit syncs the log, and a sync of a log that has just grown also
# waits for the file system's record of its new size: a long log that keeps growing made
# each commit two to three times slower until it was first reused, so those modes keep
# SQLite's default, a 4 MB log that is soon written over in place.
WAL_AUTOCHECKPOINT_PAGES = {"OFF": 10_000, "NORMAL": 10_000, "FULL": 1_000, "EXTRA": 1_000}

_INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
_INSERT_MESSAGE = f"INSERT INTO outbox ({MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0)"
_STATE = (
    "SELECT (SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?),"
    " (SELECT COALESCE(MAX(position), 0) FROM events)"
)
_READ_ALL = f"SELECT {COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?"
_READ_STREAM = (
    f"SELECT {COLUMNS} FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?"
)


class AppendConnection(sqlite3.Connection):
    """A connection that keeps one cursor for the statements of an append, which is half
    the cost of the throwaway cursor `Connection.execute` makes for each statement."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.append_cursor = self.cursor()


class SQLiteRecorder(Recorder):
    """Rows of the events table in an SQLite database file."""

    unique_violation: ClassVar[type[Exception]] = sqlite3.IntegrityError

    def __init__(
        self,
        path: str,
        clock: Callable[[], datetime],
        synchronous: str = "NORMAL",
        busy_timeout_seconds: float = 60.0,
    ) -> None:
        super().__init__(clock)
        if synchronous.upper() not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous must be one of {', '.join(SYNCHRONOUS_MODES)}")
        self.path = path
        self.synchronous = synchronous.upper()
        self.busy_timeout_seconds = busy_timeout_seconds
        self._lock_fds: list[int] = []

    def _connect(self) -> AppendConnection:
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_seconds,
            isolation_level=None,
            check_same_thread=False,
            cached_statements=32,
            factory=AppendConnection,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self.synchronous}")
        conn.execute(f"PRAGMA wal_autocheckpoint={WAL_AUTOCHECKPOINT_PAGES[self.synchronous]}")
        return conn

    def _begin_serialized(self, conn: AppendConnection, stream_id: str) -> tuple[int, int]:
        # Appenders queue on a file lock first: the kernel wakes the next one the moment
        # the lock is free, where SQLite's own busy handler would sleep and poll.
        fcntl.flock(self._lock_file(), fcntl.LOCK_EX)
        cursor = conn.append_cursor
        cursor.execute("BEGIN IMMEDIATE")
        current, head = cursor.execute(_STATE, (stream_id,)).fetchone()
        return current, head

    def _end_serialized(self) -> None:
        fcntl.flock(self._local.lock_fd, fcntl.LOCK_UN)

    def _lock_file(self) -> int:
        """This thread's descriptor of the appenders' lock file beside the database."""
        local = self._local
        if getattr(local, "lock_pid", None) != CurrentProcess.pid:
            local.lock_fd = os.open(f"{self.path}-append.lock", os.O_RDWR | os.O_CREAT, 0o600)
            local.lock_pid = CurrentProcess.pid
            with self._guard:
                self._lock_fds.append(local.lock_fd)
        return int(local.lock_fd)

    def close(self) -> None:
        super().close()
        with self._guard:
            descriptors, self._lock_fds = self._lock_fds, []
        for descriptor in descriptors:
            os.close(descriptor)

    def _insert(self, conn: AppendConnection, rows: list[Row]) -> None:
        if len(rows) == 1:
            conn.append_cursor.execute(_INSERT, rows[0])
        else:
            conn.append_cursor.executemany(_INSERT, rows)

    def _insert_messages(self, conn: AppendConnection, messages: list[tuple[Any, ...]]) -> None:
        conn.append_cursor.executemany(_INSERT_MESSAGE, messages)

    def _commit(self, conn: AppendConnection) -> None:
        conn.append_cursor.execute("COMMIT")

    def _rollback(self, conn: AppendConnection) -> None:
        if conn.in_transaction:
            conn.append_cursor.execute("ROLLBACK")

    def select_by_event_ids(self, event_ids: Sequence[str]) -> list[Row]:
        marks = ", ".join("?" for _ in event_ids)
        sql = f"SELECT {COLUMNS} FROM events WHERE event_id IN ({marks})"
        rows: list[Row] = self._connection().execute(sql, list(event_ids)).fetchall()
        return rows

    def current_version(self, stream_id: str) -> int:
        sql = "SELECT COALESCE(MAX(version), 0) FROM events WHERE stream_id = ?"
        return int(self._connection().execute(sql, (stream_id,)).fetchone()[0])

    def read_stream(self, stream_id: str, from_version: int, limit: int | None) -> list[Row]:
        params = (stream_id, from_version, -1 if limit is None else limit)
        rows: list[Row] = self._connection().execute(_READ_STREAM, params).fetchall()
        return rows

    def read_all(self, after: int, limit: int) -> list[Row]:
        rows: list[Row] = self._connection().execute(_READ_ALL, (after, limit)).fetchall()
        return rows

    def head(self) -> int:
        sql = "SELECT COALESCE(MAX(position), 0) FROM events"
        return int(self._connection().execute(sql).fetchone()[0])
