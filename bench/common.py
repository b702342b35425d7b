"""What every benchmark needs: the machine's description, databases to run on, a timer."""

from __future__ import annotations

import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from service.database import upgrade
from tests import databases

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def machine() -> dict[str, object]:
    """Enough about the machine to compare one run with another."""
    cpu = "unknown"
    memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": memory_gib,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def rate(count: int, seconds: float) -> float:
    """Events per second, rounded for reading."""
    return round(count / seconds, 1) if seconds > 0 else float("inf")


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def postgres_base_url() -> str:
    """The server benchmarks use: CANVASS_BENCH_POSTGRES_URL, the test URL, or the default."""
    return os.environ.get(
        "CANVASS_BENCH_POSTGRES_URL",
        os.environ.get("CANVASS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL),
    )


def libpq(url: str) -> str:
    """A SQLAlchemy-style URL as a plain libpq connection string."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_version(url: str) -> str | None:
    """The server's version, or None when it does not answer."""
    try:
        with psycopg.connect(libpq(url), connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
            return str(row[0]) if row else None
    except psycopg.Error:
        return None


def postgres_schema(prefix: str) -> AbstractContextManager[tuple[str, str]]:
    """A schema of its own on the benchmark server, dropped afterwards: (name, URL)."""
    return databases.postgres_schema(prefix, postgres_base_url(), migrate=False)


@contextmanager
def migrated_database(backend: str, name: str) -> Iterator[str]:
    """A fresh database migrated to the newest schema, gone afterwards: an SQLite file, or a
    PostgreSQL schema named after `name`."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as directory:
            url = f"sqlite:///{Path(directory) / f'{name}.db'}"
            upgrade(url)
            yield url
        return
    with postgres_schema(f"bench_{name}") as (_, url):
        upgrade(url)
        yield url
