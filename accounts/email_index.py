"""Which account an email address belongs to: one row per address in `account_emails`.

An account's id is random, so nothing in the log is derived from its email. To find the
account of an address, its key (a keyed pseudonym of the normalized address, never the
address) is looked up here. A sign-up claims the key before it appends the account, and the
key is unique, so two sign-ups for one address end with one account. Erasure deletes the
row: the address is then free, and nothing left anywhere tells that it was ever registered.

This table is not a projection: it is not rebuilt from the log (which holds the address only
sealed, and after an erasure not at all), and rebuilding the accounts' read model leaves it
as it is. A claim whose account was never appended (its request crashed in between) is
taken over by the next sign-up once it is older than `CLAIM_GRACE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from events_store.database import UtcDateTime
from events_store.vault import KeyVault

from .decider import normalize_email

PSEUDONYM_PURPOSE = "account-email"
# Long enough for a sign-up under way to append its account, short enough that an address
# whose sign-up crashed can be used again within the minute.
CLAIM_GRACE = timedelta(seconds=60)

account_emails = sa.Table(
    "account_emails",
    sa.MetaData(),
    sa.Column("email_key", sa.String(64), primary_key=True),
    sa.Column("user_id", sa.String(64), nullable=False, index=True),
    sa.Column("created_at", UtcDateTime(), nullable=False),
)


@dataclass(frozen=True)
class Claim:
    """The account an address is claimed for, and since when."""

    user_id: str
    claimed_at: datetime


class EmailIndex:
    """Claims, finds and releases addresses by their keyed pseudonym."""

    def __init__(self, engine: sa.Engine, vault: KeyVault) -> None:
        self._engine = engine
        self._vault = vault

    def key_of(self, email: str) -> str:
        """The address's key: it cannot be turned back into the address without the master
        key, and it is stored only while the account exists."""
        return self._vault.pseudonym(PSEUDONYM_PURPOSE, normalize_email(email))

    def find(self, email: str) -> Claim | None:
        """The claim on an address, if any."""
        query = sa.select(account_emails.c.user_id, account_emails.c.created_at).where(
            account_emails.c.email_key == self.key_of(email)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(query).first()
        return Claim(row.user_id, row.created_at) if row is not None else None

    def claim(self, email: str, user_id: str) -> bool:
        """Claim a free address for a new account; False when someone holds it already."""
        row = {"email_key": self.key_of(email), "user_id": user_id, "created_at": _now()}
        try:
            with self._engine.begin() as conn:
                conn.execute(account_emails.insert().values(row))
        except sa.exc.IntegrityError:
            return False
        return True

    def take_over(self, email: str, stale: Claim, user_id: str) -> bool:
        """Move a claim whose account never came (or is erased) to a new account; False
        when another sign-up took it over first."""
        query = (
            account_emails.update()
            .where(
                account_emails.c.email_key == self.key_of(email),
                account_emails.c.user_id == stale.user_id,
            )
            .values(user_id=user_id, created_at=_now())
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(query).rowcount == 1)

    def release(self, user_id: str) -> None:
        """Forget the address of an account (found by its id, so that an erasure tried again
        after a crash, when the address is unreadable, still finds it)."""
        with self._engine.begin() as conn:
            conn.execute(account_emails.delete().where(account_emails.c.user_id == user_id))

    @staticmethod
    def is_stale(claim: Claim, now: datetime | None = None) -> bool:
        """Whether a claim is old enough that its sign-up can no longer be under way."""
        return claim.claimed_at < (now or _now()) - CLAIM_GRACE


def _now() -> datetime:
    return datetime.now(UTC)
