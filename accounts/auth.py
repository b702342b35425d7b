"""Who is asking: a bearer token (API clients) or the session cookie (people in a browser)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from werkzeug.exceptions import Unauthorized

from .decider import STAFF_ROLES
from .errors import EnrolmentNeeded, SecondFactorNeeded
from .handlers import AccountService, User
from .permissions import roles_for
from .sessions import SessionLimits

READING = frozenset({"GET", "HEAD", "OPTIONS"})
SESSION_ENDED = {
    "idle": "You were away for a while, so you were logged out. Log in again to go on.",
    "expired": "Your session reached its time limit. Log in again to go on.",
    "ended": "You were logged out. Log in again to go on.",
}

F = TypeVar("F", bound=Callable[..., Any])


def account_service() -> AccountService:
    """The current app's account service."""
    service: AccountService = current_app.extensions["canvass"].accounts
    return service


def current_user() -> User | None:
    """The user making this request: by bearer token under /api/, by session cookie on
    pages. The API never accepts the cookie, so no other site can make a browser call it."""
    if "user" not in g:
        g.user = _from_bearer_token() if request.path.startswith("/api/") else _from_session()
    user: User | None = g.user
    return user


def api_allows(action: str) -> Callable[[F], F]:
    """API views: the roles of the permission table's `action` only (401 / 403 otherwise).
    The view remembers its action, so tests can check every route against the table."""
    return _remember(action, api_login_required(*roles_for(action)))


def page_allows(action: str) -> Callable[[F], F]:
    """Pages: the roles of the permission table's `action` only (login page / 403)."""
    return _remember(action, page_login_required(*roles_for(action)))


def _remember(action: str, guard: Callable[[F], F]) -> Callable[[F], F]:
    def decorate(view: F) -> F:
        guarded = guard(view)
        guarded.required_action = action  # type: ignore[attr-defined]
        return guarded

    return decorate


def api_login_required(*roles: str) -> Callable[[F], F]:
    """API views: 401 without valid credentials, 403 for a role that may not do this."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                raise Unauthorized(
                    g.get("credential_problem")
                    or "Log in, or send an API token as 'Authorization: Bearer <token>'.",
                    www_authenticate=_challenge(),
                )
            if roles and user.role not in roles:
                abort(403, "Your account may not do this.")
            if g.get("token_scope") == "read" and request.method not in READING:
                abort(403, "This API token may only read; make a token of full scope to change.")
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def page_login_required(*roles: str) -> Callable[[F], F]:
    """Pages: people who are not logged in are sent to the login page and brought back."""

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                if ended := g.get("session_ended"):
                    flash(SESSION_ENDED[ended])
                return redirect(url_for("account_pages.login", next=request.full_path))
            if roles and user.role not in roles:
                abort(403, "Your account may not see this page.")
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate


def _bearer() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _from_bearer_token() -> User | None:
    token = _bearer()
    if not token:
        return None
    use = account_service().user_for_token(token)
    if use.expired_at is not None:
        g.credential_problem = (
            f"This API token expired at {use.expired_at.isoformat(timespec='seconds')}; "
            "make a new one with your email and password."
        )
    g.token_scope = use.scope
    return use.user


def _from_session() -> User | None:
    secret = session.get("sid")
    if not isinstance(secret, str):
        return None
    limits = SessionLimits.from_settings(current_app.config)
    user, ended = account_service().session_user(secret, limits)
    if user is None:
        session.pop("sid", None)
        g.session_ended = ended
    return user


def second_factor_required(user: User) -> bool:
    """Whether the settings make this account sign in with a second factor."""
    everyone = current_app.config.get("MFA_REQUIRED_FOR") == "everyone"
    return everyone or user.role in STAFF_ROLES


def confirm_second_factor(user: User, code: str | None) -> None:
    """Refuse, unless the code is right for an account with a second factor; an account that
    must have one and has not set it up is sent to the login page (403)."""
    service = account_service()
    if service.has_second_factor(user.user_id):
        if not code:
            raise SecondFactorNeeded()
        service.check_second_factor(user, code)
    elif second_factor_required(user):
        abort(403, str(EnrolmentNeeded()))


def session_secret() -> str | None:
    """The secret of this browser's session, if it has one."""
    secret = session.get("sid")
    return secret if isinstance(secret, str) else None


def _challenge() -> Any:
    from werkzeug.datastructures import WWWAuthenticate

    return WWWAuthenticate("Bearer", {"realm": "camera-registry"})
