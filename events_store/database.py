"""SQLAlchemy engines configured the same way for every part that shares the database."""

from __future__ import annotations

import sqlite3
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 60_000
CONNECT_TIMEOUT_SECONDS = 10

# SQLSTATE classes that say the server cannot serve now, not that the statement is wrong:
# connection exceptions, insufficient resources, operator intervention (shutdown, restart).
_UNAVAILABLE_SQLSTATE_CLASSES = ("08", "53", "57")
# What SQLite says when another process holds the file or the file cannot be used.
_UNAVAILABLE_SQLITE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database cannot be reached or used just now (down, dropped,
    locked by another process), so that trying again later may succeed."""
    if isinstance(error, sa.exc.TimeoutError):
        return True  # every pooled connection is busy
    if isinstance(error, sa.exc.DBAPIError):
        if error.connection_invalidated:
            return True
        error = error.orig if error.orig is not None else error
    if isinstance(error, psycopg.InterfaceError):
        return True
    if isinstance(error, psycopg.OperationalError):
        sqlstate = error.sqlstate
        return sqlstate is None or sqlstate[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    if isinstance(error, sqlite3.OperationalError):
        return str(error).lower().startswith(_UNAVAILABLE_SQLITE_MESSAGES)
    return False


def create_engine(url: str, **options: Any) -> sa.Engine:
    """An engine for the log's database.

    On SQLite every transaction starts with `BEGIN IMMEDIATE`, so a transaction that reads
    then writes waits for the write lock instead of failing when another writer commits
    first; WAL lets readers carry on meanwhile, and a writer waits up to the URL's `timeout`
    (seconds, 60 by default) for the lock. A connection given the execution option
    `read_only=True` starts a plain deferred transaction and never waits for writers.
    PostgreSQL needs nothing special.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Survive a database restart, and never wait forever for a server that is down.
        options.setdefault("pool_pre_ping", True)
        if "connect_timeout" not in parsed.query:
            options.setdefault("connect_args", {"connect_timeout": CONNECT_TIMEOUT_SECONDS})
    engine = sa.create_engine(parsed, **options)
    if parsed.get_backend_name() == "sqlite":
        _serialize_sqlite_writes(engine, sqlite_busy_timeout_ms(url))
    return engine


def sqlite_busy_timeout_ms(url: str) -> int:
    """How long an SQLite connection waits for another's lock: the URL's `timeout` in
    seconds, as the sqlite3 driver reads it, or a minute."""
    timeout = make_url(url).query.get("timeout")
    if timeout is None:
        return SQLITE_BUSY_TIMEOUT_MS
    try:
        seconds = float(str(timeout))
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise ValueError("the database URL's timeout must be a number of seconds, at most 3600")
    return int(seconds * 1000)


def _serialize_sqlite_writes(engine: sa.Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten with zeros, so an erased person's data does not linger
        # in free space of the database file.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def begin(connection: sa.Connection) -> None:
        if connection.get_execution_options().get("read_only"):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def checkpoint_sqlite_wal(engine: sa.Engine, mode: str) -> None:
    """On SQLite, checkpoint the write-ahead log (nothing to do on PostgreSQL).

    Every mode first syncs the log to disk, so commits made at `synchronous=NORMAL` survive a
    power cut; PASSIVE never waits for readers; TRUNCATE also empties the log file, so no old
    page stays in it. It runs outside any transaction, on the driver's own connection.
    """
    if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
        raise ValueError(f"unknown checkpoint mode {mode!r}")
    if engine.dialect.name != "sqlite":
        return
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(f"PRAGMA wal_checkpoint({mode})")  # type: ignore[union-attr]
    finally:
        raw.close()


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A point in time stored as UTC and read back as an aware UTC datetime, on every backend.

    SQLite keeps no offset: a plain `DateTime(timezone=True)` would store 21:40-08:00 as
    21:40, and compare it as such. Every time written or compared through this type is turned
    into UTC first, so read models and their queries agree whatever zone the caller used.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("times stored in the read models must be timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def reading(db: sa.Engine | sa.Connection) -> AbstractContextManager[sa.Connection]:
    """A read-only connection of the engine, or the caller's own open connection as it is."""
    if isinstance(db, sa.Connection):
        return nullcontext(db)
    return db.connect().execution_options(read_only=True)


def writing(db: sa.Engine | sa.Connection) -> AbstractContextManager[sa.Connection]:
    """A transaction of the engine, or the caller's own open connection as it is."""
    if isinstance(db, sa.Connection):
        return nullcontext(db)
    return db.begin()
