"""Copies of a prepared database, so that many examples start from the same city cheaply."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.engine import make_url

from tests.databases import raw_connection


def copy_database(source_url: str, target_url: str, source_schema: str, target_schema: str):
    """Copy every row of the migrated database at `source_url` into the migrated, empty one
    at `target_url` (an SQLite file, or a PostgreSQL schema on the same server)."""
    if make_url(source_url).get_backend_name() == "sqlite":
        _copy_sqlite(make_url(source_url).database, make_url(target_url).database)
    else:
        _copy_postgres(source_url, source_schema, target_schema)


def _copy_sqlite(source: str, target: str) -> None:
    with sqlite3.connect(source) as origin, sqlite3.connect(target) as copy:
        origin.backup(copy)
    origin.close()
    copy.close()


def _copy_postgres(url: str, source: str, target: str) -> None:
    conn = raw_connection(url)
    assert isinstance(conn, psycopg.Connection)
    try:
        with conn.transaction():
            tables = [
                table
                for (table,) in conn.execute(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = %s AND table_type = 'BASE TABLE'"
                    " AND table_name <> 'alembic_version'",
                    (source,),
                )
            ]
            _copy_tables_in_key_order(conn, tables, source, target)
            sequences = conn.execute(
                "SELECT table_name, column_name,"
                " pg_get_serial_sequence(format('%%I.%%I', table_schema, table_name), column_name)"
                " FROM information_schema.columns WHERE table_schema = %s",
                (target,),
            ).fetchall()
            for table, column, sequence in sequences:
                if sequence:
                    conn.execute(
                        f'SELECT setval(%s, COALESCE((SELECT max("{column}")'
                        f' FROM "{target}"."{table}"), 0) + 1, false)',
                        (sequence,),
                    )
    finally:
        conn.close()


def _copy_tables_in_key_order(conn, tables: list[str], source: str, target: str) -> None:
    """Copy each table after the tables its foreign keys point to (found by trying)."""
    pending = list(tables)
    while pending:
        waiting = []
        for table in pending:
            try:
                with conn.transaction():
                    conn.execute(
                        f'INSERT INTO "{target}"."{table}" SELECT * FROM "{source}"."{table}"'
                    )
            except psycopg.errors.ForeignKeyViolation:
                waiting.append(table)
        if len(waiting) == len(pending):
            raise AssertionError(f"cannot copy {waiting}: their foreign keys point nowhere")
        pending = waiting
