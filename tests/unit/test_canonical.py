"""Hash rule v2: RFC 8785 bytes and RFC 6962 leaf hashes, checked against both RFCs' examples."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from events_store.canonical import (
    MAX_EXACT_INTEGER,
    canonical_event_bytes,
    canonical_json,
    ecmascript_number,
    event_leaf_hash,
    format_timestamp,
    leaf_hash,
    parse_timestamp,
)
from events_store.model import new_event_id
from events_store.recorders.base import PendingEvent, build_rows
from tests.support.jcs_vectors import (
    APPENDIX_B_NOT_NUMBERS,
    APPENDIX_B_NUMBERS,
    RFC_8785_SAMPLE,
    RFC_8785_SAMPLE_OUTPUT,
    RFC_8785_SORTED_NAMES,
    RFC_8785_SORTING,
    SAFE_JSON,
    double,
)


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
        ({"x": 0.1, "y": 1e21, "z": -0.0}, '{"x":0.1,"y":1e+21,"z":0}'),
        (
            {"whole": 90.0, "tiny": 1e-7, "small": 0.00001},
            '{"small":0.00001,"tiny":1e-7,"whole":90}',
        ),
        ({"n": None, "t": True, "s": 'say "hi"\n'}, '{"n":null,"s":"say \\"hi\\"\\n","t":true}'),
        ({"nested": {"b": {}, "a": []}}, '{"nested":{"a":[],"b":{}}}'),
    ],
)
def test_canonical_json_sorts_keys_and_writes_no_spaces(value, encoded):
    assert canonical_json(value) == encoded


@pytest.mark.parametrize(
    "bad",
    [
        math.nan,
        math.inf,
        -math.inf,
        MAX_EXACT_INTEGER + 1,
        -MAX_EXACT_INTEGER - 1,
        10**30,
        2.0**60,
        -4.644901218271157e16,
        "\ud800",
    ],
)
def test_canonical_json_refuses_values_rfc_8785_cannot_carry(bad):
    with pytest.raises(ValueError):
        canonical_json({"x": bad})
    with pytest.raises(ValueError):
        canonical_json({"x": [1.5e-9, bad]})


def test_canonical_json_refuses_member_names_that_are_not_text():
    with pytest.raises(TypeError, match="member name must be text"):
        canonical_json({"a": {1: "one"}})


def test_the_largest_exact_integers_are_written_as_digits():
    encoded = canonical_json({"max": MAX_EXACT_INTEGER, "min": -MAX_EXACT_INTEGER})
    assert encoded == '{"max":9007199254740991,"min":-9007199254740991}'


def test_the_rfc_8785_sample_gives_the_rfcs_canonical_text():
    assert canonical_json(json.loads(RFC_8785_SAMPLE)) == RFC_8785_SAMPLE_OUTPUT


def test_member_names_sort_by_utf_16_code_units_as_rfc_8785_shows():
    encoded = canonical_json(json.loads(RFC_8785_SORTING))
    assert list(json.loads(encoded)) == RFC_8785_SORTED_NAMES
    assert encoded.startswith('{"\\r":"Carriage Return","1":"One","\u0080":"Control",')


@pytest.mark.parametrize(("ieee_754", "expected"), APPENDIX_B_NUMBERS)
def test_numbers_are_written_as_rfc_8785_appendix_b_shows(ieee_754, expected):
    number = double(ieee_754)
    assert ecmascript_number(number) == expected
    if number.is_integer() and 2**53 <= abs(number) < 1e21:
        with pytest.raises(ValueError, match="cannot be carried exactly"):
            canonical_json([number])  # its digits would read back as another integer
    else:
        assert canonical_json([number]) == f"[{expected}]"


@pytest.mark.parametrize("ieee_754", APPENDIX_B_NOT_NUMBERS)
def test_nan_and_infinity_from_appendix_b_are_refused(ieee_754):
    number = double(ieee_754)
    with pytest.raises(ValueError):
        canonical_json([number])


@given(SAFE_JSON)
def test_canonical_json_agrees_with_the_rfc8785_package_on_any_json_value(value):
    assert canonical_json(value).encode() == rfc8785.dumps(value)


def test_canonical_json_refuses_objects_that_are_not_json():
    with pytest.raises(TypeError, match="datetime is not a JSON value"):
        canonical_json({"when": datetime.now(UTC)})


def test_timestamps_are_written_in_utc_with_microseconds():
    moment = datetime(2026, 11, 21, 9, 30, 0, 5, tzinfo=timezone(timedelta(hours=-8)))
    assert format_timestamp(moment) == "2026-11-21T17:30:00.000005Z"
    assert parse_timestamp("2026-11-21T17:30:00.000005Z") == moment
    with pytest.raises(ValueError, match="timezone-aware"):
        format_timestamp(datetime(2026, 11, 21))


@given(
    stream_id=st.text(min_size=1, max_size=30),
    event_type=st.text(min_size=1, max_size=30),
    data=st.dictionaries(st.text(max_size=8), SAFE_JSON, max_size=4),
    metadata=st.dictionaries(st.text(max_size=8), SAFE_JSON, max_size=3),
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
