"""The accounts' rules, as pure functions: decide(command, state) and evolve(state, event)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import commands as c
from . import events as e
from .errors import AccountExists, AccountNotFound, InvalidAccount, InvalidLink

ROLES = ("owner", "investigator", "supervisor", "auditor", "admin")
STAFF_ROLES = ROLES[1:]
MAX_EMAIL = 254
MAX_NAME = 80
MAX_TOKEN_NAME = 60
MAX_ACTIVE_TOKENS = 20
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
    if command.token_id not in state.tokens:
        raise AccountNotFound("There is no such token among yours.")
    return [e.TokenRevoked(command.user_id, command.token_id)]


def evolve(state: AccountState, event: e.AccountEvent) -> AccountState:
    """The account after an event."""
    if isinstance(event, e.AccountOpened):
        return AccountState(exists=True, role=event.role)
    if isinstance(event, e.EmailVerified):
        return replace(state, verified=True)
    if isinstance(event, e.TokenIssued):
        return replace(state, tokens=state.tokens | {event.token_id})
    if isinstance(event, e.TokenRevoked):
        return replace(state, tokens=state.tokens - {event.token_id})
    if isinstance(event, e.AccountErased):
        return AccountState(exists=False, role=state.role, erased=True)
    return state


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
    return [e.TokenIssued(command.user_id, command.token_id, name, command.token_hash)]
