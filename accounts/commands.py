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
    scope: str
    expires_at: str


@dataclass(frozen=True)
class RecordLogin:
    user_id: str
    method: str


@dataclass(frozen=True)
class EndSessions:
    """End every session; with `revoke_tokens`, stop every API token working too."""

    user_id: str
    reason: str
    revoke_tokens: bool


@dataclass(frozen=True)
class RevokeToken:
    user_id: str
    token_id: str


@dataclass(frozen=True)
class EnrolSecondFactor:
    """Set up the app whose code for time step `step` the person just typed."""

    user_id: str
    totp_secret: str
    recovery_digests: str
    step: int


@dataclass(frozen=True)
class UseTotpCode:
    user_id: str
    step: int


@dataclass(frozen=True)
class UseRecoveryCode:
    user_id: str
    number: int


@dataclass(frozen=True)
class RecordFailedCode:
    user_id: str


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
    | RecordLogin
    | EndSessions
    | EnrolSecondFactor
    | UseTotpCode
    | UseRecoveryCode
    | RecordFailedCode
    | SendErasureNotice
    | KeepAccount
    | EraseAccount
)
