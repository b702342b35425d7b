"""The database itself refuses to change or remove stored events, whoever connects."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest

from events_store import NO_STREAM, EventStore, NewEvent
from tests.databases import fresh_postgres_schema, raw_connection

STATEMENTS = {
    "update": 'UPDATE events SET data = \'{"label":"rewritten"}\' WHERE position = 1',
    "delete": "DELETE FROM events WHERE position = 1",
}


@pytest.mark.parametrize("statement", sorted(STATEMENTS))
def test_update_and_delete_through_a_raw_connection_are_refused(database_url, store, statement):
    [stored] = store.append("s", [NewEvent("T", {"label": "original"})], NO_STREAM)
    conn = raw_connection(database_url)
    try:
        with pytest.raises((sqlite3.DatabaseError, psycopg.Error), match="append-only"):
            conn.execute(STATEMENTS[statement])
    finally:
        conn.close()
    assert store.read_all() == [stored]


def test_truncate_is_refused_on_postgres(postgres_skip_reason):
    if postgres_skip_reason:
        pytest.skip(postgres_skip_reason)
    with fresh_postgres_schema() as url:
        store = EventStore.from_url(url)
        store.append("s", [NewEvent("T", {})], NO_STREAM)
        with raw_connection(url) as conn, pytest.raises(psycopg.Error, match="append-only"):
            conn.execute("TRUNCATE events")
        assert store.head() == 1
        store.close()
