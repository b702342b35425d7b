"""The store says plainly which databases it runs on."""

from __future__ import annotations

import pytest

from events_store import EventStore, UnsupportedDatabaseError


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("sqlite://", "an SQLite database file"),
        ("sqlite:///:memory:", "an SQLite database file"),
        ("mysql+pymysql://root@localhost/canvass", "SQLite or PostgreSQL, not 'mysql'"),
    ],
)
def test_unsupported_databases_are_refused_with_the_reason(url, complaint):
    with pytest.raises(UnsupportedDatabaseError, match=complaint):
        EventStore.from_url(url)


def test_sqlite_durability_must_be_a_known_mode(tmp_path):
    with pytest.raises(ValueError, match="synchronous must be one of"):
        EventStore.from_url(f"sqlite:///{tmp_path / 'x.db'}", sqlite_synchronous="SOMETIMES")
