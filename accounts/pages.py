"""Pages for people: sign up, confirm the address, log in and out, choose a password."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from . import login_steps, token_pages
from .auth import account_service, current_user, page_allows, session_secret
from .errors import InvalidAccount, InvalidLink, LoginFailed, NotVerified, TooManyAttempts
from .schemas import ENTER_EMAIL, ENTER_PASSWORD, PASSWORD_HINT, EmailSchema, SignUpSchema

CONFIRM = "Enter your password, to confirm that it is you."
bp = Blueprint("account_pages", __name__, template_folder="templates")
token_pages.register(bp)
login_steps.register(bp)


@bp.context_processor
def password_rule() -> dict[str, str]:
    """The hint under every new-password field, the same rule its error message states."""
    return {"password_hint": PASSWORD_HINT}


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Sign up as an owner."""
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("email", "display_name")}
        try:
            body = SignUpSchema().load(values | {"password": request.form.get("password", "")})
            account_service().sign_up(body["email"], body["password"], body["display_name"])
        except ValidationError as invalid:
            errors = _messages(invalid.messages)
        except InvalidAccount as invalid:
            errors = invalid.errors
        else:
            return redirect(url_for("account_pages.signup_sent"))
    return render_template(
        "accounts/signup.html", values=values, errors=errors
    ), 200 if not errors else 422


@bp.get("/signup/sent")
def signup_sent() -> str:
    """Tell the person to look for the confirmation email."""
    return render_template("accounts/check_email.html", purpose="confirm your email address")


@bp.route("/verify-email", methods=["GET", "POST"])
def verify_email() -> ResponseReturnValue:
    """Confirm an address from the emailed link: the link shows a button, the button
    confirms (so a mail scanner that follows links confirms nothing)."""
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            account_service().verify_email(token)
        except InvalidLink as invalid:
            return render_template("accounts/link_problem.html", message=str(invalid)), 400
        flash("Your email address is confirmed. Log in to add your cameras.")
        return redirect(url_for("account_pages.login"))
    return render_template("accounts/confirm_email.html", token=token)


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    """Log in with email and password."""
    values: dict[str, Any] = {"next": request.args.get("next", "")}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = {"email": request.form.get("email", ""), "next": request.form.get("next", "")}
        errors = _missing(values["email"], request.form.get("password", ""))
        user = None if errors else _logged_in(values["email"], errors)
        if user is not None:
            return login_steps.after_password(user, values["next"])
    banner = current_app.config.get("LOGIN_BANNER")
    page = render_template("accounts/login.html", values=values, errors=errors, banner=banner)
    return page, 401 if errors else 200


@bp.post("/logout")
def logout() -> Response:
    """End this browser's session on the server (a copy of its cookie is void too)."""
    if secret := session_secret():
        account_service().end_session(secret)
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("home.index"))


@bp.route("/account/sessions", methods=["GET", "POST"])
@page_allows("account.own")
def sessions() -> ResponseReturnValue:
    """Log out everywhere: end every session of the account, this browser's and all others."""
    if request.method == "POST":
        user = current_user()
        assert user is not None
        account_service().end_every_session(user)
        session.clear()
        flash("You are logged out everywhere: every browser must log in again.")
        return redirect(url_for("account_pages.login"))
    return render_template("accounts/sessions.html")


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> ResponseReturnValue:
    """Ask for a link to choose a new password."""
    errors: dict[str, list[str]] = {}
    values = {"email": request.form.get("email", "")}
    if request.method == "POST":
        try:
            body = EmailSchema().load(values)
            account_service().request_password_reset(body["email"])
        except ValidationError as invalid:
            errors = _messages(invalid.messages)
        except InvalidAccount as invalid:
            errors = invalid.errors
        else:
            return render_template("accounts/check_email.html", purpose="choose a new password")
    page = render_template("accounts/forgot_password.html", values=values, errors=errors)
    return page, 422 if errors else 200


@bp.route("/set-password", methods=["GET", "POST"])
def set_password() -> ResponseReturnValue:
    """Choose a password with the emailed link."""
    token = request.values.get("token", "")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        password = request.form.get("password", "")
        if password != request.form.get("confirm", ""):
            errors = {"confirm": ["The two passwords are not the same."]}
        else:
            try:
                account_service().set_password(token, password)
            except InvalidAccount as invalid:
                errors = invalid.errors
            except InvalidLink as invalid:
                return render_template("accounts/link_problem.html", message=str(invalid)), 400
            else:
                flash("Your password is set. Log in with it now.")
                return redirect(url_for("account_pages.login"))
    page = render_template("accounts/set_password.html", token=token, errors=errors)
    return page, 422 if errors else 200


@bp.route("/keep-account", methods=["GET", "POST"])
def keep_account() -> ResponseReturnValue:
    """An owner told of coming erasure stays registered, from the emailed link."""
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            account_service().keep_by_link(token)
        except InvalidLink as refused:
            return render_template("accounts/link_problem.html", message=str(refused)), 400
        flash("Thank you: you stay registered, and nothing will be erased.")
        return redirect(url_for("home.index"))
    return render_template("accounts/keep_account.html", token=token)


@bp.route("/account/delete", methods=["GET", "POST"])
@page_allows("account.erase_own")
def delete_account() -> ResponseReturnValue:
    """An owner leaves, taking their personal data along: confirmed with their password."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        user = current_user()
        assert user is not None
        try:
            account_service().log_in(
                user.email, request.form.get("password", ""), request.remote_addr or ""
            )
        except (LoginFailed, TooManyAttempts) as refused:
            errors = {"password": [str(refused) if request.form.get("password") else CONFIRM]}
        else:
            erasure = current_app.extensions["canvass"].eraser.erase_owner(
                user.user_id, "owner_request", "owner"
            )
            session.clear()
            flash(f"{erasure.owner_message} Thank you for helping.")
            return redirect(url_for("home.index"))
    page = render_template("accounts/delete_account.html", errors=errors)
    return page, 401 if errors else 200


def _logged_in(email: str, errors: dict[str, list[str]]) -> Any:
    """The account the form's email and password log in to; else None, the reason in
    `errors` under the email field (which of the two was wrong is not told)."""
    try:
        return account_service().log_in(
            email, request.form.get("password", ""), request.remote_addr or "unknown"
        )
    except (LoginFailed, NotVerified, TooManyAttempts) as refused:
        errors["email"] = [str(refused)]
        return None


def _missing(email: str, password: str) -> dict[str, list[str]]:
    """What a login form sent without: each empty field, told what to enter."""
    errors = {"email": [ENTER_EMAIL]} if not email.strip() else {}
    return errors | ({"password": [ENTER_PASSWORD]} if not password else {})


def _messages(messages: Any) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [str(v)] for k, v in dict(messages).items()}
