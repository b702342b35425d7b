"""The documented, deterministic encoding of an event, and its RFC 6962 leaf hash.

Anyone can recompute a leaf hash from an exported event with these rules alone:

* **Canonical JSON** of a value: UTF-8 JSON with object keys sorted by code point, no
  insignificant white space (`,` and `:` as separators), non-ASCII characters written as
  themselves (not `\\u` escapes), integers as plain digits, other numbers in the shortest
  form that reads back as the same IEEE 754 double (Python's `repr`), and no NaN or
  infinity.
* **Canonical bytes** of an event: the canonical JSON of the object with exactly these
  nine members: `position`, `stream_id`, `version`, `event_id` (lower-case UUID text),
  `type`, `schema_version`, `recorded_at` (UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`), `data` and
  `metadata` (both as stored: personal fields already encrypted).
* **Leaf hash**: `SHA-256(0x00 || canonical bytes)`, as RFC 6962 section 2.1 defines the
  hash of a leaf.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

LEAF_PREFIX = b"\x00"

_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_encode_string = json.JSONEncoder(ensure_ascii=False).encode


def _refuse(value: object) -> None:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


# The standard library's C encoder, built once with the canonical options: the same output
# as `_encoder.encode`, without rebuilding the encoder on every call.
_c_encoder = (
    json.encoder.c_make_encoder(  # type: ignore[attr-defined]
        None,
        _refuse,
        json.encoder.c_encode_basestring,  # type: ignore[attr-defined]
        None,
        ":",
        ",",
        True,
        False,
        False,
    )
    if json.encoder.c_make_encoder is not None  # type: ignore[attr-defined]
    else None
)


def canonical_json(value: Any) -> str:
    """Encode a JSON value canonically (see the module's rules)."""
    if _c_encoder is not None and isinstance(value, dict):
        return "".join(_c_encoder(value, 0))
    return _encoder.encode(value)


def json_string(text: str) -> str:
    """A string as a canonical JSON string literal."""
    return _encode_string(text)


def format_timestamp(moment: datetime) -> str:
    """Write an aware time as the canonical UTC text with microseconds."""
    if moment.tzinfo is None:
        raise ValueError("timestamps in the log must be timezone-aware")
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # isoformat is several times faster than strftime; "+00:00" becomes "Z".
    return moment.isoformat(timespec="microseconds")[:-6] + "Z"


def parse_timestamp(text: str) -> datetime:
    """Read the canonical UTC text back into an aware datetime."""
    return datetime.fromisoformat(text)


def canonical_event_bytes(
    *,
    position: int,
    stream_id: str,
    version: int,
    event_id: str,
    type: str,
    schema_version: int,
    recorded_at: str,
    data_json: str,
    metadata_json: str,
) -> bytes:
    """The canonical bytes of an event whose payloads are already canonical JSON.

    Equal to `canonical_json` of the nine-member object, but without re-encoding the
    payloads, which are the bulk of the bytes.
    """
    return (
        f'{{"data":{data_json},"event_id":{_encode_string(event_id)},'
        f'"metadata":{metadata_json},"position":{position:d},'
        f'"recorded_at":{_encode_string(recorded_at)},"schema_version":{schema_version:d},'
        f'"stream_id":{_encode_string(stream_id)},"type":{_encode_string(type)},'
        f'"version":{version:d}}}'
    ).encode()


def leaf_hash(canonical_bytes: bytes) -> bytes:
    """RFC 6962 leaf hash of one entry."""
    return hashlib.sha256(LEAF_PREFIX + canonical_bytes).digest()


def event_leaf_hash(fields: Mapping[str, Any]) -> bytes:
    """Leaf hash of an event given as a mapping of the nine canonical members.

    This is the slow, obviously correct path: `data` and `metadata` are plain values.
    """
    members = {name: fields[name] for name in _MEMBERS}
    return leaf_hash(canonical_json(members).encode())


_MEMBERS = (
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
