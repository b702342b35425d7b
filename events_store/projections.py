"""Projections: read-model tables filled from the log, each with its own tracking row.

A projection's table changes and its tracking position are written in one transaction,
after the tracking row is locked, so an event is applied exactly once even if the process
dies halfway through a batch or two runners race for the same projection.

A projection that cannot apply an event stops just before it and records why; the others
carry on, and appends it would have to apply are refused until a rebuild succeeds. A
rebuild replays the log in one transaction, so readers keep the old rows until it commits
and a rebuild that fails leaves them serving.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import sqlalchemy as sa

from .errors import ProjectionFailed, ProjectionUnavailable
from .model import RecordedEvent
from .projection_failures import (
    CLEAR,
    AppendGuard,
    ProjectionFailure,
    failure_in,
    failure_of,
    is_transient,
    record_failure,
    schema_names,
)
from .store import EventStore

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

_ENSURE = sa.text(
    "INSERT INTO projection_positions (name, position, updated_at)"
    " VALUES (:name, 0, :now) ON CONFLICT (name) DO NOTHING"
)
_TRACKING = "SELECT position, failed_position FROM projection_positions WHERE name = :name"
_LOCK_SQLITE = sa.text(_TRACKING)
_LOCK_POSTGRES = sa.text(_TRACKING + " FOR UPDATE")
_READ_TRACKING = sa.text(_TRACKING)
_ADVANCE = sa.text(
    "UPDATE projection_positions SET position = :position, updated_at = :now WHERE name = :name"
)
_STATUS = sa.text(
    "SELECT name, position, failed_position, failed_event_type, failed_error, failed_message,"
    " failed_at FROM projection_positions"
)


class Projection(Protocol):
    """A read model kept up to date from the log.

    It may declare `event_types`, the types it reads (None, or no declaration: every event),
    so that while it is stopped only appends of those types are refused.
    """

    name: str

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply a batch of events, in position order, inside the given transaction."""

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read-model tables before a rebuild."""


@dataclass(frozen=True, slots=True)
class ProjectionStatus:
    """How far one projection has read, against the head of the log."""

    name: str
    position: int
    head: int
    failure: ProjectionFailure | None = None

    @property
    def behind(self) -> int:
        """How many events it has still to apply."""
        return max(0, self.head - self.position)


class UnknownProjectionError(LookupError):
    """No projection is registered under that name."""


class _ApplyFailed(Exception):
    """A batch did not apply; raised out of its transaction so that it rolls back."""

    def __init__(self, events: Sequence[RecordedEvent], error: Exception) -> None:
        self.events = events
        self.error = error


class ProjectionRunner:
    """Feeds events in position order to named projections."""

    def __init__(
        self,
        engine: sa.Engine,
        store: EventStore,
        projections: Iterable[Projection],
        batch_size: int = 500,
        guard_interval_seconds: float = 1.0,
    ) -> None:
        self._engine = engine
        self._store = store
        self._projections = {projection.name: projection for projection in projections}
        self._batch_size = batch_size
        self._lock = _LOCK_POSTGRES if engine.dialect.name == "postgresql" else _LOCK_SQLITE
        self._ensured = False
        consumes = {name: _event_types(p) for name, p in self._projections.items()}
        self._guard = AppendGuard(engine, consumes, guard_interval_seconds)
        store.guard_appends(self._guard)

    @property
    def names(self) -> list[str]:
        """Registered projection names, in registration order."""
        return list(self._projections)

    def status(self) -> list[ProjectionStatus]:
        """Each projection's position beside the head of the log, and why it stopped if it did."""
        self._ensure_tracking_rows()
        head = self._store.head()
        with self._engine.connect().execution_options(read_only=True) as conn:
            rows = {row.name: row for row in conn.execute(_STATUS)}
        return [_status_of(name, rows.get(name), head) for name in self._projections]

    def failures(self) -> dict[str, ProjectionFailure]:
        """The projections that have stopped, each with the event it could not apply."""
        return {row.name: row.failure for row in self.status() if row.failure is not None}

    def run_batch(self, name: str) -> int:
        """Apply the next batch of events to one projection; return how many were applied.

        If the batch fails, its events are applied one at a time, so that the projection
        stops just before the one it cannot apply, and that event is recorded as its failure.
        A stopped projection applies nothing until it is rebuilt or retried.
        """
        projection = self._get(name)
        self._ensure_tracking_rows()
        try:
            return self._apply_next(name, projection, self._batch_size)
        except _ApplyFailed as failed:
            if len(failed.events) == 1:
                self._stop(name, failed.events[0], failed.error)
                return 0
        applied = 0
        while True:
            try:
                count = self._apply_next(name, projection, 1)
            except _ApplyFailed as failed:
                self._stop(name, failed.events[0], failed.error)
                return applied
            if not count:
                return applied
            applied += count

    def catch_up(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Apply every event up to the head to the named projections (all by default).

        A stopped projection stays where it stopped; `status` and `failures` say why.
        """
        applied = 0
        for name in self._names_or_all(names):
            while count := self.run_batch(name):
                applied += count
                if progress:
                    progress(count)
        return applied

    def wait_until(self, position: int, names: Iterable[str] | None = None) -> None:
        """Return once the named projections have applied every event up to `position`.

        A command calls this after appending, so that its answer reads its own writes.
        The runner applies the missing events itself rather than waiting for another
        process to do so. Raises `ProjectionUnavailable` if one of them has stopped short.
        """
        self._ensure_tracking_rows()
        for name in self._names_or_all(names):
            at, failed = self._tracking(name)
            while at < position and failed is None and self.run_batch(name):
                at, failed = self._tracking(name)
            if at < position:
                at, failed = self._tracking(name)
                if failed is not None:
                    raise ProjectionUnavailable(name, failed, recorded=True)

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Empty one projection and replay the whole log into it, in one transaction.

        Readers keep the old rows until it commits. If an event cannot be applied the
        transaction rolls back, the old read model keeps serving, and `ProjectionFailed`
        names the event. A rebuild that succeeds clears any recorded failure.
        """
        projection = self._get(name)
        self._ensure_tracking_rows()
        applied = 0
        with self._engine.begin() as conn:
            conn.execute(self._lock, {"name": name}).one()
            projection.clear(conn)
            log.info("projection %s: replaying the log to rebuild it", name)
            position = 0
            while events := self._store.read_all(after=position, limit=self._batch_size):
                self._apply_in_savepoint(conn, name, projection, events)
                position = events[-1].position
                applied += len(events)
                if progress:
                    progress(len(events))
            conn.execute(_ADVANCE, {"name": name, "position": position, "now": _now()})
            conn.execute(CLEAR, {"name": name})
        self._guard.refresh()
        log.info("projection %s rebuilt from %d events", name, applied)
        return applied

    def retry(self, name: str) -> int:
        """Forget why one projection stopped and carry on from where it stopped (after a
        code fix or an upcaster); return how many events it applied."""
        self._get(name)
        self._ensure_tracking_rows()
        with self._engine.begin() as conn:
            conn.execute(self._lock, {"name": name}).one()
            conn.execute(CLEAR, {"name": name})
        self._guard.refresh()
        return self.catch_up([name])

    def _apply_next(self, name: str, projection: Projection, limit: int) -> int:
        with self._engine.begin() as conn:
            position, failed = conn.execute(self._lock, {"name": name}).one()
            if failed is not None:
                return 0
            events = self._store.read_all(after=position, limit=limit)
            if not events:
                return 0
            try:
                projection.apply(conn, events)
            except Exception as error:
                if is_transient(error):
                    raise
                raise _ApplyFailed(events, error) from error
            conn.execute(_ADVANCE, {"name": name, "position": events[-1].position, "now": _now()})
        return len(events)

    def _apply_in_savepoint(
        self, conn: sa.Connection, name: str, projection: Projection, batch: list[RecordedEvent]
    ) -> None:
        """Apply a batch of a rebuild; if it fails, find the event and raise ProjectionFailed."""
        try:
            with conn.begin_nested():
                projection.apply(conn, batch)
            return
        except Exception as error:
            if is_transient(error):
                raise
            first_error = error
        for event in batch:
            try:
                with conn.begin_nested():
                    projection.apply(conn, [event])
            except Exception as error:
                if is_transient(error):
                    raise
                failure = failure_of(event.position, event.type, error, schema_names(conn))
                break
        else:
            failure = failure_of(batch[0].position, batch[0].type, first_error, schema_names(conn))
        log.error("projection %s: rebuild stopped, %s", name, failure.describe())
        raise ProjectionFailed(
            name, failure.position, failure.event_type, f"{failure.error}: {failure.message}"
        )

    def _stop(self, name: str, event: RecordedEvent, error: Exception) -> None:
        with self._engine.begin() as conn:
            _, failed = conn.execute(self._lock, {"name": name}).one()
            if failed is None:
                failure = failure_of(event.position, event.type, error, schema_names(conn))
                record_failure(conn, name, failure, _now())
                log.error("projection %s stopped: %s", name, failure.describe())
        self._guard.refresh()

    def _tracking(self, name: str) -> tuple[int, int | None]:
        with self._engine.connect().execution_options(read_only=True) as conn:
            position, failed = conn.execute(_READ_TRACKING, {"name": name}).one()
        return int(position), None if failed is None else int(failed)

    def _names_or_all(self, names: Iterable[str] | None) -> list[str]:
        chosen = list(self._projections) if names is None else list(names)
        for name in chosen:
            self._get(name)
        return chosen

    def _get(self, name: str) -> Projection:
        try:
            return self._projections[name]
        except KeyError:
            known = ", ".join(self._projections) or "none"
            raise UnknownProjectionError(
                f"there is no projection named {name!r} (known: {known})"
            ) from None

    def _ensure_tracking_rows(self) -> None:
        if self._ensured:
            return
        with self._engine.begin() as conn:
            for name in self._projections:
                conn.execute(_ENSURE, {"name": name, "now": _now()})
        self._ensured = True


def _event_types(projection: Projection) -> frozenset[str] | None:
    declared = getattr(projection, "event_types", None)
    return None if declared is None else frozenset(declared)


def _status_of(name: str, row: sa.Row[Any] | None, head: int) -> ProjectionStatus:
    if row is None:
        return ProjectionStatus(name, 0, head)
    return ProjectionStatus(name, int(row.position), head, failure_in(row))


def _now() -> datetime:
    return datetime.now(UTC)
