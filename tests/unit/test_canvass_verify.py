"""The independent verifier, held to the RFC vectors, the service's own hashes, and tampering."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given

from canvass_verify.canonical import (
    MalformedEventError,
    canonical_json,
    event_leaf_hash,
    parse_event,
)
from canvass_verify.cli import main
from canvass_verify.merkle import (
    InclusionProofBuilder,
    ProofError,
    RootBuilder,
    verify_consistency,
    verify_inclusion,
)
from canvass_verify.note import NoteError, VerifierKey, parse_checkpoint, read_note
from tests.support import jcs_vectors as jcs
from tests.support.jcs_vectors import SAFE_JSON

ORIGIN = "canvass.example/log"
TOKEN = "s3cret-token"


# --- an independent reference: RFC 6962 section 2.1, written as its recursive definitions ---


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def reference_root(leaves: list[bytes]) -> bytes:
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(reference_root(leaves[:k]), reference_root(leaves[k:]))


def reference_path(m: int, leaves: list[bytes]) -> list[bytes]:
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if m < k:
        return [*reference_path(m, leaves[:k]), reference_root(leaves[k:])]
    return [*reference_path(m - k, leaves[k:]), reference_root(leaves[:k])]


def reference_consistency(m: int, leaves: list[bytes], complete: bool = True) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if complete else [reference_root(leaves)]
    k = _split(n)
    if m <= k:
        return [*reference_consistency(m, leaves[:k], complete), reference_root(leaves[k:])]
    return [*reference_consistency(m - k, leaves[k:], False), reference_root(leaves[:k])]


# --- a log key, synthetic events, export files ----------------------------------------------


class LogKey:
    """An Ed25519 note signer, as the service would hold it."""

    def __init__(self, name: str = ORIGIN) -> None:
        self.name = name
        self.private = Ed25519PrivateKey.generate()
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = hashlib.sha256(name.encode() + b"\n\x01" + public).digest()[:4]
        encoded = _b64(bytes([1]) + public)
        self.verifier = f"{name}+{self.key_id.hex()}+{encoded}"

    def checkpoint(self, size: int, root: bytes, origin: str = ORIGIN) -> bytes:
        body = f"{origin}\n{size}\n{_b64(root)}\n"
        return self.sign(body, self.private)

    def sign(self, body: str, private: Ed25519PrivateKey) -> bytes:
        signature = private.sign(body.encode())
        return f"{body}\n\u2014 {self.name} {_b64(self.key_id + signature)}\n".encode()


def synthetic_events(count: int) -> list[dict[str, Any]]:
    versions: dict[str, int] = {}
    events = []
    for position in range(1, count + 1):
        stream = f"camera-{position % 3}"
        versions[stream] = versions.get(stream, 0) + 1
        event = {
            "position": position,
            "stream_id": stream,
            "version": versions[stream],
            "event_id": str(uuid.UUID(int=position * 7919)),
            "type": "CameraRegistered" if versions[stream] == 1 else "CameraMoved",
            "schema_version": 1,
            "recorded_at": f"2025-03-0{1 + position % 9}T10:11:12.{position:06d}Z",
            "data": {"name": "Café «Nord» №7", "lat": 42.33 + position / 1000, "n": position},
            "metadata": {"actor": "user-1", "why": None, "tags": ["a", "b"]},
        }
        event["leaf_hash"] = _b64(event_leaf_hash(event))
        events.append(event)
    return events


def leaves_of(events: list[dict[str, Any]]) -> list[bytes]:
    return [base64.b64decode(event["leaf_hash"]) for event in events]


def json_lines(events: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(e, ensure_ascii=False).encode() + b"\n" for e in events)


class Log:
    """A signed log on disk: the key, two checkpoints and an export to tamper with."""

    def __init__(self, directory: Path, count: int = 10, saved_size: int = 6) -> None:
        self.directory = directory
        self.key = LogKey()
        self.events = synthetic_events(count)
        self.leaves = leaves_of(self.events)
        self.key_file = self.write("key.pub", self.key.verifier.encode() + b"\n")
        self.saved = self.write("saved.checkpoint", self.signed(saved_size))
        self.new = self.write("new.checkpoint", self.signed(count))
        self.export = self.write("events.jsonl", json_lines(self.events))

    def signed(self, size: int) -> bytes:
        return self.key.checkpoint(size, reference_root(self.leaves[:size]))

    def write(self, name: str, content: bytes) -> Path:
        path = self.directory / name
        path.write_bytes(content)
        return path

    def argv(self, *extra: str, export: Path | None = None) -> list[str]:
        return [
            "--public-key",
            str(self.key_file),
            "--checkpoint",
            str(self.saved),
            "--export",
            str(export or self.export),
            "--new-checkpoint",
            str(self.new),
            *extra,
        ]


@pytest.fixture
def log(tmp_path: Path) -> Log:
    return Log(tmp_path)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(argv)
    return code, capsys.readouterr().out.splitlines()


# --- Merkle proofs ---------------------------------------------------------------------------


def _vectors(shared_data: Path, kind: str) -> list[tuple[Path, dict[str, Any]]]:
    files = sorted((shared_data / "merkle-vectors" / kind).rglob("*.json"))
    return [(path, json.loads(path.read_text())) for path in files]


def _raw(text: str | None) -> bytes:
    return base64.b64decode(text or "")


def _rejects(check: Callable[[], None]) -> bool:
    try:
        check()
    except ProofError:
        return True
    return False


def test_every_inclusion_vector_is_accepted_or_rejected_as_the_rfc_requires(shared_data):
    vectors = _vectors(shared_data, "inclusion")
    wrong = [
        path.name
        for path, v in vectors
        if v["wantErr"]
        != _rejects(
            lambda v=v: verify_inclusion(
                v["leafIdx"],
                v["treeSize"],
                _raw(v["leafHash"]),
                [_raw(p) for p in v["proof"] or []],
                _raw(v["root"]),
            )
        )
    ]
    assert len(vectors) == 98
    assert wrong == []


def test_every_consistency_vector_is_accepted_or_rejected_as_the_rfc_requires(shared_data):
    vectors = _vectors(shared_data, "consistency")
    wrong = [
        path.name
        for path, v in vectors
        if v["wantErr"]
        != _rejects(
            lambda v=v: verify_consistency(
                v["size1"],
                v["size2"],
                [_raw(p) for p in v["proof"] or []],
                _raw(v["root1"]),
                _raw(v["root2"]),
            )
        )
    ]
    assert len(vectors) == 98
    assert wrong == []


RFC_TEST_LEAVES = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657"]
RFC_TEST_LEAVES.append("606162636465666768696a6b6c6d6e6f")


def test_the_root_of_the_eight_rfc_test_leaves_is_the_published_one():
    builder = RootBuilder()
    for entry in RFC_TEST_LEAVES:
        builder.append(hashlib.sha256(b"\x00" + bytes.fromhex(entry)).digest())
    assert builder.root().hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_the_streamed_root_equals_the_recursive_definition_at_every_size():
    leaves = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(70)]
    builder = RootBuilder()
    assert builder.root() == reference_root([])
    for size, leaf in enumerate(leaves, start=1):
        builder.append(leaf)
        assert builder.root() == reference_root(leaves[:size])


def test_proofs_built_in_one_pass_are_the_rfc_paths_and_verify():
    leaves = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(21)]
    for size in range(1, 22):
        root = reference_root(leaves[:size])
        for index in range(size):
            builder = InclusionProofBuilder(index, size)
            for offered, leaf in enumerate(leaves):
                builder.append(offered, leaf)
            assert builder.proof() == reference_path(index, leaves[:size])
            verify_inclusion(index, size, leaves[index], builder.proof(), root)


def test_every_consistency_proof_of_the_rfc_definition_verifies():
    leaves = [hashlib.sha256(b"\x00" + bytes([i])).digest() for i in range(21)]
    for size2 in range(1, 22):
        for size1 in range(1, size2 + 1):
            proof = reference_consistency(size1, leaves[:size2])
            root1, root2 = reference_root(leaves[:size1]), reference_root(leaves[:size2])
            verify_consistency(size1, size2, proof, root1, root2)
            if size1 < size2:
                with pytest.raises(ProofError):
                    verify_consistency(size1, size2, proof, root1, bytes(32))


# --- hash rule v2: RFC 8785, written again from the RFC ----------------------------------


def test_the_verifier_gives_the_rfc_8785_sample_its_canonical_text():
    assert canonical_json(json.loads(jcs.RFC_8785_SAMPLE)) == jcs.RFC_8785_SAMPLE_OUTPUT
    assert list(json.loads(canonical_json(json.loads(jcs.RFC_8785_SORTING)))) == (
        jcs.RFC_8785_SORTED_NAMES
    )


@pytest.mark.parametrize(("ieee_754", "expected"), jcs.APPENDIX_B_NUMBERS)
def test_the_verifier_writes_numbers_as_rfc_8785_appendix_b_shows(ieee_754, expected):
    assert canonical_json({"n": jcs.double(ieee_754)}) == f'{{"n":{expected}}}'


def test_the_verifier_reads_integers_beyond_2_53_as_the_doubles_json_makes_them():
    # What JavaScript's JSON.parse and every RFC 8785 implementation over doubles do.
    assert canonical_json([10**16, 2**60, -(2**53) - 1]) == (
        "[10000000000000000,1152921504606847000,-9007199254740992]"
    )


def test_an_event_with_a_lone_surrogate_cannot_be_encoded(log):
    event = parse_event(json.dumps({**log.events[0], "data": {"label": "\ud800"}}))
    with pytest.raises(MalformedEventError, match="cannot be encoded canonically"):
        event_leaf_hash(event)


@given(SAFE_JSON)
def test_the_verifier_agrees_with_the_rfc8785_package_on_exported_json(value):
    exported = json.loads(json.dumps(value))
    assert canonical_json(exported).encode() == rfc8785.dumps(exported)


# --- canonical events, against the service's own implementation ----------------------------


def test_leaf_hashes_equal_the_services_own(log):
    from events_store import canonical as service_canonical

    for event in log.events[:5]:
        members = {name: value for name, value in event.items() if name != "leaf_hash"}
        assert event_leaf_hash(event) == service_canonical.event_leaf_hash(members)


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"position": 1, "position": 2}', "appears twice"),
        (b'{"x": NaN}', "not a JSON number"),
        (b'{"leaf_hash": "", "extra": 1}', r"unexpected member\(s\) extra"),
    ],
)
def test_lines_that_are_not_exported_events_are_refused(line, reason):
    with pytest.raises(MalformedEventError, match=reason):
        parse_event(line)


@pytest.mark.parametrize(
    ("member", "value", "reason"),
    [
        ("position", "1", "position is not a whole number"),
        ("version", True, "version is not a whole number"),
        ("event_id", "0000ABCD-0000-0000-0000-000000000000", "lower-case UUID"),
        ("recorded_at", "2025-03-01T10:11:12Z", "recorded_at is not UTC text"),
        ("data", [], "data is not an object"),
    ],
)
def test_events_whose_members_break_the_rules_are_refused(log, member, value, reason):
    with pytest.raises(MalformedEventError, match=reason):
        event_leaf_hash({**log.events[0], member: value})


def test_an_event_store_export_verifies_and_carries_the_services_leaf_hashes(
    store, tmp_path, capsys
):
    from events_store import NO_STREAM, NewEvent

    for camera in range(3):
        store.append(
            f"camera-{camera}",
            [
                NewEvent("CameraRegistered", {"name": f"Caméra {camera}", "lat": 42.3 + camera}),
                NewEvent("CameraMoved", {"lat": 0.1, "tags": ["ü", 1e21]}, {"actor": "a"}),
            ],
            NO_STREAM,
        )
    recorded = store.read_all()
    exported = [
        {
            "position": event.position,
            "stream_id": event.stream_id,
            "version": event.version,
            "event_id": event.event_id,
            "type": event.type,
            "schema_version": event.schema_version,
            "recorded_at": event.recorded_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "data": event.data,
            "metadata": event.metadata,
            "leaf_hash": _b64(event.leaf_hash),
        }
        for event in recorded
    ]
    assert [event_leaf_hash(e) for e in exported] == [e.leaf_hash for e in recorded]
    key, leaves = LogKey(), [e.leaf_hash for e in recorded]
    (tmp_path / "saved").write_bytes(key.checkpoint(2, reference_root(leaves[:2])))
    (tmp_path / "new").write_bytes(key.checkpoint(6, reference_root(leaves)))
    (tmp_path / "events.jsonl").write_bytes(json_lines(exported))
    code, out = run(
        [
            *("--public-key", key.verifier, "--checkpoint", str(tmp_path / "saved")),
            *("--export", str(tmp_path / "events.jsonl")),
            *("--new-checkpoint", str(tmp_path / "new"), "--event", "4"),
        ],
        capsys,
    )
    assert code == 0, out
    assert out[-1] == (
        "VERIFIED: the log of 6 events is complete and unaltered since the saved checkpoint "
        "of size 2."
    )
    assert (
        "OK  event 4 (type CameraMoved, stream camera-1) is included in the tree of size 6" in out
    )


# --- signed notes ----------------------------------------------------------------------------


def test_a_checkpoint_with_extension_lines_and_foreign_signatures_verifies(log):
    other = LogKey("witness.example")
    body = f"{ORIGIN}\n3\n{_b64(reference_root(log.leaves[:3]))}\nextension line\n"
    signed = log.key.sign(body, log.key.private)
    witnessed = signed + other.sign(body, other.private).split(b"\n\n", 1)[1]
    note = read_note(witnessed)
    note.verify(VerifierKey.parse(log.key.verifier))
    assert parse_checkpoint(note.text).size == 3


@pytest.mark.parametrize(
    ("note", "reason"),
    [
        (b"origin\n1\nAAAA\n", "no signature block"),
        (b"origin\n1\n\n\xe2\x80\x94 k AAAA*AAA\n", "not valid base64"),
        (b"origin\n\x001\n\n\xe2\x80\x94 k AAAAAAAA\n", "control characters"),
        (b"origin\n1\n\n- k AAAAAAAA\n", "does not start with an em dash"),
    ],
)
def test_malformed_notes_are_refused(note, reason):
    with pytest.raises(NoteError, match=reason):
        read_note(note)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("origin\n01\n" + _b64(bytes(32)) + "\n", "not a decimal number"),
        ("origin\n1\n" + _b64(bytes(31)) + "\n", "not 32 bytes"),
        ("origin\n1\n", "three lines"),
    ],
)
def test_malformed_checkpoints_are_refused(text, reason):
    with pytest.raises(NoteError, match=reason):
        parse_checkpoint(text)


def test_a_verifier_key_whose_id_does_not_match_is_refused(log):
    name, _, key = log.key.verifier.split("+", 2)
    with pytest.raises(NoteError, match="key id does not belong"):
        VerifierKey.parse(f"{name}+00000000+{key}")


# --- the command on an export ----------------------------------------------------------------


def test_an_intact_export_is_verified_by_the_installed_command(log):
    command = Path(sys.executable).parent / "canvass-verify"
    done = subprocess.run(
        [str(command), *log.argv("--event", "2", "9")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines() == [
        f"OK  signature of the saved checkpoint (size 6) by {ORIGIN}",
        f"OK  signature of the new checkpoint (size 10) by {ORIGIN}",
        "OK  10 events read, positions 1..10 in order without gaps",
        "OK  every leaf hash, recomputed by hash rule v2 (RFC 8785), matches",
        "OK  root at size 6 matches the saved checkpoint",
        "OK  root at size 10 matches the new checkpoint",
        "OK  event 2 (type CameraRegistered, stream camera-2) is included in the tree of size 10",
        "OK  event 9 (type CameraMoved, stream camera-0) is included in the tree of size 10",
        "VERIFIED: the log of 10 events is complete and unaltered since the saved checkpoint "
        "of size 6.",
    ]
    assert done.stderr == ""


def test_a_tampered_export_fails_the_installed_command_with_exit_code_1(log):
    log.events[3]["data"]["n"] = 999
    tampered = log.write("tampered.jsonl", json_lines(log.events))
    command = Path(sys.executable).parent / "canvass-verify"
    done = subprocess.run(
        [str(command), *log.argv(export=tampered)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].startswith("NOT VERIFIED: leaf hashes: 1 of 10 events")


def test_a_gzip_export_is_read_too(log, capsys):
    packed = log.write("events.jsonl.gz", gzip.compress(json_lines(log.events)))
    code, out = run(log.argv(export=packed), capsys)
    assert code == 0, out


def _change_data(events: list[dict[str, Any]]) -> None:
    events[3]["data"]["lat"] = 0.0


def _change_data_and_rehash(events: list[dict[str, Any]]) -> None:
    events[3]["data"]["lat"] = 0.0
    events[3]["leaf_hash"] = _b64(event_leaf_hash(events[3]))


def _delete(events: list[dict[str, Any]]) -> None:
    del events[4]


def _delete_and_renumber(events: list[dict[str, Any]]) -> None:
    del events[4]
    for position, event in enumerate(events, start=1):
        event["position"] = position
        event["leaf_hash"] = _b64(event_leaf_hash(event))


def _swap(events: list[dict[str, Any]]) -> None:
    events[2], events[3] = events[3], events[2]


def _swap_and_renumber(events: list[dict[str, Any]]) -> None:
    events[2], events[3] = events[3], events[2]
    for position in (3, 4):
        events[position - 1]["position"] = position
        events[position - 1]["leaf_hash"] = _b64(event_leaf_hash(events[position - 1]))


def _drop_last(events: list[dict[str, Any]]) -> None:
    events.pop()


@pytest.mark.parametrize(
    ("tamper", "verdict"),
    [
        (_change_data, "NOT VERIFIED: leaf hashes: 1 of 10 events do not match their content"),
        (_change_data_and_rehash, "NOT VERIFIED: root at size 6 does not match the saved"),
        (_delete, "NOT VERIFIED: positions: event number 5 in order carries position 6"),
        (_delete_and_renumber, "NOT VERIFIED: the events end at position 9, before the new"),
        (_swap, "NOT VERIFIED: positions: event number 3 in order carries position 4"),
        (_swap_and_renumber, "NOT VERIFIED: root at size 6 does not match the saved"),
        (_drop_last, "NOT VERIFIED: the events end at position 9, before the new checkpoint's"),
    ],
)
def test_a_changed_deleted_or_reordered_event_is_not_verified(log, capsys, tamper, verdict):
    tamper(log.events)
    tampered = log.write("tampered.jsonl", json_lines(log.events))
    code, out = run(log.argv(export=tampered), capsys)
    assert code == 1
    assert out[-1].startswith(verdict), out


def test_a_forged_checkpoint_signature_is_not_verified(log, capsys):
    body = f"{ORIGIN}\n10\n{_b64(reference_root(log.leaves))}\n"
    log.write("new.checkpoint", log.key.sign(body, Ed25519PrivateKey.generate()))
    code, out = run(log.argv(), capsys)
    assert code == 1
    assert out[1] == (
        f"FAIL  signature of the new checkpoint (size 10): its signature by {ORIGIN!r} is not valid"
    )
    assert out[-1].startswith("NOT VERIFIED: signature of the new checkpoint (size 10)")


def test_a_checkpoint_signed_by_another_key_is_not_verified(log, capsys):
    log.write("saved.checkpoint", LogKey().checkpoint(6, reference_root(log.leaves[:6])))
    code, out = run(log.argv(), capsys)
    assert code == 1
    assert out[-1] == (
        f"NOT VERIFIED: signature of the saved checkpoint (size 6): it carries no signature "
        f"by the key {ORIGIN!r}"
    )


def test_a_saved_checkpoint_whose_root_does_not_match_is_not_verified(log, capsys):
    other_history = synthetic_events(6)
    other_history[0]["type"] = "CameraRemoved"
    other_history[0]["leaf_hash"] = _b64(event_leaf_hash(other_history[0]))
    log.write("saved.checkpoint", log.key.checkpoint(6, reference_root(leaves_of(other_history))))
    code, out = run(log.argv(), capsys)
    assert code == 1
    assert "OK  root at size 10 matches the new checkpoint" in out
    assert out[-1] == (
        "NOT VERIFIED: root at size 6 does not match the saved checkpoint: events up to "
        "position 6 were changed, removed or reordered"
    )


def test_a_new_checkpoint_smaller_than_the_saved_one_is_not_verified(log, capsys):
    log.write("new.checkpoint", log.signed(5))
    code, out = run(log.argv(), capsys)
    assert code == 1
    assert "smaller than the saved one (size 6): the log has lost events" in out[-1]


def test_without_a_new_checkpoint_only_the_saved_events_are_vouched_for(log, capsys):
    argv = log.argv()[:-2]
    code, out = run([*argv, "--event", "3", "8"], capsys)
    assert code == 1
    assert "NOTE  the 4 events after position 6 are in no checkpoint" in out
    assert out[-1] == ("NOT VERIFIED: inclusion of event 8: it is beyond the checkpoint's size 6")
    code, out = run(argv, capsys)
    assert code == 0
    assert out[-1] == (
        "VERIFIED: the first 6 events are unaltered since the saved checkpoint; the 4 later "
        "events are covered by no checkpoint given."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda argv: [*argv[:3], "missing.checkpoint", *argv[4:]], "cannot read the saved"),
        (lambda argv: ["--public-key", "not-a-key", *argv[2:]], "--public-key is neither"),
        (lambda argv: [*argv[:5], "missing.jsonl", *argv[6:]], "is not a file"),
    ],
)
def test_usage_errors_exit_with_code_2_and_a_message(log, capsys, change, message):
    code = main(change(log.argv()))
    captured = capsys.readouterr()
    assert code == 2
    assert message in captured.err
    assert "Traceback" not in captured.err


def test_a_command_line_without_a_source_exits_with_code_2(log, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(log.argv()[:4])
    assert exit_.value.code == 2


# --- the command against a service over HTTP -------------------------------------------------


class FakeAuditService:
    """Serves a prepared log the way the audit API does, and remembers what was asked."""

    def __init__(self, log: Log) -> None:
        self.log = log
        self.checkpoint = log.new.read_bytes()
        self.lines = json_lines(log.events).splitlines(keepends=True)
        self.consistency: list[str] | None = None
        self.requests: list[str] = []

    def answer(self, path: str, query: dict[str, int], token: str | None) -> tuple[int, bytes]:
        self.requests.append(path)
        if path == "checkpoint":
            return 200, self.checkpoint
        if token != f"Bearer {TOKEN}":
            return 401, b'{"message": "unauthorized"}'
        leaves = self.log.leaves
        if path == "events":
            after, limit = query["after"], query["limit"]
            assert limit <= 1000
            return 200, b"".join(self.lines[after : after + limit])
        if path == "proof/inclusion":
            proof = reference_path(query["position"] - 1, leaves[: query["size"]])
            return 200, json.dumps({"proof": [_b64(p) for p in proof]}).encode()
        if path == "proof/consistency":
            real = reference_consistency(query["from"], leaves[: query["to"]])
            proof = self.consistency or [_b64(p) for p in real]
            return 200, json.dumps({"from": query["from"], "proof": proof}).encode()
        return 404, b""


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[FakeAuditService, str]]:
    fake = FakeAuditService(Log(tmp_path, count=2500, saved_size=1200))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: int(v[0]) for k, v in parse_qs(url.query).items()}
            path = url.path.removeprefix("/api/v1/audit/")
            status, body = fake.answer(path, query, self.headers.get("Authorization"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield fake, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


def _url_argv(fake: FakeAuditService, url: str, *extra: str) -> list[str]:
    log = fake.log
    return ["--public-key", log.key.verifier, "--checkpoint", str(log.saved), "--url", url, *extra]


def test_a_service_is_verified_page_by_page_with_its_proofs(service, capsys, monkeypatch):
    fake, url = service
    monkeypatch.setenv("CANVASS_TOKEN", TOKEN)
    code, out = run(_url_argv(fake, url, "--event", "1500"), capsys)
    assert code == 0, out
    assert "OK  consistency proof from size 1200 to 2500 (RFC 9162)" in out
    assert "OK  2500 events read, positions 1..2500 in order without gaps" in out
    assert any(line.startswith("OK  event 1500 (type CameraMoved") for line in out)
    assert out[-1] == (
        "VERIFIED: the log of 2500 events is complete and unaltered since the saved "
        "checkpoint of size 1200."
    )
    assert fake.requests.count("events") == 3


def test_a_service_whose_consistency_proof_is_wrong_is_not_verified(service, capsys):
    fake, url = service
    fake.consistency = [_b64(bytes(32))] * 3
    code, out = run(_url_argv(fake, url, "--token", TOKEN), capsys)
    assert code == 1
    assert out[-1].startswith("NOT VERIFIED: consistency of the saved checkpoint (size 1200)")


def test_a_service_that_rewrote_its_history_is_not_verified(service, capsys):
    fake, url = service
    rewritten = synthetic_events(2500)
    rewritten[99]["data"]["n"] = -1
    rewritten[99]["leaf_hash"] = _b64(event_leaf_hash(rewritten[99]))
    fake.checkpoint = fake.log.key.checkpoint(2500, reference_root(leaves_of(rewritten)))
    code, out = run(_url_argv(fake, url, "--token", TOKEN), capsys)
    assert code == 1
    assert out[-1] == (
        "NOT VERIFIED: consistency of the saved checkpoint (size 1200) with the new one "
        "(size 2500): the proof does not lead to the second root"
    )


def test_a_service_serving_a_changed_event_is_not_verified(service, capsys):
    fake, url = service
    fake.lines[1700] = fake.lines[1700].replace(b'"actor": "user-1"', b'"actor": "user-2"')
    code, out = run(_url_argv(fake, url, "--token", TOKEN), capsys)
    assert code == 1
    assert out[-1].startswith("NOT VERIFIED: leaf hashes: 1 of 2500 events")


def test_a_service_that_refuses_the_token_exits_with_code_2(service, capsys, monkeypatch):
    fake, url = service
    monkeypatch.delenv("CANVASS_TOKEN", raising=False)
    code, out = run(_url_argv(fake, url), capsys)
    assert code == 2
    assert out[-1].startswith("NOT VERIFIED: could not finish: the service refused")
    assert "--token or CANVASS_TOKEN" in out[-1]


def test_an_unreachable_service_exits_with_code_2(log, capsys):
    with HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    argv = ["--public-key", log.key.verifier, "--checkpoint", str(log.saved)]
    code, out = run([*argv, "--url", f"http://127.0.0.1:{port}", "--timeout", "2"], capsys)
    assert code == 2
    assert out[-1].startswith(
        f"NOT VERIFIED: could not finish: cannot reach http://127.0.0.1:{port}"
    )
