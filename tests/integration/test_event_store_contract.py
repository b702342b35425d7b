"""The event store's contract, held to the same behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import uuid
from datetime import UTC

import pytest

from events_store import (
    ANY,
    NO_STREAM,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    InvalidEventError,
    NewEvent,
    Upcasters,
)
from events_store.canonical import event_leaf_hash, format_timestamp
from events_store.integrity import verify_log


def camera_registered(label: str = "Front door", **extra: object) -> NewEvent:
    return NewEvent(
        type="CameraRegistered",
        data={"label": label, "bearing_degrees": 135.5, "retention_days": 14, **extra},
        metadata={"actor": "owner-7", "role": "owner", "correlation_id": "req-1"},
    )


def test_an_append_is_given_dense_positions_versions_and_a_verifiable_leaf_hash(store):
    recorded = store.append("site-1", [camera_registered("a"), camera_registered("b")], NO_STREAM)

    assert [(e.position, e.version, e.stream_id) for e in recorded] == [
        (1, 1, "site-1"),
        (2, 2, "site-1"),
    ]
    first = recorded[0]
    assert first.type == "CameraRegistered"
    assert first.schema_version == 1
    assert first.data["label"] == "a"
    assert first.metadata["actor"] == "owner-7"
    assert first.recorded_at.tzinfo is not None
    assert first.recorded_at.utcoffset().total_seconds() == 0
    assert first.leaf_hash == event_leaf_hash(
        {
            "position": 1,
            "stream_id": "site-1",
            "version": 1,
            "event_id": first.event_id,
            "type": "CameraRegistered",
            "schema_version": 1,
            "recorded_at": format_timestamp(first.recorded_at),
            "data": first.data,
            "metadata": first.metadata,
        }
    )
    assert store.read_all() == recorded
    assert store.head() == 2


def test_events_read_back_exactly_as_written(store):
    payload = {
        "text": 'Café «Zoë» 日本 \u2028 "quoted" \\ back',
        "floats": [0.1, -2.5e-7, 1e21, 123456789.125],
        "integers": [0, -1, 2**53 - 1, -(2**53 - 1)],
        "nested": {"z": None, "a": [True, False, {}]},
    }
    store.append("s", [NewEvent("Any", payload, {"purpose": "ünïcode"})], NO_STREAM)

    [event] = store.read_stream("s")
    assert event.data == payload
    assert event.metadata == {"purpose": "ünïcode"}
    assert verify_log(store).intact


@pytest.mark.parametrize(
    ("expected", "stream_length"),
    [(NO_STREAM, 1), (0, 1), (2, 1), (1, 2), (3, 2)],
)
def test_a_writer_at_the_wrong_version_is_refused_and_writes_nothing(
    store, expected, stream_length
):
    store.append("s", [camera_registered() for _ in range(stream_length)], NO_STREAM)
    head = store.head()

    with pytest.raises(ConcurrencyError) as refused:
        store.append("s", [camera_registered()], expected)

    assert refused.value.actual == stream_length
    assert "reload it and try again" in str(refused.value)
    assert store.head() == head
    assert len(store.read_stream("s")) == stream_length


def test_any_appends_wherever_the_stream_is(store):
    store.append("s", [camera_registered()], ANY)
    store.append("s", [camera_registered()], ANY)
    assert [e.version for e in store.read_stream("s")] == [1, 2]


def test_a_batch_that_conflicts_halfway_writes_nothing(store):
    [stored] = store.append("other", [camera_registered()], NO_STREAM)
    batch = [camera_registered("one"), camera_registered("two")]
    clash = NewEvent("CameraRegistered", {"label": "three"}, event_id=stored.event_id)
    batch += [clash, camera_registered("four")]

    with pytest.raises(DuplicateEventError):
        store.append("site", batch, NO_STREAM)

    assert store.read_stream("site") == []
    assert store.head() == 1
    [after] = store.append("site", [camera_registered()], NO_STREAM)
    assert after.position == 2


def test_resending_an_append_that_was_stored_returns_it_and_writes_nothing(store):
    batch = [camera_registered("a"), camera_registered("b")]
    first = store.append("s", batch, NO_STREAM)
    store.append("s", [camera_registered("c")], 2)

    assert store.append("s", batch, NO_STREAM) == first
    assert store.append("s", batch, ANY) == first
    assert store.head() == 3


@pytest.mark.parametrize("where", ["another stream", "another place in the stream"])
def test_an_event_id_stored_elsewhere_is_refused(store, where):
    event = camera_registered()
    store.append("s", [event], NO_STREAM)

    with pytest.raises(DuplicateEventError) as refused:
        if where == "another stream":
            store.append("t", [event], NO_STREAM)
        else:
            store.append("s", [camera_registered(), event], 1)

    assert refused.value.event_id == event.event_id
    assert store.head() == 1


def test_a_partly_resent_batch_is_refused(store):
    event = camera_registered()
    store.append("s", [event], NO_STREAM)
    with pytest.raises(DuplicateEventError):
        store.append("s", [event, camera_registered()], NO_STREAM)
    assert store.head() == 1


def test_reading_a_stream_from_a_version_and_the_log_after_a_position(store):
    store.append("a", [camera_registered(str(i)) for i in range(5)], NO_STREAM)
    store.append("b", [camera_registered("b")], NO_STREAM)
    store.append("a", [camera_registered("5")], 5)

    assert [e.data["label"] for e in store.read_stream("a", from_version=4)] == ["3", "4", "5"]
    assert [e.position for e in store.read_stream("a", from_version=2, limit=2)] == [2, 3]
    assert store.read_stream("nobody") == []
    assert [e.position for e in store.read_all(after=3, limit=2)] == [4, 5]
    assert [e.position for e in store.read_all(after=5)] == [6, 7]
    assert store.read_all(after=7) == []
    assert [e.position for e in store.iter_all(batch_size=2)] == list(range(1, 8))


@pytest.mark.parametrize(
    ("stream_id", "events", "expected", "complaint"),
    [
        ("", [NewEvent("T", {})], NO_STREAM, "stream id"),
        ("x" * 201, [NewEvent("T", {})], NO_STREAM, "at most 200"),
        ("s", [], NO_STREAM, "at least one event"),
        ("s", [NewEvent("T", {})] * 2, NO_STREAM, "appears twice"),
        ("s", [NewEvent("", {})], NO_STREAM, "event type"),
        ("s", [NewEvent("T", {"when": object()})], NO_STREAM, "not plain JSON"),
        ("s", [NewEvent("T", {"x": math.nan})], NO_STREAM, "not plain JSON"),
        ("s", [NewEvent("T", {"x": "y" * 300_000})], NO_STREAM, "larger than 256 KiB"),
        ("s", [NewEvent("T", ["not", "an", "object"])], NO_STREAM, "JSON object"),
        ("s", [NewEvent("T", {}, event_id="not-a-uuid")], NO_STREAM, "not a UUID"),
        ("s", [NewEvent("T", {}, schema_version=0)], NO_STREAM, "schema_version"),
        ("s", [NewEvent("T", {})], -1, "expected_version"),
        ("s", [NewEvent("T", {})], "1", "expected_version"),
        ("s", [NewEvent("T", {})] * 1001, NO_STREAM, "at most 1000"),
    ],
)
def test_malformed_appends_are_refused_with_a_reason_and_write_nothing(
    store, stream_id, events, expected, complaint
):
    with pytest.raises(InvalidEventError, match=complaint):
        store.append(stream_id, events, expected)
    assert store.head() == 0


def test_event_ids_are_accepted_in_any_uuid_spelling_and_stored_canonically(store):
    event_id = uuid.uuid4()
    [event] = store.append("s", [NewEvent("T", {}, event_id=str(event_id).upper())], NO_STREAM)
    assert event.event_id == str(event_id)


def test_an_old_schema_version_is_read_back_upgraded_and_still_verifies(database_url):
    old = EventStore.from_url(database_url)
    old.append("s", [NewEvent("CameraRegistered", {"direction": 90}, schema_version=1)], NO_STREAM)
    old.close()

    upcasters = Upcasters()

    @upcasters.register("CameraRegistered", from_version=1)
    def rename_direction(data):
        return {"bearing_degrees": data["direction"]}

    @upcasters.register("CameraRegistered", from_version=2)
    def add_field_of_view(data):
        return {**data, "field_of_view_degrees": None}

    new = EventStore.from_url(database_url, upcasters=upcasters)
    try:
        [event] = new.read_stream("s")
        assert event.schema_version == 3
        assert event.data == {"bearing_degrees": 90, "field_of_view_degrees": None}
        assert new.read_all() == [event]
        assert verify_log(new).intact
    finally:
        new.close()


def test_recorded_times_are_aware_utc_times_in_both_directions(store):
    appended = [store.append(f"s{i}", [camera_registered()], NO_STREAM)[0] for i in range(5)]
    read = store.read_all()
    assert [e.recorded_at for e in read] == [e.recorded_at for e in appended]
    assert all(e.recorded_at.utcoffset() == UTC.utcoffset(None) for e in read)
