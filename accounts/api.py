"""The accounts REST API: sign up, confirm, passwords, API tokens, and who am I."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask_smorest import Blueprint

from . import schemas as s
from .auth import account_service, api_allows, confirm_second_factor, current_user
from .errors import InvalidAccount

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="Accounts and tokens")


@blp.post("/accounts")
@blp.arguments(s.SignUpSchema)
@blp.response(202, s.MessageSchema)
def sign_up(body: dict[str, Any]) -> dict[str, str]:
    """Sign up as an owner; a confirmation link is emailed."""
    account_service().sign_up(body["email"], body["password"], body["display_name"])
    return {"message": "Check your email: we sent you a link to confirm your address."}


@blp.post("/accounts/verify")
@blp.arguments(s.TokenLinkSchema)
@blp.response(200, s.MessageSchema)
def verify(body: dict[str, Any]) -> dict[str, str]:
    """Confirm an email address with the token from the emailed link."""
    account_service().verify_email(body["token"])
    return {"message": "Your email address is confirmed. You can log in now."}


@blp.post("/password-reset")
@blp.arguments(s.EmailSchema)
@blp.response(202, s.MessageSchema)
def request_reset(body: dict[str, Any]) -> dict[str, str]:
    """Ask for a link to choose a new password."""
    account_service().request_password_reset(body["email"])
    return {"message": "If this address has an account, we have emailed it a link."}


@blp.post("/password-reset/confirm")
@blp.arguments(s.NewPasswordSchema)
@blp.response(200, s.MessageSchema)
def set_password(body: dict[str, Any]) -> dict[str, str]:
    """Choose a new password with the token from the emailed link."""
    account_service().set_password(body["token"], body["password"])
    return {"message": "Your password is set. You can log in now."}


@blp.post("/tokens")
@blp.arguments(s.LoginForTokenSchema)
@blp.response(201, s.IssuedTokenSchema)
def create_token(body: dict[str, Any]) -> dict[str, Any]:
    """Exchange email, password and (for accounts with a second factor) a code for a
    personal API token (shown once). They are needed every time: a token, or a session,
    never makes another token."""
    service = account_service()
    user = service.log_in(body["email"], body["password"], request.remote_addr or "unknown")
    confirm_second_factor(user, body.get("code"))
    days = body.get("expires_in_days") or current_app.config["API_TOKEN_DAYS"]
    longest = current_app.config["API_TOKEN_MAX_DAYS"]
    if days > longest:
        raise InvalidAccount(
            {"expires_in_days": [f"A token may last at most {longest} days here."]}
        )
    issued = service.issue_token(user, body["name"], body["scope"], days)
    return {
        "token_id": issued.token_id,
        "name": issued.name,
        "token": issued.secret,
        "scope": issued.scope,
        "expires_at": issued.expires_at,
    }


@blp.get("/tokens")
@api_allows("account.own")
@blp.response(200, s.TokenListSchema)
def list_tokens() -> dict[str, Any]:
    """Your API tokens, without their secrets."""
    user = current_user()
    assert user is not None
    return {"tokens": account_service().tokens_of(user)}


@blp.delete("/tokens/<token_id>")
@api_allows("account.own")
@blp.response(204)
def revoke_token(token_id: str) -> None:
    """Revoke one of your tokens; it stops working at once."""
    user = current_user()
    assert user is not None
    account_service().revoke_token(user, token_id)


@blp.get("/me")
@api_allows("account.own")
@blp.response(200, s.MeSchema)
def me() -> Any:
    """Who the credentials belong to."""
    return current_user()


@blp.post("/me/erasure")
@api_allows("account.erase_own")
@blp.arguments(s.ErasureSchema)
@blp.response(200, s.MessageSchema)
def erase_me(body: dict[str, Any]) -> dict[str, str]:
    """Delete your account and your personal data for good: your sites leave the registry,
    your files are deleted, your data key is destroyed. Confirm with your password."""
    user = current_user()
    assert user is not None
    account_service().log_in(user.email, body["password"], request.remote_addr or "")
    erasure = current_app.extensions["canvass"].eraser.erase_owner(
        user.user_id, "owner_request", "owner"
    )
    return {"message": erasure.owner_message}
