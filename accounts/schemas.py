"""What the accounts API accepts and answers, with messages a person understands."""

from __future__ import annotations

from marshmallow import Schema, fields

from validation.fields import Text

from .decider import MAX_EMAIL, MAX_NAME, MAX_TOKEN_NAME
from .passwords import MAX_LENGTH, MIN_LENGTH

# What the account rules refuse beyond these fields' own checks, said in the API document.
NEW_PASSWORD = {"minLength": MIN_LENGTH, "description": f"At least {MIN_LENGTH} characters."}
EMAIL = {"format": "email", "example": "maria@example.org"}


def _text(maximum: int, minimum: int = 1, **options: object) -> Text:
    return Text(maximum, minimum, required=True, **options)  # type: ignore[arg-type]


def _password(**options: object) -> Text:
    """A passphrase exactly as typed (the login form compares it so): not trimmed, not
    normalised, any printable character."""
    return _text(
        MAX_LENGTH, single_line=False, strip=False, normalize=False, load_only=True, **options
    )


class SignUpSchema(Schema):
    email = _text(MAX_EMAIL, metadata=EMAIL)
    password = _password(metadata=NEW_PASSWORD)
    display_name = _text(MAX_NAME, metadata={"example": "Maria Lopez"})


class StaffAccountSchema(Schema):
    """A staff account made on the command line (`flask accounts create`)."""

    email = _text(MAX_EMAIL, metadata=EMAIL)
    display_name = _text(MAX_NAME)
    agency = _text(MAX_NAME)


class TokenLinkSchema(Schema):
    token = _text(1000)


class EmailSchema(Schema):
    email = _text(MAX_EMAIL, metadata=EMAIL)


class NewPasswordSchema(Schema):
    token = _text(1000)
    password = _password(metadata=NEW_PASSWORD)


class LoginForTokenSchema(Schema):
    email = _text(MAX_EMAIL)
    password = _password()
    name = _text(MAX_TOKEN_NAME, metadata={"example": "My laptop"})


class ErasureSchema(Schema):
    password = _password(metadata={"description": "to confirm"})


class MessageSchema(Schema):
    message = fields.String()


class IssuedTokenSchema(Schema):
    token_id = fields.String()
    name = fields.String()
    token = fields.String(metadata={"description": "The secret, shown this once only."})


class TokenSchema(Schema):
    token_id = fields.String()
    name = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class MeSchema(Schema):
    user_id = fields.String()
    role = fields.String()
    agency = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
