"""Failed logins counted per account and per address, in fixed windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from events_store.database import UtcDateTime

from .errors import TooManyAttempts

failures = sa.Table(
    "login_failures",
    sa.MetaData(),
    sa.Column("key", sa.String(80), primary_key=True),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("failures", sa.Integer, nullable=False),
)


class LoginLimiter:
    """Refuses logins for a while once a key has failed `limit` times in `window`."""

    def __init__(self, engine: sa.Engine, limit: int, window: timedelta) -> None:
        self._engine = engine
        self.limit = limit
        self.window = window

    def check(self, key: str) -> None:
        """Raise `TooManyAttempts` while the key is locked out."""
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(sa.select(failures).where(failures.c.key == key)).first()
        if row is None:
            return
        started = row.window_start
        ends = started + self.window
        now = datetime.now(UTC)
        if row.failures >= self.limit and now < ends:
            raise TooManyAttempts(int((ends - now).total_seconds()) + 1)

    def failed(self, key: str) -> None:
        """Count one failure, starting a new window when the last one is over."""
        now = datetime.now(UTC)
        with self._engine.begin() as conn:
            row = conn.execute(sa.select(failures).where(failures.c.key == key)).first()
            if row is None:
                conn.execute(failures.insert().values(key=key, window_start=now, failures=1))
            elif now - row.window_start >= self.window:
                conn.execute(
                    failures.update()
                    .where(failures.c.key == key)
                    .values(window_start=now, failures=1)
                )
            else:
                conn.execute(
                    failures.update()
                    .where(failures.c.key == key)
                    .values(failures=failures.c.failures + 1)
                )

    def succeeded(self, key: str) -> None:
        """Forget the key's failures."""
        with self._engine.begin() as conn:
            conn.execute(failures.delete().where(failures.c.key == key))
