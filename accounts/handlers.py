"""Carry out account actions: sign-up, confirmation, passwords, logins and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from events_store import EventStore
from events_store.handling import StreamModel, handle
from events_store.outbox import OutgoingMessage
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault

from . import commands as c
from . import emails
from .decider import AccountState, decide, email_errors, evolve, normalize_email
from .errors import AccountExists, InvalidAccount, InvalidLink, LoginFailed, NotVerified
from .events import EVENT_TYPES
from .links import KEEP_ACCOUNT, SET_PASSWORD, VERIFY_EMAIL, Links
from .passwords import hash_password, password_errors, verify_password
from .projection import tokens, users
from .ratelimit import LoginLimiter

TOKEN_PREFIX = "cvs"
ACCOUNT = StreamModel(EVENT_TYPES, AccountState(), evolve)


@dataclass(frozen=True)
class User:
    """Who is acting: enough to authorize, nothing more."""

    user_id: str
    role: str
    agency: str | None
    display_name: str | None
    email: str | None


@dataclass(frozen=True)
class IssuedToken:
    """A new API token: the secret is shown once and never stored."""

    token_id: str
    name: str
    secret: str


class AccountService:
    """The write side of accounts, and the checks that identify a user."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        links: Links,
        public_url: str,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._links = links
        self.public_url = public_url.rstrip("/")  # where links in emails point
        self.per_account = LoginLimiter(engine, limit=5, window=timedelta(minutes=15))
        self.per_address = LoginLimiter(engine, limit=30, window=timedelta(minutes=15))

    def user_id_for(self, email: str) -> str:
        """One account per address: the id is a keyed pseudonym of the normalized address."""
        return "u" + self._vault.pseudonym("account-email", normalize_email(email))[:24]

    # --- sign-up and staff ------------------------------------------------------------

    def sign_up(self, email: str, password: str, display_name: str) -> None:
        """Open an owner account and email a confirmation link.

        An address that has an account already is answered the same way, so sign-up does
        not reveal who is registered.
        """
        errors: dict[str, list[str]] = {}
        if problems := password_errors(password):
            errors["password"] = problems
        user_id = self.user_id_for(email) if not email_errors(email) else "u-invalid"
        opened = c.OpenAccount(user_id, "owner", None, email, display_name)
        try:
            self._validate(opened, errors)
            link = self._link(VERIFY_EMAIL, user_id, "unverified", "/verify-email")
            message = emails.confirm_address(normalize_email(email), display_name, link)
            self._execute(
                user_id,
                [opened, c.SetPassword(user_id, hash_password(password))],
                [OutgoingMessage(message.recipient, message.subject, message.body, user_id)],
            )
        except AccountExists:
            return

    def create_staff(self, email: str, display_name: str, role: str, agency: str) -> str:
        """Open a staff account; the person sets a password through an emailed link."""
        user_id = self.user_id_for(email) if not email_errors(email) else "u-invalid"
        opened = c.OpenAccount(user_id, role, agency, email, display_name)
        self._validate(opened, {})
        link = self._link(SET_PASSWORD, user_id, "", "/set-password")
        message = emails.welcome_staff(normalize_email(email), display_name, role, agency, link)
        self._execute(
            user_id,
            [opened],
            [OutgoingMessage(message.recipient, message.subject, message.body, user_id)],
        )
        return user_id

    # --- links --------------------------------------------------------------------------

    def verify_email(self, token: str) -> None:
        """Confirm an address with the emailed link (once)."""
        claim = self._links.read(VERIFY_EMAIL, token)
        account = self._row(claim.user_id)
        if account is None or account.verified or not claim.still_matches("unverified"):
            raise InvalidLink()
        self._execute(claim.user_id, [c.VerifyEmail(claim.user_id)])

    def request_password_reset(self, email: str) -> None:
        """Email a link to choose a new password, if the address has an account."""
        if email_errors(email):
            raise InvalidAccount({"email": email_errors(email)})
        user_id = self.user_id_for(email)
        account = self._row(user_id)
        if account is None:
            return  # answered like success, so nobody learns who has an account
        link = self._link(SET_PASSWORD, user_id, account.password_hash or "", "/set-password")
        message = emails.reset_password(account.email, account.display_name, link)
        self._execute(
            user_id,
            [c.RequestPasswordReset(user_id)],
            [OutgoingMessage(message.recipient, message.subject, message.body, user_id)],
        )

    def set_password(self, token: str, password: str) -> None:
        """Choose a password with an emailed link (once); it also proves the address."""
        if problems := password_errors(password):
            raise InvalidAccount({"password": problems})
        claim = self._links.read(SET_PASSWORD, token)
        account = self._row(claim.user_id)
        if account is None or not claim.still_matches(account.password_hash or ""):
            raise InvalidLink()
        changes: list[Any] = [c.SetPassword(claim.user_id, hash_password(password))]
        if not account.verified:
            changes.append(c.VerifyEmail(claim.user_id))
        self._execute(claim.user_id, changes)

    def send_erasure_notice(self, user_id: str, erase_after: datetime) -> None:
        """Tell an inactive owner when their data will be erased, with a link to stay."""
        account = self._row(user_id)
        if account is None:
            return
        link = self._link(KEEP_ACCOUNT, user_id, "", "/keep-account")
        message = emails.erasure_notice(
            account.email, account.display_name, f"{erase_after:%d %B %Y}", link
        )
        self._execute(
            user_id,
            [c.SendErasureNotice(user_id, erase_after.isoformat())],
            [OutgoingMessage(message.recipient, message.subject, message.body, user_id)],
        )

    def keep(self, user_id: str) -> None:
        """The owner stays: any pending erasure notice is void."""
        self._execute(user_id, [c.KeepAccount(user_id)])

    def keep_by_link(self, token: str) -> None:
        """The owner stays, from the link in the notice."""
        claim = self._links.read(KEEP_ACCOUNT, token)
        if self._row(claim.user_id) is None:
            raise InvalidLink()
        self.keep(claim.user_id)

    # --- identifying users --------------------------------------------------------------

    def log_in(self, email: str, password: str, address: str) -> User:
        """The user whose email and password these are; rate-limited per account and address."""
        account_key = "account:" + self.user_id_for(email)
        address_key = "address:" + self._vault.pseudonym("client-address", address)[:24]
        self.per_address.check(address_key)
        self.per_account.check(account_key)
        account = self._row(self.user_id_for(email)) if not email_errors(email) else None
        if not verify_password(account.password_hash if account else None, password):
            self.per_account.failed(account_key)
            self.per_address.failed(address_key)
            raise LoginFailed()
        assert account is not None
        if not account.verified:
            raise NotVerified()
        self.per_account.succeeded(account_key)
        return _user(account)

    def user(self, user_id: str) -> User | None:
        """A verified account by id (for sessions)."""
        account = self._row(user_id)
        return _user(account) if account is not None and account.verified else None

    def issue_token(self, user: User, name: str) -> IssuedToken:
        """A new API token for the user; its secret is returned once."""
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        self._execute(user.user_id, [c.IssueToken(user.user_id, token_id, name, _digest(secret))])
        return IssuedToken(token_id, name.strip(), f"{TOKEN_PREFIX}_{token_id}_{secret}")

    def revoke_token(self, user: User, token_id: str) -> None:
        """Stop a token working at once."""
        self._execute(user.user_id, [c.RevokeToken(user.user_id, token_id)])

    def tokens_of(self, user: User) -> list[dict[str, Any]]:
        """The user's tokens (never their secrets), newest first."""
        query = (
            sa.select(tokens.c.token_id, tokens.c.name, tokens.c.created_at, tokens.c.revoked_at)
            .where(tokens.c.user_id == user.user_id)
            .order_by(tokens.c.created_at.desc())
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def erase(self, user_id: str, reason: str, actor: str) -> bool:
        """Append the account's tombstone; whether it was erased now (not before)."""
        recorded = handle(
            self._store,
            self._vault,
            f"user-{user_id}",
            ACCOUNT,
            lambda state: decide(c.EraseAccount(user_id, reason), state),
            lambda _: user_id,
            {"actor": actor},
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["accounts"])
        return bool(recorded)

    def user_for_token(self, presented: str) -> User | None:
        """The user a bearer token belongs to, if it is genuine and not revoked."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return None
        query = sa.select(tokens.c.user_id, tokens.c.token_hash).where(
            tokens.c.token_id == parts[1], tokens.c.revoked_at.is_(None)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(query).first()
        if row is None or row.token_hash is None:
            return None
        if not hmac.compare_digest(row.token_hash, _digest(parts[2])):
            return None
        return self.user(row.user_id)

    # --- plumbing -----------------------------------------------------------------------

    def _validate(self, opened: c.OpenAccount, errors: dict[str, list[str]]) -> None:
        try:
            decide(opened, AccountState())
        except InvalidAccount as invalid:
            errors = invalid.errors | errors
        if errors:
            raise InvalidAccount(errors)

    def _link(self, purpose: str, user_id: str, state: str, path: str) -> str:
        return f"{self.public_url}{path}?token={self._links.make(purpose, user_id, state)}"

    def _execute(
        self,
        user_id: str,
        commands: Sequence[Any],
        messages: Sequence[OutgoingMessage] = (),
    ) -> None:
        def decide_all(state: AccountState) -> list[Any]:
            events = []
            for command in commands:
                for event in decide(command, state):
                    state = evolve(state, event)
                    events.append(event)
            return events

        recorded = handle(
            self._store,
            self._vault,
            f"user-{user_id}",
            ACCOUNT,
            decide_all,
            lambda _: user_id,
            {"actor": user_id},
            messages,
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["accounts"])

    def _row(self, user_id: str) -> Any:
        with self._engine.connect().execution_options(read_only=True) as conn:
            return conn.execute(sa.select(users).where(users.c.user_id == user_id)).first()


def _user(row: Any) -> User:
    return User(row.user_id, row.role, row.agency, row.display_name, row.email)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
