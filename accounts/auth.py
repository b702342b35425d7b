"""Who is asking: a bearer token (API clients) or the session cookie (people in a browser)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app, g, redirect, request, session, url_for
from werkzeug.exceptions import Unauthorized

from .handlers import AccountService, User
from .permissions import roles_for

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
                    "Log in, or send an API token as 'Authorization: Bearer <token>'.",
                    www_authenticate=_challenge(),
                )
            if roles and user.role not in roles:
                abort(403, "Your account may not do this.")
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
    return account_service().user_for_token(token) if token else None


def _from_session() -> User | None:
    user_id = session.get("user_id")
    return account_service().user(user_id) if isinstance(user_id, str) else None


def _challenge() -> Any:
    from werkzeug.datastructures import WWWAuthenticate

    return WWWAuthenticate("Bearer", {"realm": "camera-registry"})
