"""Any JSON payload is either refused as invalid or stored and read back exactly as given."""

from __future__ import annotations

import math
import os
import uuid

from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from events_store import ANY, InvalidEventError, NewEvent
from tests.support.hostile import hostile_characters, json_values

PAYLOADS = st.dictionaries(st.text(hostile_characters(), max_size=8), json_values(), max_size=5)


def same_json(given_value, read_value) -> bool:
    """Equal as JSON values: the same structure, strings and exact numbers (1 and 1.0 are
    one number; True is not 1)."""
    if isinstance(given_value, bool) or isinstance(read_value, bool):
        return type(given_value) is type(read_value) and given_value == read_value
    if isinstance(given_value, int | float) and isinstance(read_value, int | float):
        return given_value == read_value
    if isinstance(given_value, dict) and isinstance(read_value, dict):
        return given_value.keys() == read_value.keys() and all(
            same_json(given_value[key], read_value[key]) for key in given_value
        )
    if isinstance(given_value, list) and isinstance(read_value, list):
        return len(given_value) == len(read_value) and all(
            same_json(a, b) for a, b in zip(given_value, read_value, strict=True)
        )
    return type(given_value) is type(read_value) and given_value == read_value


@settings(
    max_examples=150,
    deadline=None,
    derandomize=os.environ.get("CI") == "true",
    # One store for every example is intended: each example appends to a stream of its own.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=PAYLOADS, metadata=PAYLOADS)
@example(data={"whole float beyond 2**53": 4.644901218271157e16}, metadata={})
@example(data={"lone surrogate": "\ud800"}, metadata={"\udfff": 1})
@example(data={"nul": "a\x00b", "beyond": 2**53 + 1}, metadata={})
@example(data={"edges": [1e308, -1e308, 5e-324, -0.0, 1.0]}, metadata={})
@example(data={"not numbers": [math.nan, math.inf]}, metadata={})
def test_an_append_is_refused_as_invalid_or_read_back_exactly_as_given(store, data, metadata):
    stream = f"property-{uuid.uuid4().hex}"
    event = NewEvent("Happened", data, metadata)
    try:
        store.append(stream, [event], ANY)
    except InvalidEventError as refused:
        note(f"refused: {refused}")
        assert store.read_stream(stream) == []
        return

    [read] = store.read_stream(stream)
    assert read.event_id == event.event_id
    assert same_json(data, read.data), (data, read.data)
    assert same_json(metadata, read.metadata), (metadata, read.metadata)
