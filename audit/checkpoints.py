"""Signed checkpoints: the log's size and root, signed with Ed25519, kept and published.

A checkpoint is a C2SP `tlog-checkpoint` written as a C2SP signed note, so that standard
tools (witnesses, monitors, `golang.org/x/mod/sumdb/note`) can check it:

    canvass.example.gov/log           <- origin
    4711                              <- tree size, decimal
    Z3yQ...=                          <- base64 RFC 6962 root at that size
                                      <- empty line
    — canvass.example.gov/log AbCd...  <- em dash, key name, base64(key id || signature)

The signature covers the body (the first three lines, newlines included) exactly. A key id
is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || public key); a verifier key
is written `<name>+<key id in hex>+<base64(0x01 || public key)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from events_store.database import UtcDateTime, reading, writing

from .merkle import HASH_SIZE
from .tree import TreeReader

SIGNATURE_PREFIX: Final = "\u2014 "
ED25519: Final = b"\x01"
MAX_SIGNATURES: Final = 100
_SIZE = re.compile(r"0|[1-9][0-9]*")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")

metadata = sa.MetaData()

audit_checkpoints = sa.Table(
    "audit_checkpoints",
    metadata,
    sa.Column("tree_size", sa.BigInteger(), primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("issued_at", UtcDateTime(), nullable=False),
    sa.Column("note", sa.Text(), nullable=False),
)


class CheckpointError(ValueError):
    """A checkpoint, note or key that is malformed or whose signature does not check out."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What a verified checkpoint asserts: the log `origin` had this root at this size."""

    origin: str
    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class IssuedCheckpoint:
    """A checkpoint the service signed and stored, with the note as published."""

    tree_size: int
    root: bytes
    issued_at: datetime
    note: str


def key_id(name: str, public_key: Ed25519PublicKey) -> bytes:
    """The 4-byte id of an Ed25519 note key, as C2SP signed-note recommends."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + _raw(public_key)).digest()[:4]


def verifier_key(name: str, public_key: Ed25519PublicKey) -> str:
    """The public text a client needs to check our checkpoints: name+id+key."""
    encoded = base64.b64encode(ED25519 + _raw(public_key)).decode()
    return f"{name}+{key_id(name, public_key).hex()}+{encoded}"


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """The log's signing key from a PEM (PKCS#8) file, created once, readable by us only.

    A new key is written to a private (mode 0600) temporary file and linked into place, so
    two processes starting together agree on one key and never read a half-written file.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(_new_key_pem())
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process linked its key first: use theirs
        finally:
            os.unlink(temporary)
    return _read_key(path)


def sign_note(text: str, key: Ed25519PrivateKey, name: str) -> str:
    """A C2SP signed note: `text` (ending in a newline), an empty line, one signature line."""
    _check_name(name)
    if not text.endswith("\n") or _CONTROL.search(text):
        raise CheckpointError("a note's text must end with a newline and hold no control codes")
    signature = key_id(name, key.public_key()) + key.sign(text.encode())
    return f"{text}\n{SIGNATURE_PREFIX}{name} {base64.b64encode(signature).decode()}\n"


def verify_note(note: str, verifier_key_text: str) -> str:
    """The text of a signed note, once its signature by the given key is checked.

    Signatures by other keys are ignored, as the signed-note format requires; the note is
    rejected unless the given key signed it, and if that signature fails.
    """
    name, expected_id, public_key = _parse_verifier_key(verifier_key_text)
    text, signatures = _split_note(note)
    matching = [s for n, s in signatures if n == name and s[:4] == expected_id]
    if not matching:
        raise CheckpointError(f"the note is not signed by the key {name!r}")
    try:
        public_key.verify(matching[0][4:], text.encode())
    except InvalidSignature:
        raise CheckpointError(
            f"the signature by {name!r} does not match the note: the note was altered"
        ) from None
    return text


def sign_checkpoint(origin: str, size: int, root: bytes, key: Ed25519PrivateKey, name: str) -> str:
    """The signed note for the tree of `size` leaves with `root`, signed as `name`."""
    if not origin or _CONTROL.search(origin) or "\n" in origin:
        raise CheckpointError(f"{origin!r} cannot be a log origin: it must be one plain line")
    if size < 0 or len(root) != HASH_SIZE:
        raise CheckpointError(f"cannot sign a tree of {size} leaves with a {len(root)}-byte root")
    return sign_note(f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n", key, name)


def parse_and_verify(text: str, verifier_key_text: str, *, origin: str | None = None) -> Checkpoint:
    """The checkpoint in a signed note, once its signature by the given key is checked
    (and, if `origin` is given, once it is known to come from that log)."""
    checkpoint = _parse_body(verify_note(text, verifier_key_text))
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return checkpoint


class Checkpoints:
    """The checkpoints the service has signed, one per tree size, newest last."""

    def __init__(self, db: sa.Engine | sa.Connection) -> None:
        self._db = db

    def issue(
        self, tree: TreeReader, key: Ed25519PrivateKey, name: str, origin: str, now: datetime
    ) -> IssuedCheckpoint:
        """Sign and keep the tree's current size and root; at a size already signed, return
        the checkpoint kept then instead of signing again."""
        if now.tzinfo is None:
            raise ValueError("a checkpoint's time must be timezone-aware")
        size = tree.size()
        existing = self.at_size(size)
        if existing:
            return existing
        root = tree.root(size)
        note = sign_checkpoint(origin, size, root, key, name)
        row = {"tree_size": size, "root": root, "issued_at": now.astimezone(UTC), "note": note}
        with writing(self._db) as conn:
            conn.execute(_INSERT, row)
        issued = self.at_size(size)
        assert issued is not None
        return issued

    def latest(self) -> IssuedCheckpoint | None:
        """The checkpoint of the largest tree signed so far, if any."""
        query = sa.select(audit_checkpoints).order_by(audit_checkpoints.c.tree_size.desc())
        return self._one(query.limit(1))

    def at_size(self, size: int) -> IssuedCheckpoint | None:
        """The checkpoint signed at exactly this tree size, if any."""
        return self._one(sa.select(audit_checkpoints).where(audit_checkpoints.c.tree_size == size))

    def _one(self, query: sa.Executable) -> IssuedCheckpoint | None:
        with reading(self._db) as conn:
            row = conn.execute(query).one_or_none()
        if row is None:
            return None
        return IssuedCheckpoint(int(row.tree_size), bytes(row.root), row.issued_at, row.note)


_INSERT = sa.text(
    "INSERT INTO audit_checkpoints (tree_size, root, issued_at, note)"
    " VALUES (:tree_size, :root, :issued_at, :note) ON CONFLICT (tree_size) DO NOTHING"
).bindparams(
    sa.bindparam("root", type_=sa.LargeBinary()),
    sa.bindparam("issued_at", type_=UtcDateTime()),
)


def _split_note(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    if _CONTROL.search(text) or not text.endswith("\n"):
        raise CheckpointError("that is not a signed note: it has control characters or no end")
    cut = text.rfind("\n\n")
    if cut < 0:
        raise CheckpointError("that is not a signed note: no empty line before the signatures")
    if cut + 2 == len(text):
        raise CheckpointError("the note carries no signature")
    lines = text[cut + 2 : -1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"the note has more than {MAX_SIGNATURES} signatures")
    return text[: cut + 1], [_parse_signature_line(line) for line in lines]


def _parse_signature_line(line: str) -> tuple[str, bytes]:
    name, _, encoded = line.removeprefix(SIGNATURE_PREFIX).partition(" ")
    signature = _b64(encoded)
    if not line.startswith(SIGNATURE_PREFIX) or not _valid_name(name) or len(signature) < 5:
        raise CheckpointError(f"malformed signature line {line!r}: want '— <name> <base64>'")
    return name, signature


def _parse_body(body: str) -> Checkpoint:
    lines = body[:-1].split("\n")
    if len(lines) < 3 or not all(lines):
        raise CheckpointError("a checkpoint needs an origin, a tree size and a root hash")
    origin, size, encoded_root = lines[:3]
    root = _b64(encoded_root)
    if not _SIZE.fullmatch(size):
        raise CheckpointError(f"the tree size {size!r} is not a decimal number")
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != encoded_root:
        raise CheckpointError(f"the root {encoded_root!r} is not a base64 SHA-256 hash")
    return Checkpoint(origin, int(size), root)


def _parse_verifier_key(text: str) -> tuple[str, bytes, Ed25519PublicKey]:
    name, _, rest = text.strip().partition("+")
    hex_id, _, encoded = rest.partition("+")
    raw = _b64(encoded)
    if not (_valid_name(name) and re.fullmatch("[0-9a-f]{8}", hex_id)):
        raise CheckpointError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
    if len(raw) != 33 or raw[:1] != ED25519:
        raise CheckpointError(f"the verifier key for {name!r} is not an Ed25519 note key")
    public_key = Ed25519PublicKey.from_public_bytes(raw[1:])
    if key_id(name, public_key).hex() != hex_id:
        raise CheckpointError(f"the verifier key for {name!r} has an id that does not match it")
    return name, bytes.fromhex(hex_id), public_key


def _check_name(name: str) -> None:
    if not _valid_name(name):
        raise CheckpointError(f"{name!r} cannot be a key name: no spaces or '+', not empty")


def _valid_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return b""


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _new_key_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _read_key(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except ValueError:
        raise CheckpointError(f"{path} does not hold a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} holds a {type(key).__name__}, not an Ed25519 key")
    return key
