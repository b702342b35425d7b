"""C2SP signed notes and tlog checkpoints, verified with an Ed25519 verifier key.

A note is UTF-8 text, a blank line, then signature lines `— <key name> <base64>`, where
the base64 holds a 4-byte key id and a 64-byte Ed25519 signature of the text. A checkpoint
is a note whose text is `<origin>\\n<tree size>\\n<base64 root>\\n`, perhaps with more lines.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ED25519: Final = 0x01
SIGNATURE_PREFIX: Final = "\u2014 "
_DECIMAL: Final = re.compile(r"0|[1-9][0-9]*")
_CONTROL: Final = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")


class NoteError(ValueError):
    """A key, note or checkpoint that is malformed or not signed as it must be."""


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A named Ed25519 public key, as the text `<name>+<hex key id>+<base64 key>`."""

    name: str
    key_id: bytes
    public_key: Ed25519PublicKey

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        """Read a verifier key and check that its id belongs to its name and key."""
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not _valid_key_name(parts[0]):
            raise NoteError("a verifier key reads <name>+<8 hex digits>+<base64 key>")
        name, key_id_hex, encoded = parts
        if not re.fullmatch(r"[0-9a-fA-F]{8}", key_id_hex):
            raise NoteError("the key id of a verifier key must be 8 hex digits")
        key = _b64decode(encoded, "the verifier key")
        if len(key) != 33 or key[0] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key (0x01 and 32 bytes)")
        if key_id(name, key[1:]) != bytes.fromhex(key_id_hex):
            raise NoteError("the key id does not belong to the key's name and public key")
        return cls(name, bytes.fromhex(key_id_hex), Ed25519PublicKey.from_public_bytes(key[1:]))


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: who claims to have signed, and the signature bytes."""

    name: str
    key_id: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class SignedNote:
    """A note split into the text that is signed and its signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def verify(self, key: VerifierKey) -> None:
        """Require a valid signature by `key`; any failing signature by it rejects the note."""
        mine = [s for s in self.signatures if (s.name, s.key_id) == (key.name, key.key_id)]
        if not mine:
            raise NoteError(f"it carries no signature by the key {key.name!r}")
        for line in mine:
            try:
                key.public_key.verify(line.signature, self.text.encode("utf-8"))
            except InvalidSignature:
                raise NoteError(f"its signature by {key.name!r} is not valid") from None


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of a log's origin, size and root hash."""

    origin: str
    size: int
    root: bytes


def key_id(name: str, public_key: bytes) -> bytes:
    """C2SP key id: the first 4 bytes of SHA-256(name || 0x0A || 0x01 || public key)."""
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def read_note(data: bytes) -> SignedNote:
    """Split a signed note into its text and signature lines, without verifying anything."""
    try:
        note = data.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("it is not UTF-8 text") from None
    if _CONTROL.search(note):
        raise NoteError("it contains control characters")
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise NoteError("it has no signature block after a blank line")
    text, block = note[: split + 1], note[split + 2 :]
    return SignedNote(text, tuple(_signature(line) for line in block.splitlines()))


def parse_checkpoint(text: str) -> Checkpoint:
    """Read the origin, tree size and root hash from the signed text of a checkpoint."""
    lines = text.split("\n")[:-1]
    if len(lines) < 3 or not all(lines):
        raise NoteError("its text is not <origin>, <tree size>, <base64 root> on three lines")
    origin, size, root_text = lines[:3]
    if not _DECIMAL.fullmatch(size):
        raise NoteError(f"its tree size {size!r} is not a decimal number")
    root = _b64decode(root_text, "its root hash")
    if len(root) != 32:
        raise NoteError("its root hash is not 32 bytes")
    return Checkpoint(origin, int(size), root)


def _signature(line: str) -> NoteSignature:
    if not line.startswith(SIGNATURE_PREFIX):
        raise NoteError(f"the signature line {line[:40]!r} does not start with an em dash")
    name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
    if not _valid_key_name(name) or not encoded:
        raise NoteError(f"the signature line {line[:40]!r} is not '— <name> <base64>'")
    raw = _b64decode(encoded, "a signature")
    if len(raw) < 5:
        raise NoteError("a signature is too short to hold a key id")
    return NoteSignature(name, raw[:4], raw[4:])


def _valid_key_name(name: str) -> bool:
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def _b64decode(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise NoteError(f"{what} is not valid base64") from None
