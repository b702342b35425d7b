"""Whatever the umask the service starts under, nobody but its own user can read what it
keeps: the instance folder 0700, and the database, its WAL, the keys, the mail files and the
footage 0600."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.databases import fresh_postgres_schema
from tests.unit.test_footage_store import mp4

EMAIL = "nadia.private@example.org"


@pytest.fixture(params=[0o022, 0o000], ids=["umask 022", "umask 000"])
def permissive_umask(request) -> Iterator[int]:
    """The process starts with a umask that lets others read (or write) new files."""
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


def modes_under(folder: Path) -> dict[str, int]:
    """Every folder and file under `folder` (itself included) with its permission bits."""
    found = {".": stat.S_IMODE(folder.stat().st_mode)}
    for place in folder.rglob("*"):
        found[str(place.relative_to(folder))] = stat.S_IMODE(place.lstat().st_mode)
    return found


def not_private(modes: dict[str, int], instance: Path) -> dict[str, str]:
    wrong = {}
    for name, mode in modes.items():
        wanted = 0o700 if (instance / name).is_dir() else 0o600
        if mode != wanted:
            wrong[name] = oct(mode)
    return wrong


def test_everything_the_service_keeps_is_private_whatever_the_umask(
    permissive_umask, backend, sqlite_template, tmp_path, monkeypatch
):
    instance = tmp_path / "instance"
    (instance / "outbox").mkdir(parents=True)  # left by an older version, readable by all
    (instance / "outbox" / "old.eml").write_text("To: someone@example.org\n\nhello\n")
    with ExitStack() as cleanup:
        url = (
            sqlite_template.fresh(instance)
            if backend == "sqlite"
            else cleanup.enter_context(fresh_postgres_schema())
        )
        check_every_file_is_private(url, backend, instance, monkeypatch)


def check_every_file_is_private(url: str, backend: str, instance: Path, monkeypatch) -> None:
    from service import create_app

    assert not_private(modes_under(instance), instance)  # the umask let them be readable
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(instance))
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    try:
        client = app.test_client()
        answer = client.post(
            "/api/v1/accounts",
            json={"email": EMAIL, "password": "a long pass phrase 42", "display_name": "Nadia"},
        )
        assert answer.status_code == 202
        services = app.extensions["canvass"]
        services.outbox.send_pending()
        services.footage.files.put([mp4(b"clip of the street")])

        modes = modes_under(instance)
        assert any(name.startswith("keys/") for name in modes)
        assert len([name for name in modes if name.endswith(".eml")]) >= 2
        assert any(name.startswith("footage/") and not (instance / name).is_dir() for name in modes)
        if backend == "sqlite":
            database = Path(url.removeprefix("sqlite:///")).name
            assert {f"{database}-wal", f"{database}-shm"} <= set(modes)
        assert not_private(modes, instance) == {}
    finally:
        app.extensions["canvass"].close()


def test_files_the_settings_keep_outside_the_instance_folder_are_private_too(
    permissive_umask, sqlite_template, tmp_path, monkeypatch
):
    from service import create_app

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    url = sqlite_template.fresh(elsewhere)
    (elsewhere / "keys").mkdir()
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = {
        "DATABASE_URL": url,
        "KEY_STORE": str(elsewhere / "keys"),
        "FOOTAGE_DIR": str(elsewhere / "footage"),
        "VAULT_MASTER_KEY_FILE": str(elsewhere / "master_key"),
    }
    app = create_app(settings)
    try:
        app.extensions["canvass"].vault.seal("owner-1", "event-1", "email", EMAIL)
        app.extensions["canvass"].footage.files.put([mp4(b"clip")])
        modes = modes_under(elsewhere)
    finally:
        app.extensions["canvass"].close()
    assert {"keys", "footage", "master_key", Path(url).name} <= set(modes)
    assert not_private({k: v for k, v in modes.items() if k != "."}, elsewhere) == {}
