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
class TokenRevoked(AccountEvent):
    token_id: str


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
        TokenRevoked,
        ErasureNoticeSent,
        AccountKept,
        AccountErased,
    )
}
