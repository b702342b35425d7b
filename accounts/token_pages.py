"""The API tokens page: staff make the token `canvass-verify` and other clients send, see it
once, list theirs and revoke one; the secret is never stored or shown again."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from marshmallow import Schema, ValidationError

from .auth import account_service, current_user, page_allows
from .decider import MAX_TOKEN_NAME
from .errors import AccountNotFound, InvalidAccount
from .schemas import asked_text

NAME_HINT = (
    "Say where it is used, for example “verifier on the audit laptop” "
    f"(at most {MAX_TOKEN_NAME} characters)."
)


class TokenNameSchema(Schema):
    name = asked_text(MAX_TOKEN_NAME, f"Name the token (at most {MAX_TOKEN_NAME} characters).")


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
    if request.method == "POST":
        name = request.form.get("name", "")
        try:
            body = TokenNameSchema().load({"name": name})
            issued = account_service().issue_token(user, body["name"])
        except ValidationError as invalid:
            errors = {str(k): list(v) for k, v in invalid.messages_dict.items()}
        except InvalidAccount as invalid:
            errors = invalid.errors
    page = render_template(
        "accounts/tokens.html",
        tokens=account_service().tokens_of(user),
        issued=issued,
        name="" if issued else name,
        errors=errors,
        hint=NAME_HINT,
    )
    headers = {"Cache-Control": "no-store"}
    return page, 422 if errors else 201 if issued else 200, headers


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
