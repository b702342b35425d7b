"""Fresh, migrated databases for tests: an SQLite file, or a PostgreSQL schema of its own."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from service.database import upgrade

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgres")


def postgres_url() -> str:
    """Where the PostgreSQL tests run: CANVASS_TEST_POSTGRES_URL or the local default."""
    return os.environ.get("CANVASS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL answers; otherwise a sentence saying why its tests are skipped."""
    url = postgres_url()
    try:
        with psycopg.connect(_libpq(url), connect_timeout=3):
            return None
    except psycopg.Error as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        return (
            f"PostgreSQL at {make_url(url).render_as_string(hide_password=True)} is not "
            f"reachable ({first_line}); set CANVASS_TEST_POSTGRES_URL to run these tests"
        )


def raw_connection(url: str) -> sqlite3.Connection | psycopg.Connection:
    """A plain autocommit DB-API connection that bypasses every layer of the service."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return sqlite3.connect(parsed.database, isolation_level=None)
    return psycopg.connect(_libpq(url), autocommit=True)


def tamper(url: str, *statements: str) -> None:
    """Run `statements` on the events table behind the append-only triggers' back."""
    conn = raw_connection(url)
    try:
        if isinstance(conn, sqlite3.Connection):
            conn.execute("DROP TRIGGER events_refuse_update")
            conn.execute("DROP TRIGGER events_refuse_delete")
            for statement in statements:
                conn.execute(statement)
        else:
            conn.execute("ALTER TABLE events DISABLE TRIGGER events_refuse_update_delete")
            for statement in statements:
                conn.execute(statement)
            conn.execute("ALTER TABLE events ENABLE TRIGGER events_refuse_update_delete")
    finally:
        conn.close()


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class SQLiteTemplate:
    """A database file migrated once per session and copied for each test."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "template.db"
        upgrade(f"sqlite:///{self.path}")

    def fresh(self, directory: Path) -> str:
        target = directory / f"{uuid.uuid4().hex[:8]}.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A migrated schema of its own, dropped afterwards, as a psycopg SQLAlchemy URL."""
    with postgres_schema("test", postgres_url(), migrate=True) as (_, url):
        yield url


@contextmanager
def postgres_schema(prefix: str, base: str, *, migrate: bool) -> Iterator[tuple[str, str]]:
    """A new schema on the server at `base`, dropped afterwards: yields (name, URL).

    The URL sets the search path, so everything run through it lands in the schema. A
    migrated schema is a copy of one this process migrated with the real migrations.
    """
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copied = migrate and _copy_of_migrated_schema(base, schema)
    if not copied:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{schema}"')
    url = _schema_url(base, schema)
    try:
        if migrate and not copied:
            upgrade(url)
        yield schema, url
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def _schema_url(base: str, schema: str) -> str:
    return (
        make_url(base)
        .set(drivername="postgresql+psycopg")
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


# Per server: a migrated schema as SQL, with _NAME for its name (None: migrate each time).
_MIGRATED: dict[str, str | None] = {}
_NAME = "{schema}"
PG_DUMP = ("pg_dump", "--inserts", "--no-owner", "--no-privileges")


def _copy_of_migrated_schema(base: str, schema: str) -> bool:
    """Create `schema` as a copy of a freshly migrated one, from a dump of it taken once
    per process (a tenth of the time the migrations take); False where pg_dump cannot
    dump that server, and the caller migrates instead."""
    if base not in _MIGRATED:
        _MIGRATED[base] = _dump_of_migrated_schema(base)
    script = _MIGRATED[base]
    if script is None:
        return False
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(script.replace(_NAME, schema).encode())
    return True


def _dump_of_migrated_schema(base: str) -> str | None:
    template = f"template_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(base), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{template}"')
    try:
        upgrade(_schema_url(base, template))
        dumped = subprocess.run(
            [*PG_DUMP, "--schema", template, _libpq(base)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        with psycopg.connect(_libpq(base), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{template}" CASCADE')
    if dumped.returncode != 0 or template not in dumped.stdout:
        return None
    # pg_dump's own psql commands (\restrict) are not SQL; a name in braces cannot be a
    # schema's, so the placeholder is unambiguous.
    lines = (line for line in dumped.stdout.splitlines() if not line.startswith("\\"))
    return "\n".join(lines).replace(template, _NAME)
