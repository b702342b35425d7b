"""The API tokens page: staff make the token `canvass-verify` and other clients send, see it
once, list theirs and revoke one; the secret is never stored or shown again."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError, fields, validate

from .auth import account_service, current_user, page_allows
from .decider import MAX_TOKEN_NAME, TOKEN_SCOPES
from .errors import AccountNotFound, InvalidAccount, LoginFailed, TooManyAttempts
from .handlers import User
from .schemas import TOKEN_SCOPE, asked_text

NAME_HINT = (
    "Say where it is used, for example “verifier on the audit laptop” "
    f"(at most {MAX_TOKEN_NAME} characters)."
)


SCOPES = (("read", "Read only"), ("full", "Full: everything your account may do"))
CONFIRM = "Enter your password: a token is made only with it."
ENTER_CODE = "Enter the 6 digits your authenticator app shows, or a recovery code."


class TokenNameSchema(Schema):
    name = asked_text(MAX_TOKEN_NAME, f"Name the token (at most {MAX_TOKEN_NAME} characters).")
    scope = fields.String(
        load_default="full", validate=validate.OneOf(TOKEN_SCOPES, error=TOKEN_SCOPE)
    )


def register(bp: Blueprint) -> None:
    """Add the token pages to the accounts' pages."""
    bp.add_url_rule("/tokens", view_func=tokens, methods=["GET", "POST"])
    bp.add_url_rule("/tokens/<token_id>/revoke", view_func=revoke, methods=["POST"])


@page_allows("account.own")
def tokens() -> ResponseReturnValue:
    """List the signed-in person's tokens; a new one is shown once, on this answer only."""
    user = current_user()
    assert user is not None
    errors: dict[str, list[str]] = {}
    issued = None
    name = ""
    scope = "full"
    days = int(current_app.config["API_TOKEN_DAYS"])
    if request.method == "POST":
        name = request.form.get("name", "")
        scope = request.form.get("scope", "full")
        try:
            body = TokenNameSchema().load({"name": name, "scope": scope})
            _confirm_password(user)
            issued = account_service().issue_token(user, body["name"], body["scope"], days)
        except ValidationError as invalid:
            errors = {str(k): list(v) for k, v in invalid.messages_dict.items()}
        except InvalidAccount as invalid:
            errors = invalid.errors
    page = render_template(
        "accounts/tokens.html",
        tokens=account_service().tokens_of(user),
        issued=issued,
        name="" if issued else name,
        scope=scope,
        scopes=SCOPES,
        days=days,
        now=account_service().clock(),
        asks_code=account_service().has_second_factor(user.user_id),
        errors=errors,
        hint=NAME_HINT,
    )
    headers = {"Cache-Control": "no-store"}
    return page, 422 if errors else 201 if issued else 200, headers


def _confirm_password(user: User) -> None:
    """Refuse, as field errors, unless the form's password (and code, for an account with a
    second factor) are the account's."""
    password = request.form.get("password", "")
    if not password:
        raise InvalidAccount({"password": [CONFIRM]})
    service = account_service()
    try:
        service.log_in(user.email or "", password, request.remote_addr or "unknown")
    except (LoginFailed, TooManyAttempts) as refused:
        raise InvalidAccount({"password": [str(refused)]}) from None
    if service.has_second_factor(user.user_id):
        code = request.form.get("code", "").strip()
        if not code:
            raise InvalidAccount({"code": [ENTER_CODE]})
        try:
            service.check_second_factor(user, code)
        except (LoginFailed, TooManyAttempts) as refused:
            raise InvalidAccount({"code": [str(refused)]}) from None


@page_allows("account.own")
def revoke(token_id: str) -> ResponseReturnValue:
    """Stop one of the person's tokens working at once."""
    user = current_user()
    assert user is not None
    try:
        account_service().revoke_token(user, token_id)
    except AccountNotFound:
        flash("That token is not among yours, or it is revoked already.", "error")
    else:
        flash("The token is revoked: programs that send it are refused from now on.")
    return redirect(url_for("account_pages.tokens"))
