"""Signed-in sessions, kept on the server so that each one can be ended at once.

The browser's cookie holds only a random secret; its hash names a row of `account_sessions`.
A session counts while its row exists, its epoch is the account's current session epoch (a
`SessionsEnded` event raises that epoch: every older session is over, even if deleting its
row failed), it was used within the idle limit and began within the absolute limit. The
table is mutable and not a projection: nothing rebuilds it, and losing it only signs people
out.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from events_store.database import UtcDateTime

from .projection import users

# A session's last use is written at most this often, so a page view is rarely a write.
TOUCH_EVERY = timedelta(seconds=60)

sessions = sa.Table(
    "account_sessions",
    sa.MetaData(),
    sa.Column("session_key", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("epoch", sa.Integer, nullable=False),
    sa.Column("started_at", UtcDateTime(), nullable=False),
    sa.Column("seen_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class SessionLimits:
    """How long a session may sit unused, and how long it may last at all."""

    idle: timedelta
    absolute: timedelta

    @classmethod
    def from_settings(cls, config: Mapping[str, Any]) -> SessionLimits:
        """The limits the settings give (checked when the app was built)."""
        return cls(
            timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])),
            timedelta(hours=int(config["SESSION_MAX_HOURS"])),
        )


@dataclass(frozen=True)
class SessionCheck:
    """The account a session belongs to, or why it no longer counts ("idle", "expired",
    "ended")."""

    user_id: str | None
    ended_because: str | None = None


class SessionStore:
    """Starts, checks and ends the sessions of `account_sessions`."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def start(self, user_id: str, now: datetime) -> str:
        """A new session for the account at its current epoch; its secret goes in the cookie."""
        secret = secrets.token_urlsafe(32)
        with self._engine.begin() as conn:
            epoch = conn.execute(
                sa.select(users.c.session_epoch).where(users.c.user_id == user_id)
            ).scalar()
            conn.execute(
                sessions.insert().values(
                    session_key=_key(secret),
                    user_id=user_id,
                    epoch=epoch or 0,
                    started_at=now,
                    seen_at=now,
                )
            )
        return secret

    def check(self, secret: str, now: datetime, limits: SessionLimits) -> SessionCheck:
        """Whose session this is, if it still counts; a session that is over is deleted."""
        query = (
            sa.select(sessions, users.c.session_epoch)
            .join(users, users.c.user_id == sessions.c.user_id)
            .where(sessions.c.session_key == _key(secret))
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return SessionCheck(None, "ended")
        ended = _why_over(row, now, limits)
        if ended is not None:
            self.end(secret)
            return SessionCheck(None, ended)
        if now - row.seen_at >= TOUCH_EVERY:
            with self._engine.begin() as conn:
                conn.execute(
                    sessions.update()
                    .where(sessions.c.session_key == row.session_key)
                    .values(seen_at=now)
                )
        return SessionCheck(row.user_id)

    def end(self, secret: str) -> None:
        """End one session (its cookie no longer signs anyone in)."""
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.session_key == _key(secret)))

    def end_all(self, user_id: str) -> None:
        """Delete every session row of the account (the epoch has ended them already)."""
        with self._engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.user_id == user_id))


def _why_over(row: Any, now: datetime, limits: SessionLimits) -> str | None:
    if row.epoch != row.session_epoch:
        return "ended"
    if now - row.started_at >= limits.absolute:
        return "expired"
    if now - row.seen_at >= limits.idle:
        return "idle"
    return None


def _key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
