"""A projection that cannot apply an event stops just before it, says why, and is repaired
by an upcaster and a rebuild; the other projections and the appends they read carry on."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import pytest
import sqlalchemy as sa

from audit.projection import EventCounts
from events_store import (
    ANY,
    EventStore,
    NewEvent,
    ProjectionFailed,
    ProjectionUnavailable,
    RecordedEvent,
)
from events_store.database import create_engine
from events_store.projections import ProjectionRunner

metadata = sa.MetaData()
labels = sa.Table(
    "test_labels",
    metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("label", sa.String(40), nullable=False),
    sa.Column("floors", sa.Integer, nullable=False),
)


class Labels:
    """Stores each LabelSet's label and floor count; it cannot store a label that is missing."""

    name = "labels"
    event_types = frozenset({"LabelSet"})

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        for event in events:
            if event.type == "LabelSet":
                floors = int(event.data.get("floors", 1))
                values = {"label": event.data.get("label"), "floors": floors}
                conn.execute(labels.insert().values(position=event.position, **values))

    def clear(self, conn: sa.Connection) -> None:
        conn.execute(labels.delete())


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def runner(engine: sa.Engine, store: EventStore) -> ProjectionRunner:
    return ProjectionRunner(engine, store, [Labels(), EventCounts()], batch_size=10)


def set_label(store: EventStore, data: dict) -> RecordedEvent:
    [recorded] = store.append("site-1", [NewEvent("LabelSet", data)], ANY)
    return recorded


def stored_labels(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.select(labels.c.label).order_by(labels.c.position)).scalars())


def poisoned_log(store: EventStore) -> int:
    """Three good labels, one without a label, two more good ones; the bad one's position."""
    for label in ("Porch", "Gate", "Yard"):
        set_label(store, {"label": label})
    bad = set_label(store, {"floors": 2}).position
    for label in ("Side", "Back"):
        set_label(store, {"label": label})
    return bad


def test_a_projection_stops_just_before_the_event_it_cannot_apply_and_says_why(
    store, engine, runner
):
    bad = poisoned_log(store)

    runner.catch_up()

    status = {row.name: row for row in runner.status()}
    assert status["labels"].position == bad - 1
    assert stored_labels(engine) == ["Porch", "Gate", "Yard"]
    failure = status["labels"].failure
    assert (failure.position, failure.event_type, failure.error) == (
        bad,
        "LabelSet",
        "IntegrityError",
    )
    assert "label" in failure.message and failure.failed_at is not None
    assert status["event_counts"].position == 6 and status["event_counts"].failure is None


def test_the_recorded_failure_and_the_log_line_leave_out_what_the_event_said(
    store, engine, runner, caplog
):
    set_label(store, {"label": "Porch", "floors": "Ann Lee, 12 Elm St, ann@example.org"})

    with caplog.at_level(logging.INFO):
        runner.catch_up()

    failure = runner.failures()["labels"]
    assert failure.error == "ValueError"
    assert failure.message == "invalid literal for int() with base 10: '…'"
    for said in ("Ann", "Elm", "12", "example.org"):
        assert said not in failure.describe() and said not in caplog.text
    assert "projection labels stopped: could not apply event 1 (LabelSet)" in caplog.text


def test_appends_a_stopped_projection_would_read_are_refused_before_they_are_written(store, runner):
    bad = poisoned_log(store)
    runner.catch_up()

    with pytest.raises(ProjectionUnavailable, match=r"labels records.*being repaired") as refused:
        set_label(store, {"label": "Roof"})

    assert refused.value.projection == "labels" and refused.value.position == bad
    assert refused.value.retry_after_seconds > 0
    assert store.head() == 6
    [other] = store.append("site-1", [NewEvent("SitePaused", {})], ANY)
    runner.catch_up()
    assert {row.name: row.position for row in runner.status()} == {
        "labels": bad - 1,
        "event_counts": other.position,
    }


def test_another_process_sees_the_stop_and_refuses_those_appends_too(
    store, engine, runner, database_url
):
    other_store = EventStore.from_url(database_url)
    ProjectionRunner(engine, other_store, [Labels()], guard_interval_seconds=0)
    poisoned_log(store)
    runner.catch_up()

    with pytest.raises(ProjectionUnavailable):
        other_store.append("site-2", [NewEvent("LabelSet", {"label": "Roof"})], ANY)

    assert other_store.head() == 6
    other_store.close()


def test_waiting_for_a_stopped_projection_says_so_instead_of_waiting_for_ever(store, runner):
    bad = poisoned_log(store)

    with pytest.raises(ProjectionUnavailable, match="Your change was recorded") as stopped:
        runner.wait_until(store.head(), ["labels"])

    assert stopped.value.recorded and stopped.value.position == bad
    runner.wait_until(store.head(), ["event_counts"])
    runner.wait_until(bad - 1, ["labels"])  # what it did apply can still be waited for


def test_a_rebuild_that_still_fails_keeps_the_old_rows_serving_and_names_the_event(
    store, engine, runner
):
    bad = poisoned_log(store)
    runner.catch_up()

    with pytest.raises(ProjectionFailed, match=f"could not apply event {bad} \\(LabelSet\\)"):
        runner.rebuild("labels")

    assert stored_labels(engine) == ["Porch", "Gate", "Yard"]
    status = {row.name: row for row in runner.status()}
    assert status["labels"].position == bad - 1 and status["labels"].failure.position == bad


def test_an_upcaster_that_corrects_the_event_and_a_rebuild_restore_the_projection(
    store, engine, runner
):
    poisoned_log(store)
    runner.catch_up()

    @store.upcasters.register("LabelSet", from_version=1)
    def name_unlabelled(data: dict) -> dict:
        return {**data, "label": data.get("label") or "Unlabelled"}

    assert runner.rebuild("labels") == 6

    assert stored_labels(engine) == ["Porch", "Gate", "Yard", "Unlabelled", "Side", "Back"]
    assert runner.failures() == {}
    set_label(store, {"label": "Roof"})
    runner.wait_until(store.head(), ["labels"])
    assert stored_labels(engine)[-1] == "Roof"


def test_a_retry_after_the_fix_carries_on_from_where_the_projection_stopped(store, engine, runner):
    poisoned_log(store)
    runner.catch_up()
    store.upcasters.register("LabelSet", from_version=1)(lambda d: {"label": "Unlabelled", **d})

    assert runner.retry("labels") == 3

    assert stored_labels(engine) == ["Porch", "Gate", "Yard", "Unlabelled", "Side", "Back"]
    assert runner.failures() == {}


def test_a_rebuild_that_succeeds_equals_applying_the_log_as_it_came(store, engine, runner):
    for label in ("Porch", "Gate", "Yard", "Side"):
        set_label(store, {"label": label})
        runner.catch_up()
    incremental = stored_labels(engine)

    runner.rebuild("labels")

    assert stored_labels(engine) == incremental


class DropsItsConnectionOnce(Labels):
    """Loses its database connection in the middle of its first batch, as in a restart."""

    def __init__(self) -> None:
        self.dropped = False

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        if not self.dropped:
            self.dropped = True
            conn.execute(sa.text("SELECT pg_terminate_backend(pg_backend_pid())"))
        super().apply(conn, events)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # SQLite has no connection to lose
def test_a_lost_connection_is_not_taken_for_an_event_that_cannot_be_applied(store, engine):
    runner = ProjectionRunner(engine, store, [DropsItsConnectionOnce()])
    for label in ("Porch", "Gate"):
        set_label(store, {"label": label})

    with pytest.raises(sa.exc.OperationalError):
        runner.catch_up()

    assert runner.failures() == {}
    runner.catch_up()
    assert stored_labels(engine) == ["Porch", "Gate"]
