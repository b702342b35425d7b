"""The steps of a login after the password: the second factor's code, or setting one up, then
the session. Between the steps the browser carries only who passed the password and when."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlparse

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response

from .auth import account_service, second_factor_required
from .errors import CodeRefused, TooManyAttempts
from .handlers import User

PENDING = "pending_login"
STEP_TIME = timedelta(minutes=10)  # to type the code after the password
ENTER_CODE = "Enter the 6 digits your authenticator app shows, or a recovery code."
HOMES = {
    "owner": "owner_pages.dashboard",
    "investigator": "canvass_pages.canvasses",
    "supervisor": "canvass_pages.canvasses",
    "auditor": "audit_pages.search",
}


def register(bp: Blueprint) -> None:
    """Add the second-factor steps to the accounts' pages."""
    bp.add_url_rule("/login/code", view_func=code, methods=["GET", "POST"])
    bp.add_url_rule("/login/enrol", view_func=enrol, methods=["GET", "POST"])


def after_password(user: User, target: str) -> Response:
    """Where a right password leads: the code, setting up a second factor, or in."""
    service = account_service()
    if service.has_second_factor(user.user_id):
        return _pending(user, target, "account_pages.code")
    if second_factor_required(user):
        return _pending(user, target, "account_pages.enrol")
    return finish(user, "password", target)


def finish(user: User, method: str, target: str) -> Response:
    """Record the login, open the session, and go where the person was going."""
    session.clear()
    session["sid"] = account_service().start_session(user, method)
    session.permanent = True
    return redirect(safe_next(target) or url_for(HOMES.get(user.role, "home.index")))


def code() -> ResponseReturnValue:
    """Ask for the code from the app (or a recovery code) of the account that passed the
    password."""
    user, target = _pending_user()
    if user is None:
        return _start_again()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        typed = request.form.get("code", "").strip()
        try:
            if not typed:
                raise CodeRefused(ENTER_CODE)
            method = account_service().check_second_factor(user, typed)
        except (CodeRefused, TooManyAttempts) as refused:
            errors = {"code": [str(refused)]}
        else:
            return finish(user, method, target)
    page = render_template("accounts/login_code.html", errors=errors)
    return page, 401 if errors else 200


def enrol() -> ResponseReturnValue:
    """Set up an authenticator app: scan the QR code (or type the secret), type its code."""
    user, target = _pending_user()
    if user is None:
        return _start_again()
    service = account_service()
    pending = session[PENDING]
    enrolment = service.begin_enrolment(user, pending.get("enrolment"))
    session[PENDING] = pending | {"enrolment": enrolment.sealed}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        typed = request.form.get("code", "").strip()
        try:
            if not typed:
                raise CodeRefused("Enter the 6 digits your authenticator app shows.")
            codes = service.enrol(user, enrolment.sealed, typed)
        except (CodeRefused, TooManyAttempts) as refused:
            errors = {"code": [str(refused)]}
        else:
            # The ten recovery codes are shown on this answer only, never again.
            onward = finish(user, "password+totp", target).headers["Location"]
            page = render_template("accounts/recovery_codes.html", codes=codes, next=onward)
            return page, 201
    page = render_template("accounts/login_enrol.html", enrolment=enrolment, errors=errors)
    return page, 422 if errors else 200


def safe_next(target: str) -> str | None:
    """Only a path on this site, so a link cannot send people elsewhere after login."""
    parsed = urlparse(target)
    if target.startswith("/") and not target.startswith("//") and not parsed.netloc:
        return target
    return None


def _pending(user: User, target: str, step: str) -> Response:
    session.clear()
    now = account_service().clock()
    session[PENDING] = {"user_id": user.user_id, "since": now.isoformat(), "next": target}
    return redirect(url_for(step))


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user_id"), str):
        return None, ""
    service = account_service()
    since = datetime.fromisoformat(str(pending.get("since")))
    if service.clock() - since > STEP_TIME:
        session.pop(PENDING, None)
        return None, ""
    return service.user(pending["user_id"]), str(pending.get("next") or "")


def _start_again() -> Response:
    flash("Log in with your email and password first; the code comes after them.")
    return redirect(url_for("account_pages.login"))
