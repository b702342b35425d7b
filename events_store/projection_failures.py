"""Projections that stopped at an event they could not apply: the record, and the guard.

A failure is kept in the projection's tracking row until a rebuild or a retry succeeds. It
names the event by position and type and the error by class, with a short message from
which anything that could be personal (quoted values, numbers, addresses) is cut out. The
guard refuses appends of event types that a stopped projection consumes, before they are
written, so nothing piles up behind it; it reads the tracking table at most once a second.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from .errors import ProjectionUnavailable

log = logging.getLogger(__name__)

MAX_MESSAGE_LENGTH = 200
TRANSIENT_ERRORS = ("OperationalError", "InterfaceError", "DisconnectionError", "TimeoutError")

_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"-?\d[\d_]{2,}(?:\.\d+)?(?:[eE][-+]?\d+)?|-?\d+\.\d+(?:[eE][-+]?\d+)?")
_PERSONAL_WORD = re.compile(r"\S*@\S*")

_FAILED = sa.text(
    "SELECT name, failed_position FROM projection_positions WHERE failed_position IS NOT NULL"
)
_RECORD = sa.text(
    "UPDATE projection_positions SET failed_position = :position, failed_event_type = :type,"
    " failed_error = :error, failed_message = :message, failed_at = :now WHERE name = :name"
)
_COLUMNS_SQLITE = sa.text(
    "SELECT m.name, c.name FROM sqlite_master AS m JOIN pragma_table_info(m.name) AS c"
    " WHERE m.type = 'table'"
)
_COLUMNS_POSTGRES = sa.text(
    "SELECT table_name, column_name FROM information_schema.columns"
    " WHERE table_schema = current_schema()"
)
CLEAR = sa.text(
    "UPDATE projection_positions SET failed_position = NULL, failed_event_type = NULL,"
    " failed_error = NULL, failed_message = NULL, failed_at = NULL WHERE name = :name"
)


@dataclass(frozen=True, slots=True)
class ProjectionFailure:
    """The event a projection could not apply, and why, in words fit for a log line."""

    position: int
    event_type: str
    error: str
    message: str
    failed_at: datetime | None = None

    def describe(self) -> str:
        """One sentence for an operator: which event, which error."""
        return (
            f"could not apply event {self.position:,} ({self.event_type}): "
            f"{self.error}: {self.message}"
        )


def failure_in(row: sa.Row[Any]) -> ProjectionFailure | None:
    """The failure kept in a tracking row read with its `failed_*` columns, if there is one."""
    if row.failed_position is None:
        return None
    failed_at = row.failed_at
    if isinstance(failed_at, str):  # SQLite returns the text it stored
        failed_at = datetime.fromisoformat(failed_at)
    if failed_at is not None:
        failed_at = failed_at.replace(tzinfo=failed_at.tzinfo or UTC).astimezone(UTC)
    return ProjectionFailure(
        int(row.failed_position),
        row.failed_event_type,
        row.failed_error,
        row.failed_message,
        failed_at,
    )


def is_transient(error: BaseException) -> bool:
    """Whether the failure is the database's (a dropped connection, a lock, a timeout), so
    the same event will apply when tried again, rather than the event's or the code's."""
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    causes = [error, getattr(error, "orig", None)]
    return any(
        kind.__name__ in TRANSIENT_ERRORS
        for cause in causes
        if cause is not None
        for kind in type(cause).__mro__
    )


def failure_of(
    position: int, event_type: str, error: BaseException, schema_names: Collection[str] = ()
) -> ProjectionFailure:
    """Describe `error` without personal data: quoted words survive only if they name a
    table or a column (`schema_names`), and long numbers never do."""
    cause = getattr(error, "orig", None) if isinstance(error, sa.exc.DBAPIError) else None
    cause = cause or error
    diagnostics = getattr(cause, "diag", None)
    text = getattr(diagnostics, "message_primary", None) or str(cause) or type(cause).__name__
    first_line = text.strip().splitlines()[0] if text.strip() else type(cause).__name__
    return ProjectionFailure(
        position, event_type, type(error).__name__, _without_values(first_line, schema_names)
    )


def _without_values(text: str, schema_names: Collection[str]) -> str:
    def quoted(match: re.Match[str]) -> str:
        inner = match.group()[1:-1]
        return match.group() if inner in schema_names else match.group()[0] + "…" + match.group()[0]

    text = _QUOTED.sub(quoted, text)
    text = _PERSONAL_WORD.sub("…", text)
    text = _NUMBER.sub("…", text)
    if len(text) > MAX_MESSAGE_LENGTH:
        text = text[: MAX_MESSAGE_LENGTH - 1] + "…"
    return text


def schema_names(conn: sa.Connection) -> set[str]:
    """Names of the tables and columns in the database, which error messages may quote."""
    query = _COLUMNS_POSTGRES if conn.dialect.name == "postgresql" else _COLUMNS_SQLITE
    names: set[str] = set()
    for table, column in conn.execute(query):
        names.update((table, column))
    return names


def record_failure(
    conn: sa.Connection, name: str, failure: ProjectionFailure, now: datetime
) -> None:
    """Keep the failure in the projection's tracking row (inside the caller's transaction)."""
    values = {
        "name": name,
        "position": failure.position,
        "type": failure.event_type[:200],
        "error": failure.error[:100],
        "message": failure.message[:300],
        "now": now,
    }
    conn.execute(_RECORD, values)


class AppendGuard:
    """Refuses appends that a stopped projection would have to apply."""

    def __init__(
        self,
        engine: sa.Engine,
        consumes: Mapping[str, frozenset[str] | None],
        interval_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._consumes = dict(consumes)
        self._interval = interval_seconds
        self._clock = clock
        self._failed: dict[str, int] = {}
        self._read_at = float("-inf")

    def __call__(self, event_types: Collection[str]) -> None:
        """Raise `ProjectionUnavailable` if a stopped projection consumes any of the types."""
        if self._clock() - self._read_at >= self._interval:
            self.refresh()
        for name, position in self._failed.items():
            consumed = self._consumes[name]
            if consumed is None or not consumed.isdisjoint(event_types):
                raise ProjectionUnavailable(name, position)

    def refresh(self) -> None:
        """Read which projections have stopped; keep the last answer if the database is away."""
        self._read_at = self._clock()
        try:
            with self._engine.connect().execution_options(read_only=True) as conn:
                rows = conn.execute(_FAILED).all()
        except sa.exc.SQLAlchemyError as error:
            # The append that follows meets the same fault and reports it; this check only
            # keeps what it knew.
            log.warning("could not read which projections have stopped: %s", type(error).__name__)
            return
        self._failed = {name: int(at) for name, at in rows if name in self._consumes}
