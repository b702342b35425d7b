"""Carry out account actions: sign-up, confirmation, passwords, logins and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from events_store import EventStore
from events_store.errors import DecryptionError, SubjectErasedError
from events_store.handling import StreamModel, handle
from events_store.outbox import OutgoingMessage, seal_message
from events_store.projections import ProjectionRunner
from events_store.store import utc_now
from events_store.vault import KeyVault

from . import commands as c
from . import emails, queries, second_factor
from .decider import AccountState, decide, email_errors, evolve, normalize_email
from .email_index import EmailIndex
from .errors import (
    AccountExists,
    AccountNotFound,
    CodeRefused,
    InvalidAccount,
    InvalidLink,
    LoginFailed,
    NotVerified,
)
from .events import EVENT_TYPES
from .links import KEEP_ACCOUNT, SET_PASSWORD, VERIFY_EMAIL, Links
from .passwords import hash_password, password_errors, verify_password
from .projection import tokens
from .queries import Account
from .ratelimit import LoginLimiter
from .sessions import SessionCheck, SessionLimits, SessionStore

TOKEN_PREFIX = "cvs"
_WRONG_CODE = (
    "That code is not right. Type the 6 digits your authenticator app shows now, "
    "or one of your recovery codes."
)
ACCOUNT = StreamModel(EVENT_TYPES, AccountState(), evolve)


def new_user_id() -> str:
    """A fresh account id: random, so that nothing about the person can be read from it or
    tested against it, and an address signed up again after erasure is a new person."""
    return "u" + secrets.token_urlsafe(18)


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
    scope: str
    expires_at: datetime


@dataclass(frozen=True)
class Enrolment:
    """A second factor being set up: the secret, sealed for the browser to carry until the
    first code confirms it, and the QR code and typed form an authenticator app reads."""

    sealed: str
    secret: str
    qr_code: str
    uri: str

    @property
    def spaced(self) -> str:
        """The secret in groups of four, for people who type it in."""
        return second_factor.spaced(self.secret)


@dataclass(frozen=True)
class TokenUse:
    """What a presented bearer token stands for: its user and scope, or the time it ended."""

    user: User | None
    scope: str = "full"
    expired_at: datetime | None = None


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
        self._emails = EmailIndex(engine, vault)
        self.public_url = public_url.rstrip("/")  # where links in emails point
        self.per_account = LoginLimiter(engine, limit=5, window=timedelta(minutes=15))
        self.per_address = LoginLimiter(engine, limit=30, window=timedelta(minutes=15))
        self.sessions = SessionStore(engine)
        self.per_code = LoginLimiter(engine, limit=5, window=timedelta(minutes=15))
        self.clock: Callable[[], datetime] = utc_now  # tests move it to try the limits

    def user_id_for(self, email: str) -> str | None:
        """The id of the account holding this address, if one does."""
        if email_errors(email):
            return None
        claim = self._emails.find(email)
        return claim.user_id if claim is not None else None

    # --- sign-up and staff ------------------------------------------------------------

    def sign_up(self, email: str, password: str, display_name: str) -> None:
        """Open an owner account and email a confirmation link.

        An address that has an account already is answered the same way, with the same work
        (the password is hashed, one message is queued: to the holder, saying how to log in),
        so sign-up does not reveal who is registered. An erased address is simply free.
        """
        errors: dict[str, list[str]] = {}
        if problems := password_errors(password):
            errors["password"] = problems
        user_id = new_user_id()
        opened = c.OpenAccount(user_id, "owner", None, email, display_name)
        self._validate(opened, errors)
        password_hash = hash_password(password)
        holder = self._claim(email, user_id)
        if holder is None:
            return  # a sign-up for this address is under way: its confirmation is coming
        if holder != user_id:
            self._tell_holder(holder, email)
            return
        link = self._link(VERIFY_EMAIL, user_id, "unverified", "/verify-email")
        message = emails.confirm_address(normalize_email(email), display_name, link)
        changes = [opened, c.SetPassword(user_id, password_hash)]
        self._execute(user_id, changes, [self._sealed(message, user_id)])

    def create_staff(self, email: str, display_name: str, role: str, agency: str) -> str:
        """Open a staff account; the person sets a password through an emailed link."""
        user_id = new_user_id()
        opened = c.OpenAccount(user_id, role, agency, email, display_name)
        self._validate(opened, {})
        if self._claim(email, user_id) != user_id:
            raise AccountExists("An account with this email address exists already.")
        link = self._link(SET_PASSWORD, user_id, "", "/set-password")
        message = emails.welcome_staff(normalize_email(email), display_name, role, agency, link)
        self._execute(user_id, [opened], [self._sealed(message, user_id)])
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
        found = self._row(user_id) if user_id is not None else None
        if found is None or found.email is None:
            return  # answered like success, so nobody learns who has an account
        link = self._link(SET_PASSWORD, found.user_id, found.password_hash or "", "/set-password")
        message = emails.reset_password(found.email, found.display_name or "", link)
        self._execute(
            found.user_id,
            [c.RequestPasswordReset(found.user_id)],
            [self._sealed(message, found.user_id)],
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
        changes.append(c.EndSessions(claim.user_id, "password_changed", revoke_tokens=True))
        self._execute(claim.user_id, changes)
        self.sessions.end_all(claim.user_id)

    def send_erasure_notice(self, user_id: str, erase_after: datetime, zone: tzinfo) -> None:
        """Tell an inactive owner when their data will be erased (in `zone`, the agency's
        time), with a link to stay."""
        found = self._row(user_id)
        if found is None or found.email is None:
            return
        link = self._link(KEEP_ACCOUNT, user_id, "", "/keep-account")
        message = emails.erasure_notice(
            found.email, found.display_name or "", erase_after, link, zone
        )
        self._execute(
            user_id,
            [c.SendErasureNotice(user_id, erase_after.isoformat())],
            [self._sealed(message, user_id)],
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
        user_id = self.user_id_for(email)
        # An address without an account is limited too, so a lockout tells nobody which
        # addresses have one; its key is a pseudonym of its own, never the index's.
        unknown = "?" + self._vault.pseudonym("login-email", normalize_email(str(email)))[:24]
        account_key = "account:" + (user_id or unknown)
        address_key = "address:" + self._vault.pseudonym("client-address", address)[:24]
        self.per_address.check(address_key)
        self.per_account.check(account_key)
        found = self._row(user_id) if user_id is not None else None
        if not verify_password(found.password_hash if found else None, password):
            self.per_account.failed(account_key)
            self.per_address.failed(address_key)
            raise LoginFailed()
        assert found is not None
        if not found.verified:
            raise NotVerified()
        self.per_account.succeeded(account_key)
        return _user(found)

    def user(self, user_id: str) -> User | None:
        """A verified account by id (for sessions)."""
        found = self._row(user_id)
        return _user(found) if found is not None and found.verified else None

    # --- sessions -----------------------------------------------------------------------

    def start_session(self, user: User, method: str = "password") -> str:
        """Record the login and open a session; the secret returned goes in the cookie."""
        self._execute(user.user_id, [c.RecordLogin(user.user_id, method)])
        return self.sessions.start(user.user_id, self.clock())

    def session_user(self, secret: str, limits: SessionLimits) -> tuple[User | None, str | None]:
        """The user a session's secret signs in, or None and why the session is over."""
        checked: SessionCheck = self.sessions.check(secret, self.clock(), limits)
        if checked.user_id is None:
            return None, checked.ended_because
        found = self.user(checked.user_id)
        return (found, None) if found is not None else (None, "ended")

    def end_session(self, secret: str) -> None:
        """Log one browser out: its cookie, or any copy of it, signs nobody in any more."""
        self.sessions.end(secret)

    def end_every_session(self, user: User, reason: str = "logout_everywhere") -> None:
        """Log the account out in every browser at once (its API tokens keep working)."""
        self._execute(user.user_id, [c.EndSessions(user.user_id, reason, revoke_tokens=False)])
        self.sessions.end_all(user.user_id)

    # --- second factor ------------------------------------------------------------------

    def has_second_factor(self, user_id: str) -> bool:
        """Whether the account has set up an authenticator app."""
        found = self._row(user_id)
        return found is not None and found.totp_secret is not None

    def begin_enrolment(self, user: User, sealed: str | None = None) -> Enrolment:
        """A new secret to set up (or the one being set up, from its sealed form)."""
        secret = self._enrolment_secret(user, sealed) if sealed else None
        secret = secret or second_factor.new_secret()
        kept = self._vault.seal(user.user_id, "enrolment", "totp_secret", secret)
        uri = second_factor.provisioning_uri(secret, user.email or user.user_id)
        return Enrolment(kept, secret, second_factor.qr_code(uri), uri)

    def enrol(self, user: User, sealed: str, code: str) -> list[str]:
        """Set up the second factor once the app's first code is right; every session and
        token of the account ends. Returns the ten recovery codes, to be shown once."""
        secret = self._enrolment_secret(user, sealed)
        if secret is None:
            raise CodeRefused("This set-up has expired. Scan the new QR code and try again.")
        key = "code:" + user.user_id
        self.per_code.check(key)
        step = second_factor.matching_step(secret, code, self.clock())
        if step is None:
            self.per_code.failed(key)
            raise CodeRefused(_WRONG_CODE)
        codes = second_factor.new_recovery_codes()
        digests = " ".join(second_factor.recovery_digest(one) for one in codes)
        self._execute(user.user_id, [c.EnrolSecondFactor(user.user_id, secret, digests, step)])
        self.sessions.end_all(user.user_id)
        self.per_code.succeeded(key)
        return codes

    def check_second_factor(self, user: User, code: str) -> str:
        """Accept a code from the app or a recovery code, each once; the login method it
        makes. Wrong codes are counted like wrong passwords."""
        found = self._row(user.user_id)
        if found is None or found.totp_secret is None:
            raise CodeRefused("This account has no second factor set up.")
        key = "code:" + user.user_id
        self.per_code.check(key)
        command: Any = None
        if second_factor.looks_like_a_code(code):
            step = second_factor.matching_step(found.totp_secret, code, self.clock())
            command = c.UseTotpCode(user.user_id, step) if step is not None else None
        else:
            digests = (found.recovery_digests or "").split()
            number = second_factor.recovery_number(digests, code)
            command = c.UseRecoveryCode(user.user_id, number) if number is not None else None
        if command is None:
            self.per_code.failed(key)
            self._execute(user.user_id, [c.RecordFailedCode(user.user_id)])
            raise CodeRefused(_WRONG_CODE)
        self._execute(user.user_id, [command])
        self.per_code.succeeded(key)
        return "password+totp" if isinstance(command, c.UseTotpCode) else "password+recovery_code"

    def _enrolment_secret(self, user: User, sealed: str) -> str | None:
        if sealed.split(".")[1:2] != [user.user_id]:
            return None  # sealed for someone else
        try:
            secret = self._vault.open(sealed, "enrolment", "totp_secret")
        except (SubjectErasedError, DecryptionError):
            return None
        return secret if isinstance(secret, str) else None

    # --- API tokens ---------------------------------------------------------------------

    def issue_token(
        self, user: User, name: str, scope: str = "full", days: int = 90
    ) -> IssuedToken:
        """A new API token for the user, of `scope` ("read" or "full"), ending in `days`
        days; its secret is returned once."""
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        ends = self.clock() + timedelta(days=days)
        issue = c.IssueToken(user.user_id, token_id, name, _digest(secret), scope, ends.isoformat())
        self._execute(user.user_id, [issue])
        presented = f"{TOKEN_PREFIX}_{token_id}_{secret}"
        return IssuedToken(token_id, name.strip(), presented, scope, ends)

    def revoke_token(self, user: User, token_id: str) -> None:
        """Stop a token working at once."""
        self._execute(user.user_id, [c.RevokeToken(user.user_id, token_id)])

    def tokens_of(self, user: User) -> list[dict[str, Any]]:
        """The user's tokens (never their secrets), newest first."""
        query = (
            sa.select(
                tokens.c.token_id,
                tokens.c.name,
                tokens.c.created_at,
                tokens.c.revoked_at,
                tokens.c.scope,
                tokens.c.expires_at,
            )
            .where(tokens.c.user_id == user.user_id)
            .order_by(tokens.c.created_at.desc())
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def erase(self, user_id: str, reason: str, actor: str) -> bool:
        """Append the account's tombstone and free its address; whether it was erased now
        (not before). Safe to run again: the address is released every time."""
        try:
            recorded = handle(
                self._store,
                self._vault,
                f"user-{user_id}",
                ACCOUNT,
                lambda state: decide(c.EraseAccount(user_id, reason), state),
                lambda _: user_id,
                {"actor": actor},
            )
        finally:
            self._emails.release(user_id)
            self.sessions.end_all(user_id)
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["accounts"])
        return bool(recorded)

    def user_for_token(self, presented: str) -> TokenUse:
        """Whom a bearer token signs in, and with what scope, if it is genuine, not revoked
        and not past its end; a genuine token past its end says when it ended."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
            return TokenUse(None)
        query = sa.select(
            tokens.c.user_id, tokens.c.token_hash, tokens.c.scope, tokens.c.expires_at
        ).where(tokens.c.token_id == parts[1], tokens.c.revoked_at.is_(None))
        with self._engine.connect().execution_options(read_only=True) as conn:
            row = conn.execute(query).first()
        if row is None or row.token_hash is None:
            return TokenUse(None)
        if not hmac.compare_digest(row.token_hash, _digest(parts[2])):
            return TokenUse(None)
        if row.expires_at is not None and row.expires_at <= self.clock():
            return TokenUse(None, row.scope, row.expires_at)
        return TokenUse(self.user(row.user_id), row.scope)

    # --- plumbing -----------------------------------------------------------------------

    def _claim(self, email: str, user_id: str) -> str | None:
        """Claim the address for the new account `user_id`; return who holds it now (this
        account, or the one that had it), or None while another sign-up for it is under way.

        An account that never got appended (its sign-up crashed) or was erased since loses
        its claim to the next sign-up."""
        for _ in range(3):
            claim = self._emails.find(email)
            if claim is None:
                if self._emails.claim(email, user_id):
                    return user_id
                continue  # another sign-up claimed it this instant: see who
            state = ACCOUNT.fold(self._store.read_stream(f"user-{claim.user_id}"))
            if state.exists:
                return claim.user_id
            if not state.erased and not self._emails.is_stale(claim):
                return None
            if self._emails.take_over(email, claim, user_id):
                return user_id
        return None

    def _tell_holder(self, user_id: str, email: str) -> None:
        """Tell the holder of an address someone signed up with that they have an account."""
        found = self._row(user_id)
        message = emails.already_registered(
            normalize_email(email),
            found.display_name if found is not None else None,
            f"{self.public_url}/login",
            f"{self.public_url}/forgot-password",
        )
        try:
            self._execute(user_id, [c.RepeatSignUp(user_id)], [self._sealed(message, user_id)])
        except (AccountNotFound, SubjectErasedError):
            return  # erased this instant: there is nobody to tell

    def _sealed(self, message: emails.Email, user_id: str) -> OutgoingMessage:
        outgoing = OutgoingMessage(message.recipient, message.subject, message.body, user_id)
        return seal_message(self._vault, outgoing)

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

    def _row(self, user_id: str) -> Account | None:
        return queries.account(self._engine, self._vault, user_id)


def _user(found: Account) -> User:
    return User(found.user_id, found.role, found.agency, found.display_name, found.email)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
