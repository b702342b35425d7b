"""One scheduler at a time: the process that holds the leader lock runs the scheduled jobs,
and any other waits until it is gone.

On PostgreSQL the lock is a session advisory lock, keyed by the schema the service's tables
live in, held on a connection of its own: it goes when that process or its connection dies.
On SQLite it is an exclusive lock on a file beside the database, which the system releases
when the process that holds it ends, however it ends.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import IO, Protocol

import psycopg
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)
WAIT_SECONDS = 5.0


class LeaderLock(Protocol):
    unreachable: bool  # the last try found no database, rather than another leader

    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; whether this process now holds it."""

    def still_held(self) -> bool:
        """Whether the lock taken is still this process's (its connection alive)."""

    def release(self) -> None:
        """Let another scheduler lead."""


def leader_lock(database_url: str) -> LeaderLock:
    """The leader lock of the schedulers of the database at `database_url`."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        return FileLock(Path(f"{url.database}.scheduler-lock"))
    return AdvisoryLock(url.set(drivername="postgresql").render_as_string(hide_password=False))


def wait_to_lead(lock: LeaderLock, stop: threading.Event | None = None) -> bool:
    """Block until this process holds the lock (False if `stop` is set first), saying once
    that another scheduler leads."""
    told = False
    while not lock.try_acquire():
        if not told:
            log.info("another scheduler is running these jobs; this one waits to take over")
            told = True
        if stop is not None and stop.wait(WAIT_SECONDS):
            return False
        if stop is None:
            threading.Event().wait(WAIT_SECONDS)
    log.info("this process now runs the scheduled jobs (pid %d)", os.getpid())
    return True


class FileLock:
    """An exclusive `flock` on a file beside the SQLite database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[bytes] | None = None
        self.unreachable = False

    def try_acquire(self) -> bool:
        if self._file is not None:
            return True
        opened = open(self.path, "ab")  # noqa: SIM115 (held open for as long as it leads)
        try:
            fcntl.flock(opened.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            opened.close()
            return False
        self._file = opened
        return True

    def still_held(self) -> bool:
        return self._file is not None

    def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file releases the lock
            self._file = None


class AdvisoryLock:
    """A PostgreSQL session advisory lock, keyed by the schema of the service's tables."""

    def __init__(self, libpq_url: str) -> None:
        self._url = libpq_url
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self.unreachable = False  # the last try found no database, rather than a leader

    def try_acquire(self) -> bool:
        if self._conn is not None and self.still_held():
            return True
        self._drop()
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError:
            self.unreachable = True
            return False  # the database is away; try again at the next turn
        self.unreachable = False
        try:
            row = conn.execute("SELECT current_schema()").fetchone()
            key = _key(str(row[0] if row else "public"))
            held = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
        except psycopg.Error:
            conn.close()
            return False
        if not (held and held[0]):
            conn.close()
            return False
        self._conn = conn
        return True

    def still_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            self._drop()
            return False
        return True

    def release(self) -> None:
        self._drop()  # the session's end releases its advisory locks

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None


def _key(schema: str) -> int:
    """A signed 64-bit advisory lock key for the schedulers of one schema."""
    digest = hashlib.sha256(f"camera-canvass scheduler {schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
