"""The accounts' read model: users (for login and display) and their API tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.sealing import domain_events
from events_store.vault import KeyVault

from . import events as e

metadata = sa.MetaData()

users = sa.Table(
    "accounts_users",
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(80)),
    sa.Column("email", sa.String(254)),
    sa.Column("display_name", sa.String(80)),
    sa.Column("password_hash", sa.Text),
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("erase_after", UtcDateTime()),  # set by a notice to an inactive owner
)

tokens = sa.Table(
    "accounts_tokens",
    metadata,
    sa.Column("token_id", sa.String(32), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False),
    sa.Column("name", sa.String(60), nullable=False),
    sa.Column("token_hash", sa.String(64)),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("revoked_at", UtcDateTime()),
)


class AccountsProjection:
    """Keeps `accounts_users` and `accounts_tokens` up to date."""

    name = "accounts"
    event_types = frozenset(e.EVENT_TYPES)

    def __init__(self, vault: KeyVault) -> None:
        self._vault = vault

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply the account events of a batch; other events pass by."""
        for event, recorded in domain_events(events, e.EVENT_TYPES, self._vault):
            self._apply(conn, event, recorded)

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read model before a rebuild."""
        conn.execute(tokens.delete())
        conn.execute(users.delete())

    def _apply(self, conn: sa.Connection, event: e.AccountEvent, recorded: RecordedEvent) -> None:
        at = recorded.recorded_at
        mine = users.c.user_id == event.user_id
        if isinstance(event, e.AccountOpened):
            conn.execute(
                users.insert().values(
                    user_id=event.user_id,
                    role=event.role,
                    agency=event.agency,
                    email=event.email,
                    display_name=event.display_name,
                    password_hash=None,
                    verified=False,
                    created_at=at,
                    updated_at=at,
                )
            )
        elif isinstance(event, e.EmailVerified):
            conn.execute(users.update().where(mine).values(verified=True, updated_at=at))
        elif isinstance(event, e.PasswordSet):
            conn.execute(
                users.update().where(mine).values(password_hash=event.password_hash, updated_at=at)
            )
        elif isinstance(event, e.TokenIssued):
            conn.execute(
                tokens.insert().values(
                    token_id=event.token_id,
                    user_id=event.user_id,
                    name=event.name,
                    token_hash=event.token_hash,
                    created_at=at,
                )
            )
        elif isinstance(event, e.TokenRevoked):
            conn.execute(
                tokens.update().where(tokens.c.token_id == event.token_id).values(revoked_at=at)
            )
        elif isinstance(event, e.ErasureNoticeSent):  # not activity: updated_at stays
            when = datetime.fromisoformat(event.erase_after)
            conn.execute(users.update().where(mine).values(erase_after=when))
        elif isinstance(event, e.AccountKept):
            conn.execute(users.update().where(mine).values(erase_after=None, updated_at=at))
        elif isinstance(event, e.AccountErased):
            conn.execute(tokens.delete().where(tokens.c.user_id == event.user_id))
            conn.execute(users.delete().where(mine))
