"""Where a person's data could really lie, read as bytes: an SQLite database with its WAL and
shared memory, every PostgreSQL relation file and the WAL segments written since a mark,
folders of files (footage, `.eml` mail), and every log record the service wrote.

An erasure test names what it looks for as needles (text, numbers as text and as IEEE-754
doubles, raw key bytes and their usual encodings) and asks each place which are found.
"""

from __future__ import annotations

import base64
import email
import email.policy
import logging
import re
import struct
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from tests.databases import raw_connection


@dataclass
class Needles:
    """Byte strings to look for, each with a name that says what it is."""

    named: dict[str, bytes] = field(default_factory=dict)

    def text(self, name: str, value: str) -> None:
        self.named[name] = value.encode("utf-8")

    def number(self, name: str, value: float) -> None:
        """A coordinate as the text JSON and Python write, and as little- and big-endian
        doubles, as a binary column or an index would keep it."""
        self.named[f"{name} as text"] = repr(value).encode()
        self.named[f"{name} as <d"] = struct.pack("<d", value)
        self.named[f"{name} as >d"] = struct.pack(">d", value)

    def key(self, name: str, value: bytes) -> None:
        """Key material as raw bytes, hex and base64 (standard and URL-safe, unpadded)."""
        self.named[f"{name} (raw)"] = value
        self.named[f"{name} (hex)"] = value.hex().encode()
        for label, coded in (
            ("base64", base64.b64encode(value)),
            ("urlsafe base64", base64.urlsafe_b64encode(value)),
        ):
            self.named[f"{name} ({label})"] = coded.rstrip(b"=")

    def found_in(self, blob: bytes) -> list[str]:
        return [name for name, needle in self.named.items() if needle in blob]


def findings(needles: Needles, places: dict[str, bytes]) -> dict[str, list[str]]:
    """For each place where something was found, what was found there."""
    found = {where: needles.found_in(blob) for where, blob in places.items()}
    return {where: names for where, names in found.items() if names}


def sqlite_files(url: str) -> dict[str, bytes]:
    """The SQLite database file, its write-ahead log and its shared-memory index, as bytes."""
    database = Path(make_url(url).database or "")
    files = {"SQLite main file": database}
    files |= {"SQLite WAL": Path(f"{database}-wal"), "SQLite shm": Path(f"{database}-shm")}
    return {name: path.read_bytes() for name, path in files.items() if path.exists()}


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _lsn(text: str) -> int:
    high, low = text.split("/")
    return (int(high, 16) << 32) | int(low, 16)


@dataclass(frozen=True)
class WalMark:
    """A place in PostgreSQL's write-ahead log, to read what was written after it."""

    url: str
    lsn: int

    @classmethod
    def now(cls, url: str) -> WalMark:
        with psycopg.connect(_libpq(url), autocommit=True) as conn:
            (lsn,) = conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()
        return cls(url, _lsn(lsn))

    def written_since(self) -> bytes:
        """Every WAL segment on disk from the mark on, after a checkpoint: the one holding
        the mark from the mark, the later ones whole, including segments a checkpoint has
        already recycled under a later name (their old bytes stay until overwritten). The
        segments are shared by the whole server: other tests' records come along."""
        with psycopg.connect(_libpq(self.url), autocommit=True) as conn:
            conn.execute("CHECKPOINT")
            (first, offset) = conn.execute(
                "SELECT file_name, file_offset FROM pg_walfile_name_offset(%s::pg_lsn)",
                (_text(self.lsn),),
            ).fetchone()
            (directory,) = conn.execute("SELECT current_setting('data_directory')").fetchone()
        chunks = []
        for path in sorted((Path(directory) / "pg_wal").iterdir()):
            if not _SEGMENT.match(path.name) or path.name[:8] != first[:8] or path.name < first:
                continue
            try:
                with open(path, "rb") as wal:
                    wal.seek(offset if path.name == first else 0)
                    chunks.append(wal.read())
            except FileNotFoundError:  # recycled or removed meanwhile
                continue
        assert chunks, f"no WAL segment from {first} on was found"
        return b"".join(chunks)


_SEGMENT = re.compile(r"^[0-9A-F]{24}$")


def _text(lsn: int) -> str:
    return f"{lsn >> 32:X}/{lsn & 0xFFFF_FFFF:X}"


_FORK = re.compile(r"^(?P<node>\d+)(?:_(?:fsm|vm|init))?(?:\.\d+)?$")


def postgres_relation_files(url: str) -> dict[str, bytes]:
    """Every relation file of the database on disk (tables, indexes, TOAST, every fork and
    segment), after a checkpoint, keyed by schema and relation name."""
    with psycopg.connect(_libpq(url), autocommit=True) as conn:
        conn.execute("CHECKPOINT")
        (directory,) = conn.execute("SELECT current_setting('data_directory')").fetchone()
        rows = conn.execute(
            "SELECT n.nspname, c.relname, pg_relation_filepath(c.oid) FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE pg_relation_filepath(c.oid) IS NOT NULL"
        ).fetchall()
    by_folder: dict[Path, dict[str, str]] = {}
    for schema, relation, path in rows:
        where = Path(directory) / path
        by_folder.setdefault(where.parent, {})[where.name] = f"{schema}.{relation}"
    files: dict[str, bytes] = {}
    for folder, nodes in by_folder.items():
        for entry in folder.iterdir():
            matched = _FORK.match(entry.name)
            if matched is None or matched["node"] not in nodes:
                continue
            try:
                content = entry.read_bytes()
            except FileNotFoundError:  # another test dropped its schema meanwhile
                continue
            files[f"PostgreSQL file of {nodes[matched['node']]} ({entry.name})"] = content
    return files


def current_schema(url: str) -> str:
    with raw_connection(url) as conn:
        return str(conn.execute("SELECT current_schema()").fetchone()[0])


def table_text(url: str, table: str) -> bytes:
    """Every row of a table as the database prints it."""
    with raw_connection(url) as conn:
        if isinstance(conn, psycopg.Connection):
            rows = conn.execute(f'SELECT t::text FROM "{table}" t').fetchall()
        else:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
    return "\n".join(str(row) for row in rows).encode()


def folder_files(folder: Path, label: str) -> dict[str, bytes]:
    """Every file under a folder, as bytes."""
    if not folder.exists():
        return {}
    return {
        f"{label} {path.relative_to(folder)}": path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def mail_files(folder: Path) -> dict[str, bytes]:
    """Every `.eml` file under the outbox folder, raw and decoded (headers and bodies in
    quoted-printable or base64 would hide a value from a byte search)."""
    found = folder_files(folder, "mail file")
    for name, raw in list(found.items()):
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = [f"{key}: {value}" for key, value in message.items()]
        parts += [str(part.get_content()) for part in message.walk() if not part.is_multipart()]
        found[f"{name} (decoded)"] = "\n".join(parts).encode()
    return found


class FileMailbox:
    """The messages the development mail transport wrote, read like the SMTP test mailbox."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def to(self, recipient: str) -> list[email.message.EmailMessage]:
        if not self.folder.exists():
            return []
        paths = sorted(self.folder.rglob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name))
        messages = [
            email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in paths
        ]
        return [m for m in messages if m["To"] == recipient]  # type: ignore[misc]


class LogRecords(logging.Handler):
    """Every record logged anywhere in the process, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def text(self) -> bytes:
        return "\n".join(self.lines).encode("utf-8", "backslashreplace")


@contextmanager
def every_log_record() -> Iterator[LogRecords]:
    """Capture every record at DEBUG while the block runs (the service's own handler stays)."""
    root = logging.getLogger()
    records, level = LogRecords(), root.level
    root.addHandler(records)
    root.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        root.removeHandler(records)
        root.setLevel(level)
