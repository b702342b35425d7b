"""Reading accounts: the clear columns of `accounts_users` with the sealed ones opened.

The email, name, password hash and second factor of an account are sealed for its user; only these
functions open them, so that the rest of the service never reads a personal column.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from events_store.sealing import open_row
from events_store.vault import KeyVault

from .projection import TABLE, users


@dataclass(frozen=True)
class Account:
    """An account as the service needs it; the personal fields are None once erased."""

    user_id: str
    role: str
    agency: str | None
    verified: bool
    email: str | None
    display_name: str | None
    password_hash: str | None
    created_at: datetime
    updated_at: datetime
    erase_after: datetime | None
    totp_secret: str | None = None
    recovery_digests: str | None = None


def account(engine: sa.Engine, vault: KeyVault, user_id: str) -> Account | None:
    """The account with this id, its personal fields opened."""
    found = accounts(engine, vault, [user_id])
    return found.get(user_id)


def accounts(engine: sa.Engine, vault: KeyVault, user_ids: Iterable[str]) -> dict[str, Account]:
    """The accounts with these ids (those that exist), by id, in one query."""
    wanted = list(dict.fromkeys(user_ids))
    if not wanted:
        return {}
    query = sa.select(users).where(users.c.user_id.in_(wanted))
    with engine.connect().execution_options(read_only=True) as conn:
        return {row.user_id: _opened(vault, row) for row in conn.execute(query)}


def email_of(engine: sa.Engine, vault: KeyVault, user_id: str) -> str | None:
    """The address of an account, confirmed or not; None without one."""
    found = account(engine, vault, user_id)
    return found.email if found is not None else None


def verified_email(engine: sa.Engine, vault: KeyVault, user_id: str) -> str | None:
    """Where the service may write to a person: a confirmed address, or None."""
    return verified_emails(engine, vault, [user_id]).get(user_id)


def verified_emails(engine: sa.Engine, vault: KeyVault, user_ids: Iterable[str]) -> dict[str, str]:
    """The confirmed addresses of these accounts, by id; the others are left out."""
    return {
        user_id: found.email
        for user_id, found in accounts(engine, vault, user_ids).items()
        if found.verified and found.email
    }


def _opened(vault: KeyVault, row: Any) -> Account:
    personal = open_row(vault, row.private, TABLE, row.user_id) or {}
    return Account(
        row.user_id,
        row.role,
        row.agency,
        bool(row.verified),
        personal.get("email"),
        personal.get("display_name"),
        personal.get("password_hash"),
        row.created_at,
        row.updated_at,
        row.erase_after,
        personal.get("totp_secret"),
        personal.get("recovery_digests"),
    )
