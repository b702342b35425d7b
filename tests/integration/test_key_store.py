"""A forgotten person's data key is nowhere any more: not in the key store, not in the
database's files or write-ahead log; and no process ever seals for them again."""

from __future__ import annotations

import base64
import contextlib
import multiprocessing
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import make_url

from events_store import NO_STREAM, NewEvent, SubjectErasedError
from events_store.database import create_engine
from events_store.keystore import FileKeyStore
from events_store.model import new_event_id
from events_store.vault import KeyVault
from service.configuration import ConfigurationError
from tests.support.key_writers import seal_once

REPOSITORY = Path(__file__).resolve().parents[2]
MASTER = bytes(range(32))
EMAIL = "imogen.forgotten@example.org"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keys(tmp_path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys")


@pytest.fixture
def vault(engine, keys) -> KeyVault:
    return KeyVault(engine, MASTER, keys)


def data_key(keys: FileKeyStore, subject_id: str) -> tuple[bytes, bytes]:
    """The subject's wrapped key and, unwrapped with the master key, the bare data key."""
    wrapped = keys.get(subject_id)
    assert wrapped is not None
    label = f"subject-key|{subject_id}".encode()
    return wrapped, AESGCM(MASTER).decrypt(wrapped[:12], wrapped[12:], label)


def encodings(name: str, value: bytes) -> dict[str, bytes]:
    """Key material as raw bytes, hex and base64, as a copy of it could be written."""
    return {
        f"{name} (raw)": value,
        f"{name} (hex)": value.hex().encode(),
        f"{name} (base64)": base64.b64encode(value).rstrip(b"="),
        f"{name} (urlsafe base64)": base64.urlsafe_b64encode(value).rstrip(b"="),
    }


def found(needles: dict[str, bytes], places: dict[str, bytes]) -> dict[str, list[str]]:
    hits = {where: [n for n, b in needles.items() if b in blob] for where, blob in places.items()}
    return {where: names for where, names in hits.items() if names}


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {f"key store {p.name}": p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def sqlite_bytes(url: str) -> dict[str, bytes]:
    database = make_url(url).database
    paths = {
        f"SQLite{suffix or ' main'}": Path(f"{database}{suffix}") for suffix in ("", "-wal", "-shm")
    }
    return {name: path.read_bytes() for name, path in paths.items() if path.exists()}


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def lsn_number(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


def wal_mark(url: str) -> int:
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        return lsn_number(conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0])


def postgres_bytes(url: str, since: int) -> dict[str, bytes]:
    """After a checkpoint: the files of `subject_keys` and its index, and every WAL byte
    written since the mark, read from the server's data directory."""
    with psycopg.connect(libpq(url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        directory = Path(conn.execute("SELECT current_setting('data_directory')").fetchone()[0])
        places = {}
        for relation in ("subject_keys", "subject_keys_pkey"):
            [path] = conn.execute("SELECT pg_relation_filepath(%s)", (relation,)).fetchone()
            node = Path(path).name  # its forks and segments: node_fsm, node_vm, node.1
            for piece in (directory / path).parent.glob(node + "*"):
                if piece.name == node or piece.name[len(node)] in "_.":
                    places[f"PostgreSQL {relation} ({piece.name})"] = piece.read_bytes()
        end = lsn_number(conn.execute("SELECT pg_current_wal_flush_lsn()::text").fetchone()[0])
        size = conn.execute(
            "SELECT setting::bigint FROM pg_settings WHERE name = 'wal_segment_size'"
        ).fetchone()[0]
        first = conn.execute(
            "SELECT pg_walfile_name(%s::pg_lsn)", (f"{since >> 32:X}/{since & 0xFFFFFFFF:X}",)
        ).fetchone()[0]
    per_id, chunks = 0x1_0000_0000 // size, []
    for segment in range(since // size, end // size + 1):
        name = f"{first[:8]}{segment // per_id:08X}{segment % per_id:08X}"
        start = since - segment * size if segment == since // size else 0
        stop = end - segment * size if segment == end // size else size
        try:
            with open(directory / "pg_wal" / name, "rb") as wal:
                wal.seek(start)
                chunks.append(wal.read(stop - start))
        except FileNotFoundError:
            # Recycled meanwhile (other tests share the server): it lives on under a later
            # name, so read every segment on disk instead.
            for other in sorted((directory / "pg_wal").glob("0" * 7 + "*")):
                with contextlib.suppress(FileNotFoundError):
                    chunks.append(other.read_bytes())
    places["PostgreSQL WAL since the key was made"] = b"".join(chunks)
    return places


def test_a_forgotten_subjects_key_is_in_no_file_of_the_store_or_the_database(
    backend, database_url, vault, keys, store
):
    mark = wal_mark(database_url) if backend == "postgres" else 0
    event = new_event_id()
    sealed = vault.seal("owner-1", event, "email", EMAIL)
    store.append(
        "owner-1", [NewEvent("OwnerSignedUp", {"email": sealed}, event_id=event)], NO_STREAM
    )
    vault.seal("owner-2", new_event_id(), "email", "kept@example.org")
    forgotten = dict(zip(("wrapped key", "data key"), data_key(keys, "owner-1"), strict=True))
    kept_wrapped, _ = data_key(keys, "owner-2")

    vault.forget("owner-1")

    needles = {n: b for name, key in forgotten.items() for n, b in encodings(name, key).items()}
    places = folder_bytes(keys.folder)
    if backend == "sqlite":
        places |= sqlite_bytes(database_url)
    else:
        places |= postgres_bytes(database_url, since=mark)
    assert found(needles, places) == {}
    # The search can see: the other subject's key is in the store, the sealed email in the log.
    assert found({"kept": kept_wrapped}, folder_bytes(keys.folder))
    database_places = {k: v for k, v in places.items() if not k.startswith("key store")}
    assert found({"sealed email": sealed.encode()}, database_places)
    if backend == "postgres":  # ...and the tombstone in the table's own file
        table = {k: v for k, v in places.items() if k.startswith("PostgreSQL subject_keys (")}
        assert found({"tombstone": b"owner-1"}, table)


def test_the_database_keeps_only_who_was_forgotten_and_when(vault, engine):
    vault.seal("owner-1", new_event_id(), "email", EMAIL)
    vault.seal("owner-2", new_event_id(), "email", EMAIL)
    vault.forget("owner-1")
    with engine.connect() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("subject_keys")]
        rows = conn.execute(sa.text("SELECT subject_id FROM subject_keys")).scalars().all()
    assert columns == ["subject_id", "erased_at"]
    assert rows == ["owner-1"]


def test_another_vault_on_the_same_store_refuses_a_forgotten_subject_for_good(vault, engine, keys):
    other = KeyVault(engine, MASTER, keys, cache_seconds=0)
    event = new_event_id()
    sealed = other.seal("owner-1", event, "email", EMAIL)

    vault.forget("owner-1")

    with pytest.raises(SubjectErasedError):
        other.open(sealed, event, "email")
    with pytest.raises(SubjectErasedError):
        other.seal("owner-1", new_event_id(), "email", EMAIL)
    assert keys.get("owner-1") is None
    assert list(keys.folder.iterdir()) == []  # refusing made no new key


SEAL_IN_ANOTHER_PROCESS = """
import sys
from events_store import SubjectErasedError
from events_store.database import create_engine
from events_store.keystore import FileKeyStore
from events_store.vault import KeyVault
url, folder, master = sys.argv[1:]
vault = KeyVault(create_engine(url), bytes.fromhex(master), FileKeyStore(folder))
try:
    vault.seal("owner-1", "e-1", "email", "again@example.org")
except SubjectErasedError:
    print("refused")
else:
    print("sealed")
"""


def test_a_separate_process_is_refused_sealing_for_a_forgotten_subject(vault, database_url, keys):
    vault.seal("owner-1", new_event_id(), "email", EMAIL)
    vault.forget("owner-1")
    ran = subprocess.run(
        [
            sys.executable,
            "-c",
            SEAL_IN_ANOTHER_PROCESS,
            database_url,
            str(keys.folder),
            MASTER.hex(),
        ],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert ran.stdout.strip() == "refused"
    assert keys.get("owner-1") is None


def test_a_key_brought_back_by_restoring_an_old_backup_is_refused_and_deleted(
    vault, keys, tmp_path
):
    event = new_event_id()
    sealed = vault.seal("owner-1", event, "email", EMAIL)
    vault.seal("owner-2", new_event_id(), "email", EMAIL)
    backup = tmp_path / "backup"
    shutil.copytree(keys.folder, backup)

    vault.forget("owner-1")
    shutil.copytree(backup, keys.folder, dirs_exist_ok=True)  # the operator restores it

    with pytest.raises(SubjectErasedError):
        vault.open(sealed, event, "email")
    assert keys.get("owner-1") is None
    shutil.copytree(backup, keys.folder, dirs_exist_ok=True)
    assert vault.purge_forgotten_keys() == 1
    assert sorted(keys.subjects()) == ["owner-2"]


def test_a_forgetting_cut_short_after_its_tombstone_is_finished_by_the_next_use(
    vault, engine, keys
):
    event = new_event_id()
    sealed = vault.seal("owner-1", event, "email", EMAIL)
    with engine.begin() as conn:  # the tombstone committed, then the process died
        conn.execute(
            sa.text("INSERT INTO subject_keys (subject_id, erased_at) VALUES ('owner-1', :now)"),
            {"now": "2026-12-02T03:00:00+00:00"},
        )
    fresh = KeyVault(engine, MASTER, keys, cache_seconds=0)

    assert fresh.is_forgotten("owner-1")
    with pytest.raises(SubjectErasedError):
        fresh.open(sealed, event, "email")
    assert keys.get("owner-1") is None


def test_processes_sealing_for_a_new_subject_at_once_share_one_key(database_url, engine, keys):
    context = multiprocessing.get_context("spawn")
    writers = 4
    with context.Manager() as manager:
        start = manager.Barrier(writers)
        with context.Pool(writers) as pool:
            sealed = pool.starmap(
                seal_once,
                [(database_url, str(keys.folder), MASTER, "owner-1", EMAIL, start)] * writers,
            )
    reader = KeyVault(engine, MASTER, keys, cache_seconds=0)
    assert [reader.open(value, event, "email") for event, value in sealed] == [EMAIL] * writers
    assert list(keys.subjects()) == ["owner-1"]


def test_the_app_keeps_keys_in_its_instance_folder(app, tmp_path):
    vault = app.extensions["canvass"].vault
    vault.seal("owner-1", new_event_id(), "email", EMAIL)
    assert list(FileKeyStore(tmp_path / "instance" / "keys").subjects()) == ["owner-1"]


def test_a_key_store_that_is_a_file_stops_start_up(tmp_path, monkeypatch):
    from service import create_app

    taken = tmp_path / "taken"
    taken.write_text("")
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("CANVASS_KEY_STORE", str(taken))
    with pytest.raises(ConfigurationError, match=r"^CANVASS_KEY_STORE: .*is a file, not a folder"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'canvass.db'}"})
