"""Projections apply every event exactly once: across crashes, races and rebuilds."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa

from audit.projection import EventCounts
from events_store import ANY, NO_STREAM, EventStore, NewEvent, RecordedEvent
from events_store.database import create_engine
from events_store.projections import ProjectionRunner, UnknownProjectionError

SPAWN = multiprocessing.get_context("spawn")

metadata = sa.MetaData()
applied_events = sa.Table(
    "test_applied_events",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("times_applied", sa.Integer, nullable=False),
)


class AppliedEvents:
    """Records each position it is given; applying one twice would break the primary key."""

    name = "applied_events"

    def __init__(self, die_at_position: int | None = None) -> None:
        self.die_at_position = die_at_position

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if event.position == self.die_at_position:
                os.kill(os.getpid(), signal.SIGKILL)
            conn.execute(
                applied_events.insert().values(
                    position=event.position, stream_id=event.stream_id, times_applied=1
                )
            )

    def clear(self, conn: sa.Connection) -> None:
        conn.execute(applied_events.delete())


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def append_events(store: EventStore, count: int, streams: int = 7) -> None:
    for n in range(count):
        store.append(f"site-{n % streams}", [NewEvent("CameraRegistered", {"n": n})], ANY)


def table_rows(engine: sa.Engine, table: sa.Table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(sa.select(table).order_by(*table.primary_key))]


def count_rows(engine: sa.Engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM event_counts ORDER BY 1, 2"))]


def run_until_killed(url: str, die_at_position: int) -> None:
    """A projection process that dies in the middle of a batch, before committing it."""
    engine = create_engine(url)
    store = EventStore.from_url(url)
    runner = ProjectionRunner(engine, store, [AppliedEvents(die_at_position)], batch_size=50)
    runner.catch_up()


def test_a_crash_between_handling_and_commit_then_resume_applies_every_event_once(
    database_url, store, engine
):
    append_events(store, 500)

    crashed = SPAWN.Process(target=run_until_killed, args=(database_url, 275))
    crashed.start()
    crashed.join(timeout=120)
    assert crashed.exitcode == -signal.SIGKILL

    runner = ProjectionRunner(engine, store, [AppliedEvents()], batch_size=50)
    [status] = runner.status()
    assert status.position == 250  # batches 1-250 committed; 251-300 died with the process
    assert len(table_rows(engine, applied_events)) == 250

    runner.catch_up()

    rows = table_rows(engine, applied_events)
    assert [row[0] for row in rows] == list(range(1, 501))
    assert {row[2] for row in rows} == {1}
    assert runner.status()[0].behind == 0


def test_a_rebuild_gives_the_same_tables_as_incremental_projection(store, engine):
    runner = ProjectionRunner(engine, store, [AppliedEvents(), EventCounts()], batch_size=40)
    for _ in range(5):
        append_events(store, 37)
        runner.catch_up()
    incremental = (table_rows(engine, applied_events), count_rows(engine))

    for name in runner.names:
        runner.rebuild(name)

    assert (table_rows(engine, applied_events), count_rows(engine)) == incremental
    assert sum(row[2] for row in incremental[1]) == 5 * 37


def test_rebuild_reports_progress_up_to_the_head(store, engine):
    append_events(store, 120)
    runner = ProjectionRunner(engine, store, [EventCounts()], batch_size=50)
    reported: list[int] = []

    applied = runner.rebuild("event_counts", progress=reported.append)

    assert applied == 120
    assert reported == [50, 50, 20]


def test_two_runners_racing_apply_each_event_once(store, engine, database_url):
    append_events(store, 300)
    stores = [EventStore.from_url(database_url) for _ in range(4)]
    runners = [ProjectionRunner(engine, each, [AppliedEvents()], 25) for each in stores]
    threads = [threading.Thread(target=runner.catch_up) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for each in stores:
        each.close()

    rows = table_rows(engine, applied_events)
    assert [row[0] for row in rows] == list(range(1, 301))


def test_a_command_can_wait_until_its_own_event_is_projected(store, engine):
    runner = ProjectionRunner(engine, store, [EventCounts(), AppliedEvents()])
    [event] = store.append("site", [NewEvent("SitePaused", {})], NO_STREAM)

    runner.wait_until(event.position, ["event_counts"])

    month = event.recorded_at.strftime("%Y-%m")
    assert count_rows(engine) == [(month, "SitePaused", 1)]
    statuses = {s.name: s.position for s in runner.status()}
    assert statuses == {"event_counts": 1, "applied_events": 0}


def test_the_event_counts_projection_counts_by_month_and_type(store, engine):
    for kind in ["CameraRegistered"] * 3 + ["SitePaused"] * 2:
        store.append(f"s-{kind}", [NewEvent(kind, {})], ANY)
    ProjectionRunner(engine, store, [EventCounts()], batch_size=2).catch_up()

    counts = Counter({row[1]: row[2] for row in count_rows(engine)})
    assert counts == Counter({"CameraRegistered": 3, "SitePaused": 2})


def test_an_unknown_projection_name_is_refused_with_the_known_names(store, engine):
    runner = ProjectionRunner(engine, store, [EventCounts()])
    with pytest.raises(UnknownProjectionError, match="known: event_counts"):
        runner.rebuild("camera_map")
