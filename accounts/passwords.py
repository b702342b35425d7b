"""Password rules and hashing (Argon2id)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 256

_hasher = PasswordHasher()

# Verified against when an account is unknown, so a wrong email costs as much as a wrong
# password and response times do not tell which accounts exist.
_DECOY = _hasher.hash("a decoy password that matches no account")


def password_errors(password: object) -> list[str]:
    """What is wrong with a new password, if anything."""
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        return [f"Use at least {MIN_LENGTH} characters; a short sentence is easy to remember."]
    if len(password) > MAX_LENGTH:
        return [f"Use at most {MAX_LENGTH} characters."]
    if not password.strip():
        return ["A password cannot be only spaces."]
    return []


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; always does the work of one verification."""
    try:
        return _hasher.verify(password_hash or _DECOY, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
