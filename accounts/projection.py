"""The accounts' read model: users (for login and display) and their API tokens.

A user's email, name, password hash and second factor (TOTP secret, digests of the recovery
codes) are sealed together for them in one `private`
column (row id = user id), so deleting their key erases every copy, live or dead; role,
agency, verification and times stay in clear for authorization and retention.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.errors import SubjectErasedError
from events_store.sealing import domain_events, open_row, seal_row
from events_store.vault import KeyVault

from . import events as e

metadata = sa.MetaData()
TABLE = "accounts_users"

users = sa.Table(
    TABLE,
    metadata,
    sa.Column("user_id", sa.String(64), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("agency", sa.String(80)),
    sa.Column("private", sa.Text),  # sealed: email, display_name, password_hash
    sa.Column("verified", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Column("erase_after", UtcDateTime()),  # set by a notice to an inactive owner
    # raised by every SessionsEnded: sessions begun at an older epoch no longer count
    sa.Column("session_epoch", sa.Integer, nullable=False, server_default="0"),
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
    sa.Column("scope", sa.String(8), nullable=False, server_default="full"),
    sa.Column("expires_at", UtcDateTime()),  # None: a token made before tokens expired
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
            opened = {"email": event.email, "display_name": event.display_name}
            conn.execute(
                users.insert().values(
                    user_id=event.user_id,
                    role=event.role,
                    agency=event.agency,
                    private=self._seal(event.user_id, opened | {"password_hash": None}),
                    verified=False,
                    created_at=at,
                    updated_at=at,
                )
            )
        elif isinstance(event, e.EmailVerified):
            conn.execute(users.update().where(mine).values(verified=True, updated_at=at))
        elif isinstance(event, e.PasswordSet):
            self._reseal(conn, event.user_id, at, {"password_hash": event.password_hash})
        elif isinstance(event, e.SecondFactorEnrolled):
            changed = {"totp_secret": event.totp_secret, "recovery_digests": event.recovery_digests}
            self._reseal(conn, event.user_id, at, changed)
        elif isinstance(event, e.TokenIssued | e.ApiTokenIssued):
            terms: dict[str, Any] = {}
            if isinstance(event, e.ApiTokenIssued):
                terms = {
                    "scope": event.scope,
                    "expires_at": datetime.fromisoformat(event.expires_at),
                }
            conn.execute(
                tokens.insert().values(
                    token_id=event.token_id,
                    user_id=event.user_id,
                    name=event.name,
                    token_hash=event.token_hash,
                    created_at=at,
                    **terms,
                )
            )
        elif isinstance(event, e.TokenRevoked):
            conn.execute(
                tokens.update().where(tokens.c.token_id == event.token_id).values(revoked_at=at)
            )
        elif isinstance(event, e.SessionsEnded):
            epoch = users.c.session_epoch + 1
            conn.execute(users.update().where(mine).values(session_epoch=epoch))
        elif isinstance(event, e.ErasureNoticeSent):  # not activity: updated_at stays
            when = datetime.fromisoformat(event.erase_after)
            conn.execute(users.update().where(mine).values(erase_after=when))
        elif isinstance(event, e.AccountKept):
            conn.execute(users.update().where(mine).values(erase_after=None, updated_at=at))
        elif isinstance(event, e.AccountErased):
            conn.execute(tokens.delete().where(tokens.c.user_id == event.user_id))
            conn.execute(users.delete().where(mine))

    def _reseal(
        self, conn: sa.Connection, user_id: str, at: datetime, changed: dict[str, Any]
    ) -> None:
        """Change some of the account's sealed fields (none, once they are erased)."""
        mine = users.c.user_id == user_id
        sealed = conn.execute(sa.select(users.c.private).where(mine)).scalar()
        personal = open_row(self._vault, sealed, TABLE, user_id)
        changes: dict[str, Any] = {"updated_at": at}
        if personal is not None and all(value is not None for value in changed.values()):
            changes["private"] = self._seal(user_id, personal | changed)
        conn.execute(users.update().where(mine).values(**changes))

    def _seal(self, user_id: str, personal: dict[str, Any]) -> str | None:
        """The personal columns sealed for the user; None when their fields are already
        erased (a rebuild after the erasure reads them as None) or their key is forgotten."""
        if personal.get("email") is None:
            return None
        try:
            return seal_row(self._vault, user_id, TABLE, user_id, personal)
        except SubjectErasedError:
            return None
