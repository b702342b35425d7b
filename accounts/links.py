"""Single-use, expiring links sent by email: confirm an address, set a password.

A link is signed, carries its purpose and expiry, and is bound to the account's state when
it was made (its email not yet confirmed; its current password), so it stops working once
that state changes: a link works once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .errors import InvalidLink

VERIFY_EMAIL = "verify-email"
SET_PASSWORD = "set-password"
ANSWER_REQUEST = "answer-request"
KEEP_ACCOUNT = "keep-account"
LIFETIMES = {
    VERIFY_EMAIL: 3 * 24 * 3600,
    SET_PASSWORD: 2 * 3600,
    ANSWER_REQUEST: 10 * 24 * 3600,
    KEEP_ACCOUNT: 90 * 24 * 3600,
}


@dataclass(frozen=True)
class LinkClaim:
    """What a genuine, unexpired link says."""

    user_id: str
    stamp: str

    def still_matches(self, state: str) -> bool:
        """Whether the account is still in the state the link was made for."""
        return self.stamp == _stamp(state)


class Links:
    """Makes and reads the tokens inside emailed links."""

    def __init__(self, secret_key: str) -> None:
        self._secret_key = secret_key

    def make(self, purpose: str, user_id: str, state: str) -> str:
        """A token for `purpose` that is valid while the account is in `state`."""
        return str(self._serializer(purpose).dumps({"u": user_id, "s": _stamp(state)}))

    def read(self, purpose: str, token: str) -> LinkClaim:
        """The claim of a genuine, unexpired token; `InvalidLink` otherwise."""
        try:
            payload = self._serializer(purpose).loads(token, max_age=LIFETIMES[purpose])
        except (SignatureExpired, BadSignature):
            raise InvalidLink() from None
        if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in "us"):
            raise InvalidLink()
        return LinkClaim(payload["u"], payload["s"])

    def _serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret_key, salt=f"canvass-{purpose}")


def _stamp(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:16]
