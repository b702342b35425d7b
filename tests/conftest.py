"""Fixtures shared by every suite: test data, databases on both backends, the app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from events_store import EventStore
from tests.databases import (
    BACKENDS,
    SQLiteTemplate,
    fresh_postgres_schema,
    postgres_unavailable_reason,
)
from tests.smtp import Mailbox, SMTPServer

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
# Argon2id at its lowest cost for the suite's thousands of sign-ups and logins: the same
# algorithm and code paths, a thousandth of the time. Tests whose point is the cost itself
# (timing, floods, the shipped parameters) are marked `shipped_password_cost`.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashing(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """Hash passwords at Argon2id's lowest cost in this process, unless the test is marked
    `shipped_password_cost`; a service started in another process hashes as shipped."""
    if request.node.get_closest_marker("shipped_password_cost") is None:
        from accounts import passwords

        monkeypatch.setattr(passwords, "_hasher", QUICK_HASHER)
        monkeypatch.setattr(passwords, "_DECOY", QUICK_HASHER.hash("a decoy password"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only real data beside the repository."""
    if not SHARED_DATA.is_dir():
        pytest.fail(f"test data not found at {SHARED_DATA}: clone the repository beside shared/")
    return SHARED_DATA


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SQLiteTemplate:
    return SQLiteTemplate(tmp_path_factory.mktemp("template"))


@pytest.fixture(scope="session")
def postgres_skip_reason() -> str | None:
    return postgres_unavailable_reason()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each test that uses a database runs once on SQLite and once on PostgreSQL."""
    if request.param == "postgres":
        reason = request.getfixturevalue("postgres_skip_reason")
        if reason:
            pytest.skip(reason)
    return str(request.param)


@pytest.fixture
def database_url(backend: str, sqlite_template: SQLiteTemplate, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh, migrated database of the backend under test."""
    if backend == "sqlite":
        yield sqlite_template.fresh(tmp_path)
    else:
        with fresh_postgres_schema() as url:
            yield url


@pytest.fixture
def store(database_url: str) -> Iterator[EventStore]:
    opened = EventStore.from_url(database_url)
    yield opened
    opened.close()


@pytest.fixture
def smtp_server() -> Iterator[SMTPServer]:
    """A real SMTP server on the loopback, collecting what the service sends."""
    with SMTPServer() as server:
        yield server


@pytest.fixture
def mailbox(smtp_server: SMTPServer) -> Mailbox:
    return smtp_server.mailbox


@pytest.fixture
def app(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, smtp_server):
    """The service on a fresh database of the backend under test, its secrets in tmp_path,
    sending mail to the test SMTP server."""
    from service import create_app

    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    settings = {
        "DATABASE_URL": database_url,
        "TESTING": True,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
    }
    app = create_app(settings)
    yield app
    app.extensions["canvass"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    return app.test_cli_runner()
