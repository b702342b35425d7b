"""Auditors prove the log whole: checkpoints, proofs and the export checked by the independent
`canvass-verify`, over HTTP, and tampering behind the triggers' back found by it and by
`flask events verify`, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from waitress.server import create_server

from canvass_verify.canonical import event_leaf_hash, parse_event
from canvass_verify.merkle import root_of, verify_consistency, verify_inclusion
from events_store import ANY, NewEvent
from tests.databases import tamper
from tests.e2e.test_canvass_api import staff
from tests.smtp import free_port

VERIFY = shutil.which("canvass-verify") or str(Path(sys.executable).parent / "canvass-verify")


@pytest.fixture
def auditor(cli, client, mailbox):
    return staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")


@pytest.fixture
def live(app):
    port = free_port()
    server = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.close()
    thread.join(timeout=10)


def grow(app, until: int) -> None:
    """Append events until the log holds `until` of them."""
    store = app.extensions["canvass"].store
    while store.head() < until:
        n = store.head()
        store.append(f"site-{n % 7}", [NewEvent("CameraRegistered", {"n": n, "x": 0.1 * n})], ANY)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def verify(tmp_path, live, auditor, saved: str, *extra: str) -> subprocess.CompletedProcess:
    key = tmp_path / "public.key"
    checkpoint = tmp_path / "saved.checkpoint"
    checkpoint.write_text(saved)
    return subprocess.run(
        [VERIFY, "--public-key", str(key), "--checkpoint", str(checkpoint), "--url", live, *extra],
        capture_output=True,
        text=True,
        timeout=120,
        env={"CANVASS_TOKEN": auditor["Authorization"].split()[1], "PATH": "/usr/bin:/bin"},
    )


def exported_leaves(client, auditor) -> list[bytes]:
    """Every event from the export, its leaf hash recomputed by the independent verifier."""
    leaves, after = [], 0
    while True:
        page = client.get(f"/api/v1/audit/events?after={after}&limit=97", headers=auditor)
        lines = [line for line in page.get_data(as_text=True).split("\n") if line]
        if not lines:
            return leaves
        for line in lines:
            event = parse_event(line)
            assert event_leaf_hash(event) == b64(event["leaf_hash"])
            leaves.append(event_leaf_hash(event))
            after = event["position"]


def test_every_root_and_proof_from_1_to_300_events_verifies_independently(app, client, auditor):
    grow(app, 300)
    leaves = exported_leaves(client, auditor)
    assert len(leaves) == 300
    roots = {size: root_of(leaves[:size]) for size in range(1, 301)}

    note = client.post("/api/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    assert note.split("\n")[1:3] == ["300", base64.b64encode(roots[300]).decode()]
    for size in range(1, 301):
        for position in {1, size, (size + 1) // 2}:
            proof = client.get(
                f"/api/v1/audit/proof/inclusion?position={position}&size={size}", headers=auditor
            ).get_json()
            assert b64(proof["root"]) == roots[size]
            assert b64(proof["leaf_hash"]) == leaves[position - 1]
            verify_inclusion(
                position - 1, size, leaves[position - 1], [b64(p) for p in proof["proof"]],
                roots[size],
            )  # fmt: skip
        for old in {1, size // 2 or 1, size - 1 or 1}:
            proof = client.get(
                f"/api/v1/audit/proof/consistency?from={old}&to={size}", headers=auditor
            ).get_json()
            assert (b64(proof["root_from"]), b64(proof["root_to"])) == (roots[old], roots[size])
            verify_consistency(old, size, [b64(p) for p in proof["proof"]], roots[old], roots[size])


def test_canvass_verify_checks_the_service_over_http(app, client, auditor, live, tmp_path):
    grow(app, 40)
    (tmp_path / "public.key").write_text(client.get("/api/v1/audit/public-key").get_data(True))
    saved = client.post("/api/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    grow(app, 1234)
    client.post("/api/v1/audit/checkpoint", headers=auditor)

    # Event 20 is one of those grown (the auditor's sign-up, set-up and token come first).
    result = verify(tmp_path, live, auditor, saved, "--event", "20", "--event", "1234")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED: the log of 1234 events is complete and unaltered" in result.stdout
    assert "event 20 (type CameraRegistered" in result.stdout


def test_the_public_sees_the_checkpoint_and_key_but_not_the_events_or_proofs(client):
    assert client.get("/api/v1/audit/checkpoint").status_code == 200
    assert client.get("/api/v1/audit/public-key").status_code == 200
    assert client.get("/api/v1/audit/events").status_code == 401
    assert client.get("/api/v1/audit/proof/inclusion?position=1&size=1").status_code == 401
    assert client.post("/api/v1/audit/checkpoint").status_code == 401


def test_a_proof_beyond_the_log_is_refused_clearly(app, client, auditor):
    grow(app, 5)
    too_big = client.get("/api/v1/audit/proof/inclusion?position=3&size=99", headers=auditor)
    assert too_big.status_code == 422
    assert "has no size 99 yet" in too_big.get_json()["message"]
    nonsense = client.get("/api/v1/audit/proof/consistency?from=0&to=x", headers=auditor)
    assert nonsense.status_code == 422
    assert nonsense.get_json()["errors"] == {
        "from": ["Sizes start at 1."],
        "to": ["Give a whole number."],
    }


def rewrite_event_7(app, url: str) -> None:
    """Change event 7's data and store the leaf hash of the changed row with it, so that the
    row on its own looks intact."""
    import dataclasses

    from events_store.integrity import recompute_leaf_hash

    row = next(app.extensions["canvass"].store.iter_stored(after=6, batch_size=1))
    forged = dataclasses.replace(row, data_json='{"n":6,"x":99.0}')
    digest = recompute_leaf_hash(forged).hex()
    literal = f"X'{digest}'" if url.startswith("sqlite") else f"'\\x{digest}'::bytea"
    tamper(
        url,
        f'UPDATE events SET data = \'{{"n":6,"x":99.0}}\', leaf_hash = {literal}'
        " WHERE position = 7",
    )


TAMPERING = {
    "a row rewritten with its hash": rewrite_event_7,
    "a row deleted": lambda _, url: tamper(url, "DELETE FROM events WHERE position = 9"),
    "two rows swapped": lambda _, url: tamper(
        url,
        "UPDATE events SET position = 1000000 WHERE position = 4",
        "UPDATE events SET position = 4 WHERE position = 5",
        "UPDATE events SET position = 5 WHERE position = 1000000",
    ),
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_tampering_after_a_saved_checkpoint_is_found_by_both_verifiers(
    app, client, cli, auditor, live, tmp_path, database_url, how
):
    grow(app, 30)
    (tmp_path / "public.key").write_text(client.get("/api/v1/audit/public-key").get_data(True))
    saved = client.post("/api/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    assert verify(tmp_path, live, auditor, saved).returncode == 0

    TAMPERING[how](app, database_url)

    result = verify(tmp_path, live, auditor, saved)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT VERIFIED" in result.stdout
    checked = cli.invoke(args=["events", "verify"])
    assert checked.exit_code == 1, checked.output
    assert "Tampering found" in checked.output
    if how == "a row rewritten with its hash":
        assert "every stored event matches its hash" in checked.output  # the row alone passes
        assert "no longer match the checkpoint signed at" in checked.output


def test_the_checkpoint_key_is_made_once_and_kept_private(app, database_url):
    from service import create_app

    key_file = Path(app.instance_path) / "checkpoint_key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600
    again = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        assert again.extensions["canvass"].log.signer.public_key_text == (
            app.extensions["canvass"].log.signer.public_key_text
        )
    finally:
        again.extensions["canvass"].close()
