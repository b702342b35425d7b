"""The record of each erasure until every step of it is done, so that an erasure cut short
(a database away, a file that would not go, a reader holding SQLite's write-ahead log) is
seen as pending by the owner and the auditor and finished by the scheduler.

One mutable row per erased account, not a projection: it is not rebuilt from the log, and it
holds nothing personal (the account's pseudonymous id, times, the names of the steps done,
the hashes of files still to delete, and in plain words what the rest waits for).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from events_store.database import UtcDateTime

erasures = sa.Table(
    "erasures",
    sa.MetaData(),
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("reason", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(64), nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("steps_done", sa.Text, nullable=False),
    sa.Column("files_pending", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_attempt_at", UtcDateTime()),
    sa.Column("attempt_started_at", UtcDateTime()),  # an attempt runs: a lease, not a lock
    sa.Column("waiting_on", sa.String(300)),
    sa.Column("finished_at", UtcDateTime()),
)

_START = sa.text(
    "INSERT INTO erasures (user_id, reason, actor, started_at, steps_done, files_pending,"
    " attempts) VALUES (:user_id, :reason, :actor, :now, '', '', 0)"
    " ON CONFLICT (user_id) DO NOTHING"
).bindparams(sa.bindparam("now", type_=UtcDateTime()))


@dataclass(frozen=True)
class Progress:
    """How far one erasure has got."""

    user_id: str
    reason: str
    actor: str
    started_at: datetime
    steps_done: frozenset[str]
    files_pending: tuple[str, ...]
    attempts: int
    last_attempt_at: datetime | None
    waiting_on: str | None
    finished_at: datetime | None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None


def start(conn: sa.Connection, user_id: str, reason: str, actor: str, now: datetime) -> None:
    """Record that an erasure has begun; an erasure already begun keeps its progress."""
    conn.execute(_START, {"user_id": user_id, "reason": reason, "actor": actor, "now": now})


def progress_of(conn: sa.Connection, user_id: str) -> Progress | None:
    """The erasure of an account, if one was ever started."""
    row = conn.execute(sa.select(erasures).where(erasures.c.user_id == user_id)).first()
    return None if row is None else _progress(row)


def unfinished(conn: sa.Connection, limit: int = 1000) -> list[Progress]:
    """Erasures not yet done, the oldest first."""
    query = (
        sa.select(erasures)
        .where(erasures.c.finished_at.is_(None))
        .order_by(erasures.c.started_at, erasures.c.user_id)
        .limit(limit)
    )
    return [_progress(row) for row in conn.execute(query)]


def claim(conn: sa.Connection, user_id: str, now: datetime, lease: timedelta) -> bool:
    """Take the erasure for one attempt, unless another attempt (a request, the scheduler)
    is running it; an attempt that died lets go of it after `lease`."""
    free = sa.or_(
        erasures.c.attempt_started_at.is_(None), erasures.c.attempt_started_at < now - lease
    )
    taken = conn.execute(
        erasures.update()
        .where(erasures.c.user_id == user_id, erasures.c.finished_at.is_(None), free)
        .values(attempt_started_at=now)
    )
    return bool(taken.rowcount)


def step_done(conn: sa.Connection, progress: Progress, step: str) -> Progress:
    """Record one more step as done."""
    steps = progress.steps_done | {step}
    _update(conn, progress.user_id, steps_done=" ".join(sorted(steps)))
    return replace(progress, steps_done=frozenset(steps))


def files_to_delete(conn: sa.Connection, progress: Progress, hashes: set[str]) -> Progress:
    """Remember the files still to delete, before anything deletes them."""
    kept = tuple(sorted(hashes))
    _update(conn, progress.user_id, files_pending=" ".join(kept))
    return replace(progress, files_pending=kept)


def attempted(conn: sa.Connection, user_id: str, now: datetime, waiting_on: str | None) -> None:
    """Count an attempt, and say what the erasure still waits for (None: nothing)."""
    _update(
        conn,
        user_id,
        attempts=erasures.c.attempts + 1,
        last_attempt_at=now,
        attempt_started_at=None,
        waiting_on=None if waiting_on is None else waiting_on[:300],
    )


def finish(conn: sa.Connection, user_id: str, now: datetime) -> None:
    """Record the erasure as complete."""
    _update(conn, user_id, finished_at=now, waiting_on=None, files_pending="")


def _update(conn: sa.Connection, user_id: str, **values: Any) -> None:
    conn.execute(erasures.update().where(erasures.c.user_id == user_id).values(**values))


def _progress(row: sa.Row[Any]) -> Progress:
    return Progress(
        user_id=row.user_id,
        reason=row.reason,
        actor=row.actor,
        started_at=row.started_at,
        steps_done=frozenset(row.steps_done.split()),
        files_pending=tuple(row.files_pending.split()),
        attempts=row.attempts,
        last_attempt_at=row.last_attempt_at,
        waiting_on=row.waiting_on,
        finished_at=row.finished_at,
    )
