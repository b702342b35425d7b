"""Many writers, processes and crashes: positions stay dense and ordered on both backends."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

import pytest

from events_store import NO_STREAM, ConcurrencyError, EventStore, NewEvent

SPAWN = multiprocessing.get_context("spawn")


def event(n: int = 0) -> NewEvent:
    return NewEvent("CameraRegistered", {"n": n}, {"actor": "test"})


@pytest.mark.slow
def test_sixteen_writers_racing_at_one_version_leave_exactly_one_winner_every_round(
    database_url,
):
    writers = 16
    rounds = 200
    stores = [EventStore.from_url(database_url) for _ in range(writers)]
    barrier = threading.Barrier(writers)
    outcomes: list[list[str]] = [[] for _ in range(rounds)]

    def race(store: EventStore) -> None:
        for round_number in range(rounds):
            barrier.wait()
            try:
                store.append("contested", [event(round_number)], round_number)
                outcomes[round_number].append("won")
            except ConcurrencyError:
                outcomes[round_number].append("refused")

    threads = [threading.Thread(target=race, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert [sorted(o).count("won") for o in outcomes] == [1] * rounds
        assert [len(o) for o in outcomes] == [writers] * rounds
        stream = stores[0].read_stream("contested")
        assert [e.version for e in stream] == list(range(1, rounds + 1))
        assert [e.position for e in stream] == list(range(1, rounds + 1))
        assert [e.data["n"] for e in stream] == list(range(rounds))
    finally:
        for store in stores:
            store.close()


def append_many(url: str, stream_id: str, count: int, start: multiprocessing.Event) -> None:
    """A writer process: `count` single-event appends to a stream of its own."""
    store = EventStore.from_url(url)
    start.wait()
    for version in range(count):
        store.append(stream_id, [event(version)], version)
    store.close()


@pytest.mark.slow
def test_a_reader_following_eight_writing_processes_sees_every_position_once_in_order(
    database_url,
):
    processes, per_process = 8, 500
    total = processes * per_process
    start = SPAWN.Event()
    writers = [
        SPAWN.Process(target=append_many, args=(database_url, f"writer-{i}", per_process, start))
        for i in range(processes)
    ]
    for writer in writers:
        writer.start()
    reader = EventStore.from_url(database_url)
    seen: list[int] = []
    start.set()
    deadline = time.monotonic() + 300
    while len(seen) < total and time.monotonic() < deadline:
        batch = reader.read_all(after=seen[-1] if seen else 0, limit=250)
        seen.extend(e.position for e in batch)
        if not batch and not any(w.is_alive() for w in writers):
            break
    for writer in writers:
        writer.join(timeout=60)
    try:
        assert [w.exitcode for w in writers] == [0] * processes
        assert seen == list(range(1, total + 1))
        assert reader.head() == total
        for i in range(processes):
            versions = [e.version for e in reader.read_stream(f"writer-{i}")]
            assert versions == list(range(1, per_process + 1))
    finally:
        reader.close()


def die_while_appending(url: str) -> None:
    """A writer process killed when its rows are inserted and its commit is about to go."""
    store = EventStore.from_url(url)

    def die_instead_of_committing(conn):
        sql = "SELECT count(*) FROM events WHERE stream_id = 'victim'"
        inserted = conn.execute(sql).fetchone()[0]  # also flushes a PostgreSQL pipeline
        assert inserted == 10, "the rows should be in the open transaction"
        os.kill(os.getpid(), signal.SIGKILL)

    store._recorder._commit = die_instead_of_committing
    store.append("victim", [event(n) for n in range(10)], NO_STREAM)


def test_a_writer_killed_in_the_middle_of_its_transaction_leaves_no_trace(database_url, store):
    store.append("before", [event()], NO_STREAM)

    victim = SPAWN.Process(target=die_while_appending, args=(database_url,))
    victim.start()
    victim.join(timeout=60)

    assert victim.exitcode == -signal.SIGKILL
    assert store.head() == 1
    assert store.read_stream("victim") == []
    [after] = store.append("victim", [event()], NO_STREAM)
    assert (after.position, after.version) == (2, 1)
