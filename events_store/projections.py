"""Projections: read-model tables filled from the log, each with its own tracking row.

A projection's table changes and its tracking position are written in one transaction,
after the tracking row is locked, so an event is applied exactly once even if the process
dies halfway through a batch or two runners race for the same projection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

import sqlalchemy as sa

from .model import RecordedEvent
from .store import EventStore

log = logging.getLogger(__name__)

Progress = Callable[[int], None]

_ENSURE = sa.text(
    "INSERT INTO projection_positions (name, position, updated_at)"
    " VALUES (:name, 0, :now) ON CONFLICT (name) DO NOTHING"
)
_LOCK_SQLITE = sa.text("SELECT position FROM projection_positions WHERE name = :name")
_LOCK_POSTGRES = sa.text("SELECT position FROM projection_positions WHERE name = :name FOR UPDATE")
_ADVANCE = sa.text(
    "UPDATE projection_positions SET position = :position, updated_at = :now WHERE name = :name"
)


class Projection(Protocol):
    """A read model kept up to date from the log."""

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

    @property
    def behind(self) -> int:
        """How many events it has still to apply."""
        return max(0, self.head - self.position)


class UnknownProjectionError(LookupError):
    """No projection is registered under that name."""


class ProjectionRunner:
    """Feeds events in position order to named projections."""

    def __init__(
        self,
        engine: sa.Engine,
        store: EventStore,
        projections: Iterable[Projection],
        batch_size: int = 500,
    ) -> None:
        self._engine = engine
        self._store = store
        self._projections = {projection.name: projection for projection in projections}
        self._batch_size = batch_size
        self._lock = _LOCK_POSTGRES if engine.dialect.name == "postgresql" else _LOCK_SQLITE
        self._ensured = False

    @property
    def names(self) -> list[str]:
        """Registered projection names, in registration order."""
        return list(self._projections)

    def status(self) -> list[ProjectionStatus]:
        """Each projection's position beside the head of the log."""
        self._ensure_tracking_rows()
        head = self._store.head()
        with self._engine.connect().execution_options(read_only=True) as conn:
            sql = sa.text("SELECT name, position FROM projection_positions")
            rows = {name: position for name, position in conn.execute(sql)}
        return [ProjectionStatus(name, rows.get(name, 0), head) for name in self._projections]

    def run_batch(self, name: str) -> int:
        """Apply the next batch of events to one projection; return how many were applied."""
        projection = self._get(name)
        self._ensure_tracking_rows()
        with self._engine.begin() as conn:
            position = conn.execute(self._lock, {"name": name}).scalar_one()
            events = self._store.read_all(after=position, limit=self._batch_size)
            if not events:
                return 0
            projection.apply(conn, events)
            conn.execute(_ADVANCE, {"name": name, "position": events[-1].position, "now": _now()})
        return len(events)

    def catch_up(self, names: Iterable[str] | None = None, progress: Progress | None = None) -> int:
        """Apply every event up to the head to the named projections (all by default)."""
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
        process to do so.
        """
        self._ensure_tracking_rows()
        for name in self._names_or_all(names):
            while self._position_of(name) < position:
                if not self.run_batch(name):
                    break

    def rebuild(self, name: str, progress: Progress | None = None) -> int:
        """Empty one projection and replay the whole log into it."""
        projection = self._get(name)
        self._ensure_tracking_rows()
        with self._engine.begin() as conn:
            conn.execute(self._lock, {"name": name}).scalar_one()
            projection.clear(conn)
            conn.execute(_ADVANCE, {"name": name, "position": 0, "now": _now()})
        log.info("projection %s cleared for rebuild", name)
        return self.catch_up([name], progress)

    def _position_of(self, name: str) -> int:
        with self._engine.connect().execution_options(read_only=True) as conn:
            sql = sa.text("SELECT position FROM projection_positions WHERE name = :name")
            return int(conn.execute(sql, {"name": name}).scalar_one())

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


def _now() -> datetime:
    return datetime.now(UTC)
