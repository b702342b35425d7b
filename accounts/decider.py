"""The accounts' rules, as pure functions: decide(command, state) and evolve(state, event)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import commands as c
from . import events as e
from .errors import AccountExists, AccountNotFound, CodeRefused, InvalidAccount, InvalidLink

CODE_USED = "This code was used already. Wait for your app to show the next one."
RECOVERY_USED = "This recovery code was used already; each works once. Use another one."

ROLES = ("owner", "investigator", "supervisor", "auditor", "admin")
STAFF_ROLES = ROLES[1:]
MAX_EMAIL = 254
MAX_NAME = 80
MAX_TOKEN_NAME = 60
MAX_ACTIVE_TOKENS = 20
TOKEN_SCOPES = ("read", "full")
LOGIN_METHODS = ("password", "password+totp", "password+recovery_code")
SESSION_END_REASONS = ("logout", "logout_everywhere", "password_changed", "second_factor_changed")
ERASURE_REASONS = ("owner_request", "inactive")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s.]{2,}$")


@dataclass(frozen=True)
class AccountState:
    """What the rules need to know of an account."""

    exists: bool = False
    role: str | None = None
    verified: bool = False
    tokens: frozenset[str] = field(default_factory=frozenset)
    erased: bool = False
    second_factor: bool = False
    last_step: int = -1  # the latest time step whose code was accepted
    used_recovery: frozenset[int] = field(default_factory=frozenset)


def normalize_email(email: str) -> str:
    """The form under which an address is unique: trimmed and lower case."""
    return email.strip().lower()


def email_errors(email: object) -> list[str]:
    """What is wrong with an email address, if anything."""
    if not isinstance(email, str) or not email.strip():
        return ["Enter your email address."]
    if len(email) > MAX_EMAIL or not _EMAIL.match(email.strip()):
        return ["Enter an email address like name@example.org."]
    return []


def decide(command: c.AccountCommand, state: AccountState) -> list[e.AccountEvent]:
    """The events a command causes, or a typed refusal."""
    if isinstance(command, c.OpenAccount):
        return _open(command, state)
    if isinstance(command, c.EraseAccount):
        if state.erased:
            return []  # erasing twice changes nothing
        if not state.exists:
            raise AccountNotFound("There is no such account.")
        if command.reason not in ERASURE_REASONS:
            raise ValueError(f"reason must be one of {ERASURE_REASONS}")
        return [e.AccountErased(command.user_id, command.reason)]
    if not state.exists or state.erased:
        raise AccountNotFound("There is no such account.")
    if isinstance(command, c.RepeatSignUp):
        return [e.SignUpRepeated(command.user_id)]
    if isinstance(command, c.VerifyEmail):
        if state.verified:
            raise InvalidLink()
        return [e.EmailVerified(command.user_id)]
    if isinstance(command, c.SetPassword):
        return [e.PasswordSet(command.user_id, command.password_hash)]
    if isinstance(command, c.RequestPasswordReset):
        return [e.PasswordResetRequested(command.user_id)]
    if isinstance(command, c.IssueToken):
        return _issue(command, state)
    if isinstance(command, c.SendErasureNotice):
        return [e.ErasureNoticeSent(command.user_id, command.erase_after)]
    if isinstance(command, c.KeepAccount):
        return [e.AccountKept(command.user_id)]
    if isinstance(command, c.RecordLogin):
        if command.method not in LOGIN_METHODS:
            raise ValueError(f"method must be one of {LOGIN_METHODS}")
        return [e.LoggedIn(command.user_id, command.method)]
    if isinstance(command, c.EndSessions):
        return _end_sessions(command, state)
    if isinstance(command, c.RecordFailedCode):
        return [e.SecondFactorFailed(command.user_id)]
    if isinstance(command, c.EnrolSecondFactor | c.UseTotpCode | c.UseRecoveryCode):
        return _second_factor(command, state)
    if command.token_id not in state.tokens:
        raise AccountNotFound("There is no such token among yours.")
    return [e.TokenRevoked(command.user_id, command.token_id)]


def evolve(state: AccountState, event: e.AccountEvent) -> AccountState:
    """The account after an event."""
    if isinstance(event, e.AccountOpened):
        return AccountState(exists=True, role=event.role)
    if isinstance(event, e.EmailVerified):
        return replace(state, verified=True)
    if isinstance(event, e.TokenIssued | e.ApiTokenIssued):
        return replace(state, tokens=state.tokens | {event.token_id})
    if isinstance(event, e.TokenRevoked):
        return replace(state, tokens=state.tokens - {event.token_id})
    if isinstance(event, e.SecondFactorEnrolled):
        return replace(state, second_factor=True, used_recovery=frozenset())
    if isinstance(event, e.TotpCodeUsed):
        return replace(state, last_step=max(state.last_step, event.step))
    if isinstance(event, e.RecoveryCodeUsed):
        return replace(state, used_recovery=state.used_recovery | {event.number})
    if isinstance(event, e.AccountErased):
        return AccountState(exists=False, role=state.role, erased=True)
    return state


def _second_factor(
    command: c.EnrolSecondFactor | c.UseTotpCode | c.UseRecoveryCode, state: AccountState
) -> list[e.AccountEvent]:
    """Enrolment once; each app code's time step and each recovery code used once only, so a
    code seen over someone's shoulder, or sent twice at once, works for one login at most."""
    if isinstance(command, c.EnrolSecondFactor):
        if state.second_factor:
            raise CodeRefused("A second factor is set up for this account already.")
        ended = _end_sessions(
            c.EndSessions(command.user_id, "second_factor_changed", revoke_tokens=True), state
        )
        return [
            e.SecondFactorEnrolled(command.user_id, command.totp_secret, command.recovery_digests),
            e.TotpCodeUsed(command.user_id, command.step),
            *ended,
        ]
    if not state.second_factor:
        raise CodeRefused("This account has no second factor set up.")
    if isinstance(command, c.UseTotpCode):
        if command.step <= state.last_step:
            raise CodeRefused(CODE_USED)
        return [e.TotpCodeUsed(command.user_id, command.step)]
    if command.number in state.used_recovery:
        raise CodeRefused(RECOVERY_USED)
    return [e.RecoveryCodeUsed(command.user_id, command.number)]


def _open(command: c.OpenAccount, state: AccountState) -> list[e.AccountEvent]:
    errors: dict[str, list[str]] = {}
    if problems := email_errors(command.email):
        errors["email"] = problems
    name = (command.display_name or "").strip()
    if not name or len(name) > MAX_NAME:
        errors["display_name"] = [f"Enter a name of 1 to {MAX_NAME} characters."]
    if command.role not in ROLES:
        errors["role"] = [f"Choose one of: {', '.join(ROLES)}."]
    elif command.role in STAFF_ROLES and not (command.agency or "").strip():
        errors["agency"] = ["Staff accounts belong to an agency: name it."]
    elif command.agency is not None and len(command.agency) > MAX_NAME:
        errors["agency"] = [f"Use at most {MAX_NAME} characters."]
    if errors:
        raise InvalidAccount(errors)
    if state.exists or state.erased:  # ids are random and new: this is never someone else
        raise AccountExists("An account with this email address exists already.")
    return [
        e.AccountOpened(
            command.user_id,
            command.role,
            (command.agency or "").strip() or None,
            normalize_email(command.email),
            name,
        )
    ]


def _issue(command: c.IssueToken, state: AccountState) -> list[e.AccountEvent]:
    name = (command.name or "").strip()
    if not name or len(name) > MAX_TOKEN_NAME:
        raise InvalidAccount({"name": [f"Name the token in 1 to {MAX_TOKEN_NAME} characters."]})
    if len(state.tokens) >= MAX_ACTIVE_TOKENS:
        raise InvalidAccount(
            {"name": [f"You have {MAX_ACTIVE_TOKENS} tokens; revoke one to make another."]}
        )
    if command.scope not in TOKEN_SCOPES:
        raise InvalidAccount({"scope": [f"Choose one of: {', '.join(TOKEN_SCOPES)}."]})
    return [
        e.ApiTokenIssued(
            command.user_id,
            command.token_id,
            name,
            command.token_hash,
            command.scope,
            command.expires_at,
        )
    ]


def _end_sessions(command: c.EndSessions, state: AccountState) -> list[e.AccountEvent]:
    if command.reason not in SESSION_END_REASONS:
        raise ValueError(f"reason must be one of {SESSION_END_REASONS}")
    ended: list[e.AccountEvent] = [e.SessionsEnded(command.user_id, command.reason)]
    if command.revoke_tokens:
        ended += [e.TokenRevoked(command.user_id, token) for token in sorted(state.tokens)]
    return ended
