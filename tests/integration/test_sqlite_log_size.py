"""How long SQLite's write-ahead log grows before it is copied back and written over: at
NORMAL, up to some 40 MB (fewer copies); at FULL, where every commit syncs the log, SQLite's
4 MB, so that a commit's sync is not also one of the file's growing size."""

from __future__ import annotations

import os

import pytest

from events_store import NO_STREAM, EventStore, NewEvent

MB = 1_000_000
NOTE = "x" * 900  # about a kilobyte an event


def log_size_after_six_megabytes(url: str, synchronous: str) -> int:
    """The log's size on disk while the store is still open (closing copies and deletes it)."""
    store = EventStore.from_url(url, sqlite_synchronous=synchronous)
    try:
        for batch in range(60):
            events = [NewEvent("NoteTaken", {"n": n, "note": NOTE}) for n in range(100)]
            store.append(f"notes-{batch}", events, NO_STREAM)
        return os.path.getsize(url.removeprefix("sqlite:///") + "-wal")
    finally:
        store.close()


@pytest.mark.parametrize("synchronous", ["FULL", "EXTRA"])
def test_at_full_the_log_is_written_over_once_it_holds_four_megabytes(
    sqlite_template, tmp_path, synchronous
):
    size = log_size_after_six_megabytes(sqlite_template.fresh(tmp_path), synchronous)
    assert 3 * MB < size < 5 * MB, size


def test_at_normal_the_log_grows_past_four_megabytes_before_it_is_copied(sqlite_template, tmp_path):
    size = log_size_after_six_megabytes(sqlite_template.fresh(tmp_path), "NORMAL")
    assert size > 6 * MB, size
