"""What happens to an account, as stored in the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from events_store.sealing import DomainEvent


@dataclass(frozen=True)
class AccountEvent(DomainEvent):
    """Base of the account events: every one names its user."""

    user_id: str


@dataclass(frozen=True)
class AccountOpened(AccountEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("email", "display_name")

    role: str
    agency: str | None
    email: str
    display_name: str


@dataclass(frozen=True)
class EmailVerified(AccountEvent):
    pass


@dataclass(frozen=True)
class SignUpRepeated(AccountEvent):
    """Someone signed up again with this account's address; the account's owner is told how
    to log in or choose a new password (the one typed is not kept)."""


@dataclass(frozen=True)
class PasswordSet(AccountEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("password_hash",)

    password_hash: str


@dataclass(frozen=True)
class PasswordResetRequested(AccountEvent):
    pass


@dataclass(frozen=True)
class TokenIssued(AccountEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("token_hash",)

    token_id: str
    name: str
    token_hash: str


@dataclass(frozen=True)
class ApiTokenIssued(AccountEvent):
    """A token with a scope ("read" or "full") and an end (ISO time, UTC); the older
    `TokenIssued` stands for a token of full scope that never ends."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("token_hash",)

    token_id: str
    name: str
    token_hash: str
    scope: str
    expires_at: str


@dataclass(frozen=True)
class TokenRevoked(AccountEvent):
    token_id: str


@dataclass(frozen=True)
class LoggedIn(AccountEvent):
    """The person signed in on a page; `method` says with what (e.g. "password")."""

    method: str


@dataclass(frozen=True)
class SessionsEnded(AccountEvent):
    """Every signed-in session of the account ends at once: on logout, on "log out
    everywhere", a new password or a change of second factor (`reason` says which)."""

    reason: str


@dataclass(frozen=True)
class SecondFactorEnrolled(AccountEvent):
    """The person set up an authenticator app; `recovery_digests` are the SHA-256 digests of
    their ten recovery codes, space-separated (the codes themselves are never stored)."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("totp_secret", "recovery_digests")

    totp_secret: str
    recovery_digests: str


@dataclass(frozen=True)
class TotpCodeUsed(AccountEvent):
    """A code from the app was accepted: its time step, so it is never accepted again."""

    step: int


@dataclass(frozen=True)
class RecoveryCodeUsed(AccountEvent):
    """One recovery code (its place among the ten) was used, and works no more."""

    number: int


@dataclass(frozen=True)
class SecondFactorFailed(AccountEvent):
    """After the right password, a wrong code: what an auditor looks for when a password
    may be known to someone else."""


@dataclass(frozen=True)
class ErasureNoticeSent(AccountEvent):
    """An owner inactive for long was told their data will be erased after a date."""

    erase_after: str  # ISO time, UTC


@dataclass(frozen=True)
class AccountKept(AccountEvent):
    """The owner answered a notice: keep my registration."""


@dataclass(frozen=True)
class AccountErased(AccountEvent):
    """The tombstone: the account's data key is deleted, its personal fields in past events
    are unreadable for good, and every read model forgets the person."""

    reason: str  # "owner_request" or "inactive"


EVENT_TYPES: dict[str, type[AccountEvent]] = {
    cls.type_name(): cls
    for cls in (
        AccountOpened,
        EmailVerified,
        SignUpRepeated,
        PasswordSet,
        PasswordResetRequested,
        TokenIssued,
        ApiTokenIssued,
        TokenRevoked,
        LoggedIn,
        SessionsEnded,
        SecondFactorEnrolled,
        TotpCodeUsed,
        RecoveryCodeUsed,
        SecondFactorFailed,
        ErasureNoticeSent,
        AccountKept,
        AccountErased,
    )
}
