"""The second factor: time-based one-time codes (RFC 6238, with pyotp) and recovery codes.

A code is accepted for the 30-second step it was made in or one step either side (clocks
drift); which step matched is returned, so that the account's rules can refuse a step used
already. Recovery codes are random, shown once and kept only as SHA-256 digests: they hold
60 random bits each, so a digest cannot be searched back, and the digests are sealed too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno

ISSUER = "Camera registry"
DRIFT_STEPS = 1
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to copy by hand
_GROUP, _GROUPS = 4, 3


def new_secret() -> str:
    """A fresh TOTP secret, base32 as authenticator apps read it (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_code(uri: str) -> str:
    """The QR code of `uri` as an SVG data: URL, which the content policy lets an image load."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=4, border=4))


def spaced(secret: str) -> str:
    """The secret in groups of four, to be read and typed by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code `code` is, within the drift allowed, or None."""
    typed = "".join(code.split())
    if len(typed) != 6 or not typed.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - DRIFT_STEPS, current, current + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(step), typed):
            return step
    return None


def looks_like_a_code(code: str) -> bool:
    """Six digits (spaces allowed): a code from the app, not a recovery code."""
    typed = "".join(code.split())
    return len(typed) == 6 and typed.isdigit()


def new_recovery_codes() -> list[str]:
    """Ten single-use codes, like `k7qm-3xr9-wtbd`."""
    return [
        "-".join("".join(secrets.choice(_ALPHABET) for _ in range(_GROUP)) for _ in range(_GROUPS))
        for _ in range(RECOVERY_CODES)
    ]


def recovery_digest(code: str) -> str:
    """The digest a recovery code is kept as; spaces, dashes and case do not matter."""
    typed = "".join(ch for ch in code.lower() if ch.isalnum())
    return hashlib.sha256(typed.encode()).hexdigest()


def recovery_number(digests: list[str], code: str) -> int | None:
    """Which of the account's recovery codes `code` is, or None."""
    wanted = recovery_digest(code)
    found = None
    for number, digest in enumerate(digests):
        if hmac.compare_digest(digest, wanted):
            found = number
    return found
