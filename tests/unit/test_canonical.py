"""The documented encoding and leaf hash, checked against RFC 6962 and against themselves."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from events_store.canonical import (
    canonical_event_bytes,
    canonical_json,
    event_leaf_hash,
    format_timestamp,
    leaf_hash,
    parse_timestamp,
)
from events_store.model import new_event_id
from events_store.recorders.base import PendingEvent, build_rows


@pytest.mark.parametrize(
    ("entry", "expected"),
    [  # The leaf hashes of the first standard test leaves of RFC 6962 / RFC 9162 section 2.1.
        (b"", "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        (b"\x00", "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        (b"\x10", "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        (b"\x20\x21", "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    ],
)
def test_leaf_hashes_follow_rfc_6962(entry, expected):
    assert leaf_hash(entry).hex() == expected


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ({"b": 1, "a": 2}, '{"a":2,"b":1}'),
        ({"é": "ü", "ä": [1, 2]}, '{"ä":[1,2],"é":"ü"}'),
        ({"x": 0.1, "y": 1e21, "z": -0.0}, '{"x":0.1,"y":1e+21,"z":-0.0}'),
        ({"n": None, "t": True, "s": 'say "hi"\n'}, '{"n":null,"s":"say \\"hi\\"\\n","t":true}'),
        ({"nested": {"b": {}, "a": []}}, '{"nested":{"a":[],"b":{}}}'),
    ],
)
def test_canonical_json_sorts_keys_and_writes_no_spaces(value, encoded):
    assert canonical_json(value) == encoded


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_canonical_json_refuses_values_json_cannot_carry(bad):
    with pytest.raises(ValueError):
        canonical_json({"x": bad})


def test_canonical_json_refuses_objects_that_are_not_json():
    with pytest.raises(TypeError, match="datetime is not a JSON value"):
        canonical_json({"when": datetime.now(UTC)})


def test_timestamps_are_written_in_utc_with_microseconds():
    moment = datetime(2026, 11, 21, 9, 30, 0, 5, tzinfo=timezone(timedelta(hours=-8)))
    assert format_timestamp(moment) == "2026-11-21T17:30:00.000005Z"
    assert parse_timestamp("2026-11-21T17:30:00.000005Z") == moment
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 11, 21))


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(
    stream_id=st.text(min_size=1, max_size=30),
    event_type=st.text(min_size=1, max_size=30),
    data=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4),
    metadata=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=3),
    position=st.integers(1, 2**40),
    version=st.integers(1, 2**20),
)
def test_the_fast_row_builder_hashes_exactly_the_documented_bytes(
    stream_id, event_type, data, metadata, position, version
):
    event_id = new_event_id()
    recorded_at = "2026-11-21T17:30:00.000005Z"
    pending = PendingEvent(event_id, event_type, 2, canonical_json(data), canonical_json(metadata))

    [row] = build_rows(stream_id, [pending], version, position, recorded_at)

    members = {
        "position": position,
        "stream_id": stream_id,
        "version": version,
        "event_id": event_id,
        "type": event_type,
        "schema_version": 2,
        "recorded_at": recorded_at,
        "data": data,
        "metadata": metadata,
    }
    assert row[9] == event_leaf_hash(members)
    documented = canonical_event_bytes(
        position=position,
        stream_id=stream_id,
        version=version,
        event_id=event_id,
        type=event_type,
        schema_version=2,
        recorded_at=recorded_at,
        data_json=pending.data_json,
        metadata_json=pending.metadata_json,
    )
    assert json.loads(documented) == json.loads(canonical_json(members))
    assert leaf_hash(documented) == row[9]


def test_event_ids_are_time_ordered_version_7_uuids():
    import uuid

    ids = [new_event_id() for _ in range(1000)]
    parsed = [uuid.UUID(i) for i in ids]
    assert {u.version for u in parsed} == {7}
    assert {u.variant for u in parsed} == {uuid.RFC_4122}
    assert len(set(ids)) == 1000
    milliseconds = [u.int >> 80 for u in parsed]
    assert milliseconds == sorted(milliseconds)
