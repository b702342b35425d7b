"""Checkpoints are C2SP signed notes that verify, and any change to one is caught."""

from __future__ import annotations

import base64
import hashlib
import re
import stat
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoints import (
    Checkpoint,
    CheckpointError,
    key_id,
    load_or_create_key,
    parse_and_verify,
    sign_checkpoint,
    sign_note,
    verifier_key,
    verify_note,
)
from audit.identity import LogIdentity, disagreement

ORIGIN = "canvass.example.gov/log"
ROOT = hashlib.sha256(b"a root").digest()

# The example key and note of golang.org/x/mod/sumdb/note, the reference implementation.
GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_PRIVATE_SEED = base64.b64decode("AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz")[1:]
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE = (
    "— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


@pytest.fixture(scope="module")
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def verifier(key) -> str:
    return verifier_key(ORIGIN, key.public_key())


@pytest.fixture(scope="module")
def note(key) -> str:
    return sign_checkpoint(ORIGIN, 4711, ROOT, key, ORIGIN)


def test_a_signed_checkpoint_reads_back_as_what_was_signed(note, verifier):
    assert parse_and_verify(note, verifier) == Checkpoint(ORIGIN, 4711, ROOT)
    assert parse_and_verify(note, verifier, origin=ORIGIN).size == 4711


def test_a_checkpoint_is_laid_out_as_c2sp_specifies(note, key):
    body, signature_line = note.split("\n\n")
    signature = base64.b64decode(signature_line.split(" ")[2])

    assert body == f"{ORIGIN}\n4711\n{base64.b64encode(ROOT).decode()}"
    assert signature_line.startswith(f"\u2014 {ORIGIN} ")
    assert signature[:4] == key_id(ORIGIN, key.public_key())
    key.public_key().verify(signature[4:], (body + "\n").encode())


def test_keys_ids_and_signatures_match_the_go_reference_byte_for_byte():
    key = Ed25519PrivateKey.from_private_bytes(GO_PRIVATE_SEED)

    assert verifier_key("PeterNeumann", key.public_key()) == GO_VERIFIER_KEY
    assert sign_note(GO_TEXT, key, "PeterNeumann") == GO_TEXT + "\n" + GO_SIGNATURE
    assert verify_note(GO_TEXT + "\n" + GO_SIGNATURE, GO_VERIFIER_KEY) == GO_TEXT


def test_an_empty_tree_can_be_signed(key, verifier):
    empty_root = hashlib.sha256(b"").digest()
    note = sign_checkpoint(ORIGIN, 0, empty_root, key, ORIGIN)
    assert parse_and_verify(note, verifier) == Checkpoint(ORIGIN, 0, empty_root)


OTHER_ROOT = base64.b64encode(hashlib.sha256(b"another root").digest()).decode()


def flip_signature(note: str) -> str:
    replacement = "A" if note[-4] != "A" else "B"
    return note[:-4] + replacement + note[-3:]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param(lambda n: n.replace("\n4711\n", "\n4712\n"), "does not match", id="size"),
        pytest.param(
            lambda n: n.replace("\n4711\n", "\n04711\n"), "does not match", id="size-zeros"
        ),
        pytest.param(
            lambda n: n.replace(base64.b64encode(ROOT).decode(), OTHER_ROOT),
            "does not match",
            id="root",
        ),
        pytest.param(
            lambda n: n.replace(ORIGIN + "\n", "canvass.example.org/log\n", 1),
            "does not match",
            id="origin",
        ),
        pytest.param(flip_signature, "does not match the note", id="signature"),
        pytest.param(
            lambda n: n.replace(f"\u2014 {ORIGIN} ", "\u2014 someone.else/log "),
            "not signed by the key",
            id="key-name",
        ),
        pytest.param(
            lambda n: n.replace("\u2014 ", "-- "), "malformed signature line", id="no-em-dash"
        ),
        pytest.param(
            lambda n: n.replace("\n\n", "\n"), "no empty line before the sig", id="no-gap"
        ),
        pytest.param(lambda n: n.split("\n\n")[0] + "\n\n", "carries no signature", id="unsigned"),
        pytest.param(
            lambda n: n.replace("4711", "47\t11"), "control characters", id="control-code"
        ),
        pytest.param(lambda n: n.rstrip("\n"), "or no end", id="no-final-newline"),
        pytest.param(
            lambda n: n + f"\u2014 {ORIGIN} !!!\n", "malformed signature line", id="junk-line"
        ),
    ],
)
def test_a_tampered_or_malformed_note_is_rejected(note, verifier, change, message):
    with pytest.raises(CheckpointError, match=message):
        parse_and_verify(change(note), verifier)


def test_a_note_signed_only_by_an_unknown_key_is_rejected(verifier):
    stranger = Ed25519PrivateKey.generate()
    note = sign_checkpoint(ORIGIN, 4711, ROOT, stranger, ORIGIN)

    with pytest.raises(
        CheckpointError, match=re.escape("not signed by the key 'canvass.example.gov/log'")
    ):
        parse_and_verify(note, verifier)


def test_signatures_by_other_keys_are_ignored_beside_ours(note, verifier):
    witness = Ed25519PrivateKey.generate()
    cosigned = sign_note(note.split("\n\n")[0] + "\n", witness, "witness.example.org")
    both = note + cosigned.split("\n\n")[1]

    assert parse_and_verify(both, verifier).size == 4711


def test_a_checkpoint_from_another_log_is_rejected_when_the_origin_is_given(note, verifier):
    with pytest.raises(
        CheckpointError, match=re.escape("is for log 'canvass.example.gov/log', not 'x/y'")
    ):
        parse_and_verify(note, verifier, origin="x/y")


def test_a_checkpoint_body_must_be_origin_size_and_root(key, verifier):
    note = sign_note(f"{ORIGIN}\nmany\n{base64.b64encode(ROOT).decode()}\n", key, ORIGIN)
    with pytest.raises(CheckpointError, match="'many' is not a decimal number"):
        parse_and_verify(note, verifier)

    note = sign_note(f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:20]).decode()}\n", key, ORIGIN)
    with pytest.raises(CheckpointError, match="is not a base64 SHA-256 hash"):
        parse_and_verify(note, verifier)

    with pytest.raises(CheckpointError, match="needs an origin, a tree size and a root hash"):
        parse_and_verify(sign_note(f"{ORIGIN}\n5\n", key, ORIGIN), verifier)


@pytest.mark.parametrize(
    "bad_key",
    [
        "",
        "canvass.example.gov/log",
        GO_VERIFIER_KEY.replace("c74f20a3", "c74f20a4"),
        GO_VERIFIER_KEY.replace("+ARpc", "+AhLc"),
        GO_VERIFIER_KEY.replace("PeterNeumann", "Peter Neumann"),
        GO_VERIFIER_KEY[:-4],
    ],
)
def test_a_malformed_verifier_key_is_refused(bad_key):
    with pytest.raises(CheckpointError, match="verifier key"):
        verify_note(GO_TEXT + "\n" + GO_SIGNATURE, bad_key)


@pytest.mark.parametrize(
    ("origin", "size", "root", "name", "message"),
    [
        pytest.param("", 1, ROOT, ORIGIN, "cannot be a log origin", id="empty-origin"),
        pytest.param("a\nb", 1, ROOT, ORIGIN, "cannot be a log origin", id="two-line-origin"),
        pytest.param(ORIGIN, -1, ROOT, ORIGIN, "a tree of -1 leaves", id="negative-size"),
        pytest.param(ORIGIN, 1, ROOT[:31], ORIGIN, "31-byte root", id="short-root"),
        pytest.param(ORIGIN, 1, ROOT, "two words", "cannot be a key name", id="spaced-name"),
        pytest.param(ORIGIN, 1, ROOT, "a+b", "cannot be a key name", id="plus-in-name"),
    ],
)
def test_nothing_unverifiable_is_signed(key, origin, size, root, name, message):
    with pytest.raises(CheckpointError, match=message):
        sign_checkpoint(origin, size, root, key, name)


def test_the_key_file_is_created_once_private_and_reused(tmp_path):
    path = tmp_path / "secrets" / "audit" / "checkpoint-key.pem"

    first = load_or_create_key(path)
    second = load_or_create_key(path)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert verifier_key("n", first.public_key()) == verifier_key("n", second.public_key())
    assert sorted(p.name for p in path.parent.iterdir()) == ["checkpoint-key.pem"]


def test_a_key_file_that_is_not_an_ed25519_key_is_refused(tmp_path):
    path = tmp_path / "key.pem"
    path.write_text("not a key")

    with pytest.raises(CheckpointError, match="does not hold a PEM private key"):
        load_or_create_key(path)


def stored_identity(key: Ed25519PrivateKey, origin: str = ORIGIN) -> LogIdentity:
    fixed = datetime(2026, 3, 1, tzinfo=UTC)
    return LogIdentity(origin, origin, verifier_key(origin, key.public_key()), fixed)


def test_settings_that_leave_the_origin_unset_never_contradict_the_log_s_identity(key):
    assert disagreement(stored_identity(key), None, key.public_key()) is None
    assert disagreement(stored_identity(key), ORIGIN, key.public_key()) is None


def test_an_origin_set_to_another_name_is_named_beside_the_one_the_log_keeps(key):
    found = disagreement(stored_identity(key), "other.example/log", key.public_key())
    assert found == (
        "CANVASS_CHECKPOINT_ORIGIN is 'other.example/log', but this log was first signed as "
        f"'{ORIGIN}' on 2026-03-01 and its checkpoints keep that name: set "
        f"CANVASS_CHECKPOINT_ORIGIN to '{ORIGIN}', or unset it."
    )


def test_another_signing_key_contradicts_the_log_s_identity(key):
    other = Ed25519PrivateKey.generate().public_key()
    found = disagreement(stored_identity(key), None, other)
    assert found is not None and found.startswith(
        "the checkpoint key (CANVASS_CHECKPOINT_KEY_FILE)"
    )


def test_a_log_signed_before_identities_were_kept_accepts_the_key_it_has(key):
    older = LogIdentity(ORIGIN, ORIGIN, None, datetime(2026, 3, 1, tzinfo=UTC))
    assert disagreement(older, None, Ed25519PrivateKey.generate().public_key()) is None
