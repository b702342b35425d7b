"""The key vault: one data key per data subject, so that erasing a person deletes one key.

Personal fields are sealed with AES-256-GCM under the subject's data key before they enter
an event, with associated data naming the event, the field and the subject, so that a
sealed value copied into another event or field does not open. Data keys are wrapped
(AES-256-GCM) under a master key kept outside the database, and the wrapped keys live in a
key store outside the database too (`events_store.keystore`): a key deleted from a database
would survive in its write-ahead log, dead tuples and backups. The database keeps only the
erasure tombstones in `subject_keys` (subject, when forgotten), no key material.

`forget` writes the tombstone first, then deletes the key from the store. Every process
checks the tombstone before it uses a key and again after it creates one, so that a subject
once forgotten never gets a key again, even when a seal and an erasure race in two
processes, and a key brought back by restoring an old key-store backup is refused and
deleted. The sealed values in past events stay where they are, their hashes still verify,
and nobody can read them again.

Keys that an earlier version kept in `subject_keys.wrapped_key` are not moved: migration
0018 drops that column, because a key that has been in the database cannot be made
erasable by copying it out (its old copies stay in the WAL and backups). No deployment
predates it; a development instance made before it is started afresh.

A sealed value is text: `pd1.<subject id>.<base64url(nonce || ciphertext)>`.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .canonical import canonical_json
from .errors import DecryptionError, InvalidEventError, SubjectErasedError
from .keystore import KeyStore

PREFIX = "pd1"
_CACHE_LIMIT = 10_000
NONCE_BYTES = 12
SUBJECT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

_ERASED = sa.text("SELECT 1 FROM subject_keys WHERE subject_id = :s")
_ERASED_AMONG = sa.text("SELECT subject_id FROM subject_keys WHERE subject_id IN :subjects")
_FORGET = sa.text(
    "INSERT INTO subject_keys (subject_id, erased_at) VALUES (:s, :now)"
    " ON CONFLICT (subject_id) DO NOTHING"
)
_PURGE_BATCH = 500


def is_sealed(value: object) -> bool:
    """Whether a stored value is a sealed personal field."""
    return isinstance(value, str) and value.startswith(PREFIX + ".")


class KeyVault:
    """Seals and opens personal fields with per-subject keys kept in a key store."""

    def __init__(
        self, engine: sa.Engine, master_key: bytes, keys: KeyStore, cache_seconds: float = 5.0
    ) -> None:
        """`engine`: where the erasure tombstones are; `keys`: where the wrapped keys are.
        `cache_seconds`: how long an opened data key is kept in memory. Forgetting a
        subject evicts it at once in this process; other processes may use a cached key
        for at most this long afterwards. 0 turns the cache off."""
        if len(master_key) != 32:
            raise ValueError("the vault's master key must be 32 bytes")
        self._engine = engine
        self._keys = keys
        self._master = AESGCM(master_key)
        self._master_secret = master_key
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, AESGCM]] = {}
        self._cache_guard = threading.Lock()

    @staticmethod
    def generate_master_key() -> bytes:
        """A fresh random master key."""
        return AESGCM.generate_key(bit_length=256)

    def seal(self, subject_id: str, event_id: str, field: str, value: Any) -> str:
        """Encrypt one personal field of an event for its subject."""
        _check_subject(subject_id)
        key = self._cipher(subject_id, create=True)
        nonce = os.urandom(NONCE_BYTES)
        plaintext = canonical_json(value).encode()
        ciphertext = key.encrypt(nonce, plaintext, _associated(subject_id, event_id, field))
        body = base64.urlsafe_b64encode(nonce + ciphertext).rstrip(b"=").decode()
        return f"{PREFIX}.{subject_id}.{body}"

    def open(self, sealed: str, event_id: str, field: str) -> Any:
        """Decrypt a sealed field; `SubjectErasedError` once its subject is forgotten."""
        subject_id, blob = _parse(sealed)
        key = self._cipher(subject_id, create=False)
        try:
            plaintext = key.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _associated(subject_id, event_id, field)
            )
        except InvalidTag:
            raise DecryptionError(
                f"the sealed {field} of event {event_id} does not open: it was altered or moved"
            ) from None
        return json.loads(plaintext)

    def pseudonym(self, purpose: str, value: str) -> str:
        """A stable id for `value` that cannot be turned back into it without the master
        key: HMAC-SHA-256 under a key derived from the master key for `purpose`."""
        key = hmac.new(self._master_secret, f"pseudonym|{purpose}".encode(), "sha256").digest()
        return hmac.new(key, value.encode(), "sha256").hexdigest()[:32]

    def forget(self, subject_id: str) -> None:
        """Delete the subject's key for good; sealing for them is refused from now on.

        The tombstone is committed before the key is deleted, so an OSError from the key
        store leaves the subject forgotten (nothing opens or seals for them) and a retry
        finishes the deletion."""
        _check_subject(subject_id)
        with self._cache_guard:
            self._cache.pop(subject_id, None)
        with self._engine.begin() as conn:
            conn.execute(_FORGET, {"s": subject_id, "now": _now()})
        self._keys.delete(subject_id)

    def is_forgotten(self, subject_id: str) -> bool:
        """Whether the subject has been forgotten (their key deleted)."""
        with self._engine.connect().execution_options(read_only=True) as conn:
            return conn.execute(_ERASED, {"s": subject_id}).first() is not None

    def purge_forgotten_keys(self) -> int:
        """Delete every key in the store whose subject was forgotten (a restored key-store
        backup brings such keys back); how many were deleted."""
        stored = sorted(self._keys.subjects())
        purged = 0
        for start in range(0, len(stored), _PURGE_BATCH):
            batch = stored[start : start + _PURGE_BATCH]
            query = _ERASED_AMONG.bindparams(sa.bindparam("subjects", expanding=True))
            with self._engine.connect().execution_options(read_only=True) as conn:
                forgotten = conn.execute(query, {"subjects": batch}).scalars().all()
            for subject_id in forgotten:
                self._keys.delete(subject_id)
                purged += 1
        return purged

    def _cipher(self, subject_id: str, *, create: bool) -> AESGCM:
        """The subject's data key, from the cache while it is fresh."""
        now = time.monotonic()
        cached = self._cache.get(subject_id)
        if cached is not None and now - cached[0] < self._cache_seconds:
            return cached[1]
        cipher = AESGCM(self._data_key(subject_id, create=create))
        if self._cache_seconds > 0:
            with self._cache_guard:
                if len(self._cache) >= _CACHE_LIMIT:
                    self._cache.clear()
                self._cache[subject_id] = (now, cipher)
        return cipher

    def _data_key(self, subject_id: str, *, create: bool) -> bytes:
        """The tombstone is read before the key and again whenever the key is missing or
        new: a forgetting in another process writes its tombstone before it deletes."""
        self._refuse_if_forgotten(subject_id)
        wrapped = self._keys.get(subject_id)
        if wrapped is None and create:
            wrapped = self._keys.put_if_absent(
                subject_id, self._wrap(subject_id, AESGCM.generate_key(bit_length=256))
            )
            self._refuse_if_forgotten(subject_id)
        if wrapped is None:
            self._refuse_if_forgotten(subject_id)
            raise DecryptionError(f"there is no key for subject {subject_id}")
        return self._unwrap(subject_id, wrapped)

    def _refuse_if_forgotten(self, subject_id: str) -> None:
        """SubjectErasedError for a forgotten subject, deleting any key of theirs left in
        the store (a restored backup, an interrupted forgetting, a racing creation)."""
        if self.is_forgotten(subject_id):
            if self._keys.get(subject_id) is not None:
                self._keys.delete(subject_id)
            raise SubjectErasedError(subject_id)

    def _wrap(self, subject_id: str, data_key: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._master.encrypt(nonce, data_key, _key_label(subject_id))

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        try:
            return self._master.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _key_label(subject_id)
            )
        except InvalidTag:
            raise DecryptionError(
                f"the key of subject {subject_id} does not open with this master key"
            ) from None


def _check_subject(subject_id: object) -> None:
    if not isinstance(subject_id, str) or not SUBJECT_ID.match(subject_id):
        raise InvalidEventError("a subject id is 1 to 64 letters, digits, '-' or '_'")


def _parse(sealed: object) -> tuple[str, bytes]:
    if not is_sealed(sealed):
        raise DecryptionError("this value is not a sealed personal field")
    assert isinstance(sealed, str)
    parts = sealed.split(".")
    if len(parts) != 3 or not SUBJECT_ID.match(parts[1]):
        raise DecryptionError("this sealed value is malformed")
    try:
        blob = base64.urlsafe_b64decode(parts[2] + "=" * (-len(parts[2]) % 4))
    except ValueError:
        raise DecryptionError("this sealed value is malformed") from None
    if len(blob) <= NONCE_BYTES:
        raise DecryptionError("this sealed value is malformed")
    return parts[1], blob


def _associated(subject_id: str, event_id: str, field: str) -> bytes:
    return f"{PREFIX}|{subject_id}|{event_id}|{field}".encode()


def _key_label(subject_id: str) -> bytes:
    return f"subject-key|{subject_id}".encode()


def _now() -> datetime:
    return datetime.now(UTC)
