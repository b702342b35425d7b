"""Which database failures mean "try again later" (503) rather than a fault in the code."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
import sqlalchemy as sa
from psycopg import errors

from events_store.database import is_unavailable, sqlite_busy_timeout_ms


def wrapped(cause: Exception) -> sa.exc.DBAPIError:
    """The error as SQLAlchemy raises it around the driver's."""
    return sa.exc.OperationalError("SELECT 1", {}, cause)


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (errors.AdminShutdown("terminating connection due to administrator command"), True),
        (errors.CannotConnectNow("the database system is starting up"), True),
        (errors.TooManyConnections("sorry, too many clients already"), True),
        (errors.QueryCanceled("canceling statement due to statement timeout"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (wrapped(psycopg.OperationalError("server closed the connection unexpectedly")), True),
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("unable to open database file"), True),
        (wrapped(sqlite3.OperationalError("database is locked")), True),
        (sa.exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), True),
        (errors.UniqueViolation("duplicate key value"), False),
        (errors.ProgramLimitExceeded("index row size exceeds maximum"), False),
        (errors.NumericValueOutOfRange("integer out of range"), False),
        (sqlite3.OperationalError("no such table: events"), False),
        (wrapped(sqlite3.OperationalError("near SELEC: syntax error")), False),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), False),
        (ValueError("not a database failure at all"), False),
    ],
)
def test_only_a_database_that_cannot_be_reached_or_used_now_is_unavailable(error, unavailable):
    assert is_unavailable(error) is unavailable


@pytest.mark.parametrize(
    ("url", "milliseconds"),
    [
        ("sqlite:///instance/canvass.db", 60_000),
        ("sqlite:///instance/canvass.db?timeout=0.5", 500),
        ("sqlite:///instance/canvass.db?timeout=5", 5_000),
    ],
)
def test_an_sqlite_url_may_say_how_long_to_wait_for_another_process_lock(url, milliseconds):
    assert sqlite_busy_timeout_ms(url) == milliseconds


@pytest.mark.parametrize("timeout", ["soon", "-1", "nan", "86400"])
def test_an_sqlite_timeout_that_is_not_a_sensible_number_of_seconds_is_refused(timeout):
    with pytest.raises(ValueError, match="timeout must be a number of seconds"):
        sqlite_busy_timeout_ms(f"sqlite:///instance/canvass.db?timeout={timeout}")
