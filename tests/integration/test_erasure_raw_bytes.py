"""THE erasure test: an owner with distinctive values goes through a whole canvass (a site
with a camera, a dispatched request, an answer with a note, an upload, a door-to-door visit
at their address), a checkpoint is signed, and the owner is erased. Then none of their
values, and no copy of their data key, is anywhere the data could really lie, read as raw
bytes: the SQLite main file, WAL and shm; every PostgreSQL relation and index file and the
WAL written since the erasure began; the outbox table and its `.eml` files; footage; every
log record the service wrote. And the log still verifies against the checkpoint signed
before the erasure, with the project's own independent verifier. SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from canvass_verify.cli import main as canvass_verify
from tests.e2e.test_owner_journey_api import PASSWORD
from tests.support.erasure_journey import distinctive_owner, file_mail_service, whole_canvass
from tests.support.raw_bytes import (
    FileMailbox,
    Needles,
    WalMark,
    current_schema,
    every_log_record,
    findings,
    folder_files,
    mail_files,
    postgres_relation_files,
    sqlite_files,
    table_text,
)


def data_key_of(app, user_id: str) -> tuple[bytes, bytes]:
    """The owner's data key as an attacker with the master key would use it, and its
    wrapped form as the key store keeps it."""
    vault = app.extensions["canvass"].vault
    wrapped = vault._keys.get(user_id)
    assert wrapped is not None, "the owner has a data key before the erasure"
    return vault._unwrap(user_id, wrapped), wrapped


def exported_log(client, auditor) -> bytes:
    """The auditor's export of every event, as `canvass-verify` reads it."""
    lines, after = [], 0
    while True:
        page = client.get(f"/api/v1/audit/events?after={after}&limit=500", headers=auditor)
        assert page.status_code == 200
        batch = [line for line in page.get_data(as_text=True).split("\n") if line]
        if not batch:
            return ("\n".join(lines) + "\n").encode()
        lines += batch
        after = json.loads(batch[-1])["position"]


def everywhere(app, database_url: str, wal: WalMark | None) -> dict[str, bytes]:
    """Every place the owner's data could lie, as bytes."""
    instance = Path(app.instance_path)
    services = app.extensions["canvass"]
    if services.engine.dialect.name == "sqlite":
        places = sqlite_files(database_url)
    else:
        places = postgres_relation_files(database_url)
        if wal is not None:
            places["PostgreSQL WAL written since the erasure began"] = wal.written_since()
    places["outbox table"] = table_text(database_url, "outbox")
    places |= mail_files(instance / "outbox")
    places |= folder_files(services.footage.files.root, "footage file")
    return places


@pytest.fixture
def service(database_url, tmp_path, monkeypatch):
    app = file_mail_service(database_url, tmp_path / "instance", monkeypatch)
    yield app
    app.extensions["canvass"].close()


def test_an_erased_owner_is_nowhere_in_raw_bytes_and_the_log_still_verifies(
    service, database_url, capsys, tmp_path
):
    app, client = service, service.test_client()
    mailbox = FileMailbox(Path(app.instance_path) / "outbox")
    services = app.extensions["canvass"]
    with every_log_record() as logs:
        person = distinctive_owner()
        owner, auditor, digest = whole_canvass(app, mailbox, person)
        user_id = client.get("/api/v1/me", headers=owner).get_json()["user_id"]
        raw_key, wrapped_key = data_key_of(app, user_id)
        public_key = client.get("/api/v1/audit/public-key").get_data(as_text=True)
        saved = client.post("/api/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
        needles = Needles()
        for name, text in person.texts().items():
            needles.text(name, text)
        needles.number("latitude", person.latitude)
        needles.number("longitude", person.longitude)
        needles.key("data key", raw_key)
        needles.key("wrapped data key", wrapped_key)
        # The search sees what it looks for: the owner's own view, and the mail sent to them.
        own_sites = client.get("/api/v1/sites", headers=owner).get_data()
        assert {"site label", "latitude as text", "longitude as text"} <= set(
            needles.found_in(own_sites)
        )
        seen = everywhere(app, database_url, None)
        assert any("email" in names for names in findings(needles, seen).values())
        assert f"footage file {digest[:2]}/{digest}" in seen

        assert logging.getLogger().getEffectiveLevel() == logging.DEBUG  # every record
        wal = None if services.engine.dialect.name == "sqlite" else WalMark.now(database_url)
        erased = client.post("/api/v1/me/erasure", headers=owner, json={"password": PASSWORD})
        assert erased.status_code == 200
        assert erased.get_json()["message"] == "Your account and your personal data are erased."

        places = everywhere(app, database_url, wal)
        export = exported_log(client, auditor)
        places["the auditor's export of the log"] = export
        new = client.post("/api/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    places["every log record of the service"] = logs.text()
    # Every place was really read.
    if services.engine.dialect.name == "sqlite":
        assert {"SQLite main file", "SQLite shm"} <= set(places)
    else:
        schema = current_schema(database_url)
        for table in ("events", "accounts_users", "registry_sites", "outbox", "canvass_visits"):
            assert any(f" of {schema}.{table} (" in where for where in places), table
        assert places["PostgreSQL WAL written since the erasure began"]
    assert len(logs.lines) > 10

    found = findings(needles, places)
    assert found == {}, "still found after the erasure:\n" + "\n".join(
        f"{where}: {', '.join(names)}" for where, names in sorted(found.items())
    )
    assert [name for name in places if name.startswith("footage file")] == []

    files = {"key": public_key, "saved": saved, "new": new, "export.jsonl": export}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content if isinstance(content, bytes) else content.encode())
    capsys.readouterr()
    verdict = canvass_verify(
        [
            *("--public-key", str(tmp_path / "key"), "--checkpoint", str(tmp_path / "saved")),
            *(
                "--new-checkpoint",
                str(tmp_path / "new"),
                "--export",
                str(tmp_path / "export.jsonl"),
            ),
        ]
    )
    printed = capsys.readouterr().out
    assert verdict == 0, printed
    assert "is complete and unaltered since the saved checkpoint" in printed
