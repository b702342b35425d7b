"""The log's identity (origin, key name, key), fixed at its first signature for good.

Checking the log must never depend on the settings of the day: a new public address must
not make an intact log look tampered with, nor start a second name for the same log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from events_store.database import UtcDateTime, reading, writing

from .checkpoints import verifier_key

metadata = sa.MetaData()

log_identity = sa.Table(
    "log_identity",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),  # always 1
    sa.Column("origin", sa.Text(), nullable=False),
    sa.Column("key_name", sa.Text(), nullable=False),
    sa.Column("verifier_key", sa.Text(), nullable=True),
    sa.Column("fixed_at", UtcDateTime(), nullable=False),
)


class LogIdentityError(RuntimeError):
    """The settings disagree with the identity the log was first signed under."""


@dataclass(frozen=True, slots=True)
class LogIdentity:
    """The name the log is known by, and the key that signs it, since `fixed_at`."""

    origin: str
    key_name: str
    verifier_key: str | None  # None only for a log signed before identities were kept
    fixed_at: datetime


class LogIdentities:
    """The one stored identity of the log, written once by the first signature."""

    def __init__(self, db: sa.Engine | sa.Connection) -> None:
        self._db = db

    def stored(self) -> LogIdentity | None:
        """The identity fixed so far, if the log has been signed."""
        with reading(self._db) as conn:
            row = conn.execute(sa.select(log_identity).where(log_identity.c.id == 1)).first()
        if row is None:
            return None
        return LogIdentity(row.origin, row.key_name, row.verifier_key, row.fixed_at)

    def fix(
        self, origin: str, key_name: str, public_key: Ed25519PublicKey, now: datetime
    ) -> LogIdentity:
        """The stored identity; the first caller's becomes it (two signers racing agree on
        one), and a log kept from before identities gets its key recorded now."""
        row = {
            "origin": origin,
            "key_name": key_name,
            "verifier_key": verifier_key(key_name, public_key),
            "fixed_at": now.astimezone(UTC),
        }
        with writing(self._db) as conn:
            conn.execute(_INSERT, row)
            identity = self.stored_in(conn)
            if identity.verifier_key is None:
                text = verifier_key(identity.key_name, public_key)
                conn.execute(_RECORD_KEY, {"verifier_key": text})
                identity = self.stored_in(conn)
        return identity

    @staticmethod
    def stored_in(conn: sa.Connection) -> LogIdentity:
        """The identity, read inside a transaction that has written it."""
        row = conn.execute(sa.select(log_identity).where(log_identity.c.id == 1)).one()
        return LogIdentity(row.origin, row.key_name, row.verifier_key, row.fixed_at)


def disagreement(
    identity: LogIdentity, configured_origin: str | None, public_key: Ed25519PublicKey
) -> str | None:
    """What in the settings contradicts the stored identity, in words for the operator; None
    when they agree. An origin derived from the public address never contradicts it."""
    since = f"{identity.fixed_at:%Y-%m-%d}"
    if configured_origin is not None and configured_origin != identity.origin:
        return (
            f"CANVASS_CHECKPOINT_ORIGIN is {configured_origin!r}, but this log was first signed "
            f"as {identity.origin!r} on {since} and its checkpoints keep that name: set "
            f"CANVASS_CHECKPOINT_ORIGIN to {identity.origin!r}, or unset it."
        )
    if identity.verifier_key not in (None, verifier_key(identity.key_name, public_key)):
        return (
            f"the checkpoint key (CANVASS_CHECKPOINT_KEY_FILE) is not the key that has signed "
            f"this log since {since}: put that key file back, or checkpoints signed now would "
            "not verify with the public key auditors keep."
        )
    return None


_INSERT = sa.text(
    "INSERT INTO log_identity (id, origin, key_name, verifier_key, fixed_at)"
    " VALUES (1, :origin, :key_name, :verifier_key, :fixed_at) ON CONFLICT (id) DO NOTHING"
).bindparams(sa.bindparam("fixed_at", type_=UtcDateTime()))
_RECORD_KEY = sa.text(
    "UPDATE log_identity SET verifier_key = :verifier_key WHERE id = 1 AND verifier_key IS NULL"
)
