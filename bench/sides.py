"""The same workload on our event store and on the `eventsourcing` library's recorders.

Both sides do the same work per event inside the timed region: build the event object,
encode the same payload as JSON, and store it with a position in one global order. Both
projections count events in batches of 500 and commit the counts with their tracking
position in one transaction.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from typing import Any

from audit.projection import EventCounts
from events_store import NO_STREAM, EventStore, NewEvent
from events_store.database import create_engine
from events_store.projections import ProjectionRunner
from service.database import upgrade

EVENT_TYPE = "CameraRegistered"
METADATA = {"actor": "owner-5f1c", "role": "owner", "correlation_id": "req-7a3e9b"}
PROJECTION_BATCH = 500


def payload(n: int) -> dict[str, Any]:
    """A camera registration of realistic size."""
    return {
        "camera_id": f"cam-{n}",
        "label": "Driveway, facing the street",
        "bearing_degrees": (n * 37) % 360,
        "field_of_view_degrees": 90,
        "range_metres": 25,
        "retention_days": 14,
        "recording": "motion",
    }


class Ours:
    """Our EventStore, appending through its public interface."""

    name = "ours"

    def __init__(self, url: str, synchronous: str) -> None:
        self.url = url
        self.store = EventStore.from_url(url, sqlite_synchronous=synchronous)
        self.engine = create_engine(url)

    @staticmethod
    def prepare(url: str) -> None:
        upgrade(url)

    def append_single(self, stream_id: str, n: int) -> None:
        self.store.append(stream_id, [NewEvent(EVENT_TYPE, payload(n), METADATA)], NO_STREAM)

    def append_batch(self, stream_id: str, first: int, size: int) -> None:
        events = [NewEvent(EVENT_TYPE, payload(first + i), METADATA) for i in range(size)]
        self.store.append(stream_id, events, NO_STREAM)

    def read_all(self) -> int:
        count, after = 0, 0
        while batch := self.store.read_all(after, 1000):
            count += len(batch)
            after = batch[-1].position
        return count

    def rebuild(self) -> int:
        runner = ProjectionRunner(self.engine, self.store, [EventCounts()], PROJECTION_BATCH)
        return runner.rebuild("event_counts")

    def close(self) -> None:
        self.store.close()
        self.engine.dispose()


class Theirs:
    """The `eventsourcing` library's application recorder and a tracking recorder."""

    name = "eventsourcing"

    def __init__(self, location: dict[str, Any], synchronous: str) -> None:
        if location["backend"] == "sqlite":
            self._open_sqlite(location["path"], synchronous)
        else:
            self._open_postgres(location)

    @staticmethod
    def prepare(location: dict[str, Any]) -> None:
        side = Theirs(location, "NORMAL")
        side.recorder.create_table()
        side.view.create_table()
        side.close()

    def _open_sqlite(self, path: str, synchronous: str) -> None:
        from eventsourcing.sqlite import (
            SQLiteApplicationRecorder,
            SQLiteConnectionPool,
            SQLiteDatastore,
        )

        _set_sqlite_synchronous(SQLiteConnectionPool, synchronous)
        self.datastore = SQLiteDatastore(db_name=path)
        self.recorder = SQLiteApplicationRecorder(self.datastore)
        self.view = _sqlite_counts_view()(self.datastore)

    def _open_postgres(self, location: dict[str, Any]) -> None:
        from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore

        self.datastore = PostgresDatastore(
            dbname=location["dbname"],
            host=location["host"],
            port=location["port"],
            user=location["user"],
            password=location["password"],
            schema=location["schema"],
            pool_size=2,
        )
        self.recorder = PostgresApplicationRecorder(self.datastore)
        self.view = _postgres_counts_view()(self.datastore)

    def _stored(self, originator: uuid.UUID, version: int, n: int) -> Any:
        from eventsourcing.persistence import StoredEvent

        state = json.dumps({"data": payload(n), "metadata": METADATA}).encode()
        return StoredEvent(originator, version, EVENT_TYPE, state)

    def append_single(self, stream_id: str, n: int) -> None:
        self.recorder.insert_events([self._stored(uuid.uuid4(), 1, n)])

    def append_batch(self, stream_id: str, first: int, size: int) -> None:
        originator = uuid.uuid4()
        events = [self._stored(originator, i + 1, first + i) for i in range(size)]
        self.recorder.insert_events(events)

    def read_all(self) -> int:
        count, start = 0, 1
        while batch := self.recorder.select_notifications(start, 1000):
            count += len(batch)
            start = batch[-1].id + 1
        return count

    def rebuild(self) -> int:
        from eventsourcing.persistence import Tracking

        self.view.clear()
        count, start = 0, 1
        while batch := self.recorder.select_notifications(start, PROJECTION_BATCH):
            counts = Counter(notification.topic for notification in batch)
            self.view.apply(counts, Tracking("event_counts", batch[-1].id))
            count += len(batch)
            start = batch[-1].id + 1
        return count

    def close(self) -> None:
        self.datastore.close()


def _set_sqlite_synchronous(pool_class: Any, synchronous: str) -> None:
    """Give the library's SQLite connections the same durability setting as ours."""
    original = getattr(pool_class, "_bench_original_create", pool_class._create_connection)
    pool_class._bench_original_create = original

    def create(self: Any) -> Any:
        connection = original(self)
        connection._sqlite_conn.execute(f"PRAGMA synchronous={synchronous}")
        return connection

    pool_class._create_connection = create


def _sqlite_counts_view() -> type:
    from eventsourcing.sqlite import SQLiteTrackingRecorder

    class CountsView(SQLiteTrackingRecorder):  # type: ignore[misc]
        """Counts by type and the tracking position, in one transaction per batch."""

        def construct_create_table_statements(self) -> list[str]:
            return [
                *super().construct_create_table_statements(),
                "CREATE TABLE IF NOT EXISTS es_event_counts (type TEXT PRIMARY KEY, n INTEGER)",
            ]

        def clear(self) -> None:
            with self.datastore.transaction(commit=True) as c:
                c.execute("DELETE FROM es_event_counts")
                c.execute("DELETE FROM tracking")

        def apply(self, counts: Counter[str], tracking: Any) -> None:
            with self.datastore.transaction(commit=True) as c:
                for kind, n in counts.items():
                    c.execute(
                        "INSERT INTO es_event_counts VALUES (?, ?) ON CONFLICT (type)"
                        " DO UPDATE SET n = es_event_counts.n + excluded.n",
                        (kind, n),
                    )
                self._insert_tracking(c, tracking)

    return CountsView


def _postgres_counts_view() -> type:
    from eventsourcing.postgres import PostgresTrackingRecorder

    class CountsView(PostgresTrackingRecorder):  # type: ignore[misc]
        """Counts by type and the tracking position, in one transaction per batch."""

        @property
        def counts_table(self) -> str:
            return f'"{self.datastore.schema}".es_event_counts'

        def create_table(self) -> None:
            super().create_table()
            with self.datastore.transaction(commit=True) as c:
                c.execute(
                    f"CREATE TABLE IF NOT EXISTS {self.counts_table}"
                    " (type TEXT PRIMARY KEY, n BIGINT)"
                )

        def clear(self) -> None:
            with self.datastore.transaction(commit=True) as c:
                c.execute(f"DELETE FROM {self.counts_table}")
                c.execute(f'DELETE FROM "{self.datastore.schema}".{self.tracking_table_name}')

        def apply(self, counts: Counter[str], tracking: Any) -> None:
            with self.datastore.transaction(commit=True) as c:
                for kind, n in counts.items():
                    c.execute(
                        f"INSERT INTO {self.counts_table} AS t VALUES (%s, %s) ON CONFLICT (type)"
                        " DO UPDATE SET n = t.n + excluded.n",
                        (kind, n),
                    )
                self._insert_tracking(c, tracking)

    return CountsView
