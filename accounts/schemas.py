"""What the accounts API accepts and answers, with messages a person understands."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from validation.fields import Text
from validation.text import allowed_pattern

from .decider import MAX_EMAIL, MAX_NAME, MAX_TOKEN_NAME, TOKEN_SCOPES
from .passwords import MAX_LENGTH, MIN_LENGTH

# The rule for a new password, said the same way in the form's hint, its error and the API
# document (the account rules in passwords.py refuse a shorter one).
NEW_PASSWORD_RULE = f"Use at least {MIN_LENGTH} characters; a short sentence is easy to remember."
PASSWORD_HINT = (
    f"At least {MIN_LENGTH} characters (at most {MAX_LENGTH}). "
    "A short sentence is easy to remember."
)
NEW_PASSWORD = {"minLength": MIN_LENGTH, "description": PASSWORD_HINT}
EMAIL = {"format": "email", "example": "maria@example.org"}
ENTER_EMAIL = f"Enter your email address, like name@example.org (at most {MAX_EMAIL} characters)."
ENTER_NAME = f"Enter your name (at most {MAX_NAME} characters)."
ENTER_PASSWORD = "Enter your password."


def _text(maximum: int, minimum: int = 1, **options: object) -> Text:
    return Text(maximum, minimum, required=True, **options)  # type: ignore[arg-type]


def asked_text(maximum: int, empty: str, single_line: bool = True, **options: object) -> Text:
    """Text that must be given, whose empty and too long values are told apart: the empty one
    says what to enter. The API document reads as for any text of 1 to `maximum`."""
    metadata = dict(options.pop("metadata", None) or {})  # type: ignore[call-overload]
    strip = bool(options.get("strip", True))
    pattern = {"pattern": allowed_pattern(single_line, non_blank=strip)}
    return Text(
        maximum,
        0,
        required=True,
        single_line=single_line,
        length_error=f"Use at most {maximum} characters.",
        validate=validate.Length(min=1, error=empty),
        error_messages={"required": empty, "null": empty},
        metadata=pattern | metadata,
        **options,  # type: ignore[arg-type]
    )


def _password(empty: str = ENTER_PASSWORD, **options: object) -> Text:
    """A passphrase exactly as typed (the login form compares it so): not trimmed, not
    normalised, any printable character."""
    return asked_text(
        MAX_LENGTH, empty, single_line=False, strip=False, normalize=False, load_only=True,
        **options,
    )  # fmt: skip


def _new_password() -> Text:
    return _password(NEW_PASSWORD_RULE, metadata=NEW_PASSWORD)


class SignUpSchema(Schema):
    email = asked_text(MAX_EMAIL, ENTER_EMAIL, metadata=EMAIL)
    password = _new_password()
    display_name = asked_text(MAX_NAME, ENTER_NAME, metadata={"example": "Maria Lopez"})


class StaffAccountSchema(Schema):
    """A staff account made on the command line (`flask accounts create`)."""

    email = _text(MAX_EMAIL, metadata=EMAIL)
    display_name = _text(MAX_NAME)
    agency = _text(MAX_NAME)


class TokenLinkSchema(Schema):
    token = _text(1000)


class EmailSchema(Schema):
    email = asked_text(MAX_EMAIL, ENTER_EMAIL, metadata=EMAIL)


class NewPasswordSchema(Schema):
    token = _text(1000)
    password = _new_password()


TOKEN_SCOPE = "Choose read (the token may only read) or full (it may do all your account can)."
TOKEN_DAYS = "How many days the token works, a whole number from 1 (the default is set here)."


class LoginForTokenSchema(Schema):
    email = asked_text(MAX_EMAIL, ENTER_EMAIL)
    password = _password()
    name = _text(MAX_TOKEN_NAME, metadata={"example": "My laptop"})
    scope = fields.String(
        load_default="full",
        validate=validate.OneOf(TOKEN_SCOPES, error=TOKEN_SCOPE),
        metadata={"description": TOKEN_SCOPE},
    )
    code = Text(
        40,
        0,
        load_default=None,
        metadata={"description": "The 6-digit code of your app, or a recovery code (staff)."},
    )
    expires_in_days = fields.Integer(
        load_default=None,
        strict=True,
        validate=validate.Range(min=1, max=36_500, error=TOKEN_DAYS),
        error_messages={"invalid": TOKEN_DAYS},
        metadata={"description": TOKEN_DAYS},
    )


class ErasureSchema(Schema):
    password = _password(metadata={"description": "to confirm"})


class MessageSchema(Schema):
    message = fields.String()


class IssuedTokenSchema(Schema):
    token_id = fields.String()
    name = fields.String()
    token = fields.String(metadata={"description": "The secret, shown this once only."})
    scope = fields.String(metadata={"description": "read or full"})
    expires_at = fields.DateTime(metadata={"description": "When the token stops working."})


class TokenSchema(Schema):
    token_id = fields.String()
    name = fields.String()
    created_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    scope = fields.String()
    expires_at = fields.DateTime(allow_none=True)


class TokenListSchema(Schema):
    tokens = fields.List(fields.Nested(TokenSchema))


class MeSchema(Schema):
    user_id = fields.String()
    role = fields.String()
    agency = fields.String(allow_none=True)
    display_name = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
