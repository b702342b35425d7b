"""What the accounts API accepts and answers, with messages a person understands."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from .decider import MAX_EMAIL, MAX_NAME, MAX_TOKEN_NAME
from .passwords import MAX_LENGTH

REQUIRED = {"required": "This field is required."}


def _text(maximum: int, minimum: int = 1, **options: object) -> fields.String:
    return fields.String(
        required=True,
        validate=validate.Length(
            min=minimum, max=maximum, error=f"Use {minimum} to {maximum} characters."
        ),
        error_messages=REQUIRED | {"invalid": "Enter text here."},
        **options,
    )


class SignUpSchema(Schema):
    email = _text(MAX_EMAIL, metadata={"example": "maria@example.org"})
    password = _text(MAX_LENGTH, load_only=True)
    display_name = _text(MAX_NAME, metadata={"example": "Maria Lopez"})


class TokenLinkSchema(Schema):
    token = _text(1000)


class EmailSchema(Schema):
    email = _text(MAX_EMAIL)


class NewPasswordSchema(Schema):
    token = _text(1000)
    password = _text(MAX_LENGTH, load_only=True)


class LoginForTokenSchema(Schema):
    email = _text(MAX_EMAIL)
    password = _text(MAX_LENGTH, load_only=True)
    name = _text(MAX_TOKEN_NAME, metadata={"example": "My laptop"})


class ErasureSchema(Schema):
    password = _text(MAX_LENGTH, load_only=True, metadata={"description": "to confirm"})


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
