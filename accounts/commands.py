"""What people ask of their accounts, and what admins ask for staff."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpenAccount:
    user_id: str
    role: str
    agency: str | None
    email: str
    display_name: str


@dataclass(frozen=True)
class RepeatSignUp:
    user_id: str


@dataclass(frozen=True)
class VerifyEmail:
    user_id: str


@dataclass(frozen=True)
class SetPassword:
    user_id: str
    password_hash: str


@dataclass(frozen=True)
class RequestPasswordReset:
    user_id: str


@dataclass(frozen=True)
class IssueToken:
    user_id: str
    token_id: str
    name: str
    token_hash: str


@dataclass(frozen=True)
class RevokeToken:
    user_id: str
    token_id: str


@dataclass(frozen=True)
class SendErasureNotice:
    user_id: str
    erase_after: str


@dataclass(frozen=True)
class KeepAccount:
    user_id: str


@dataclass(frozen=True)
class EraseAccount:
    user_id: str
    reason: str


AccountCommand = (
    OpenAccount
    | RepeatSignUp
    | VerifyEmail
    | SetPassword
    | RequestPasswordReset
    | IssueToken
    | RevokeToken
    | SendErasureNotice
    | KeepAccount
    | EraseAccount
)
