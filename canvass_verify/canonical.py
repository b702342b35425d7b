"""The documented encoding of an exported event, and its RFC 6962 leaf hash.

The rules, as the service documents them:

* canonical JSON: UTF-8, object keys sorted by code point, `,` and `:` as separators with
  no white space, non-ASCII characters as themselves, integers as plain digits, other
  numbers in Python's shortest round-trip form, no NaN or infinity;
* the canonical bytes of an event are the canonical JSON of an object with exactly the nine
  members below;
* the leaf hash is SHA-256(0x00 || canonical bytes).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, Final

EVENT_MEMBERS: Final = (
    "position",
    "stream_id",
    "version",
    "event_id",
    "type",
    "schema_version",
    "recorded_at",
    "data",
    "metadata",
)

_WHOLE_NUMBERS: Final = ("position", "version", "schema_version")
_TEXTS: Final = ("stream_id", "event_id", "type", "recorded_at")
_OBJECTS: Final = ("data", "metadata")
_LOWER_CASE_UUID: Final = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
)
_UTC_MICROSECONDS: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z"
)


class MalformedEventError(ValueError):
    """An exported event that the documented rules cannot encode."""


def parse_event(line: str | bytes) -> dict[str, Any]:
    """Read one exported event: a JSON object with the nine members and its `leaf_hash`."""
    try:
        event = _decoder.decode(line.decode("utf-8") if isinstance(line, bytes) else line)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedEventError(f"not JSON: {error}") from None
    if not isinstance(event, dict):
        raise MalformedEventError("not a JSON object")
    unexpected = sorted(set(event) - {*EVENT_MEMBERS, "leaf_hash"})
    if unexpected:
        raise MalformedEventError(f"unexpected member(s) {', '.join(unexpected)}")
    if "leaf_hash" not in event:
        raise MalformedEventError("missing member leaf_hash")
    return event


def canonical_json(value: Any) -> str:
    """Encode a JSON value by the canonical rules; ValueError for NaN or infinity."""
    return _encoder.encode(value)


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 section 2.1: the hash of one leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


def canonical_event_bytes(event: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event given as a mapping of (at least) the nine members."""
    check_members(event)
    members = {name: event[name] for name in EVENT_MEMBERS}
    try:
        return canonical_json(members).encode("utf-8")
    except (ValueError, UnicodeEncodeError) as error:
        raise MalformedEventError(f"cannot be encoded canonically: {error}") from None


def event_leaf_hash(event: Mapping[str, Any]) -> bytes:
    """The leaf hash an event must have, recomputed from its nine canonical members."""
    return leaf_hash(canonical_event_bytes(event))


def check_members(event: Mapping[str, Any]) -> None:
    """Refuse an event whose members are missing or not of the documented kinds."""
    missing = [name for name in EVENT_MEMBERS if name not in event]
    if missing:
        raise MalformedEventError(f"missing member(s) {', '.join(missing)}")
    for name in _WHOLE_NUMBERS:
        if type(event[name]) is not int:
            raise MalformedEventError(f"{name} is not a whole number")
    for name in _TEXTS:
        if not isinstance(event[name], str):
            raise MalformedEventError(f"{name} is not a string")
    for name in _OBJECTS:
        if not isinstance(event[name], dict):
            raise MalformedEventError(f"{name} is not an object")
    if not _LOWER_CASE_UUID.fullmatch(event["event_id"]):
        raise MalformedEventError("event_id is not a lower-case UUID")
    if not _UTC_MICROSECONDS.fullmatch(event["recorded_at"]):
        raise MalformedEventError("recorded_at is not UTC text YYYY-MM-DDTHH:MM:SS.ffffffZ")


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """Two members of one name would let readers disagree on what the event says."""
    members = dict(pairs)
    if len(members) != len(pairs):
        raise MalformedEventError("a member name appears twice in one object")
    return members


def _refuse(constant: str) -> None:
    raise MalformedEventError(f"{constant} is not a JSON number")


# Built once: a decoder or encoder made per call costs more than the hashing.
_decoder = json.JSONDecoder(object_pairs_hook=_refuse_duplicates, parse_constant=_refuse)
_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
