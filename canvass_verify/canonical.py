"""Hash rule v2 as the service documents it: RFC 8785 bytes of an event, and its leaf hash.

The rules, written again here from the documents alone (this package shares no code with
the service):

* canonical JSON is RFC 8785 (JSON Canonicalization Scheme): UTF-8, members sorted by the
  UTF-16 code units of their names, no white space, strings escaped as ECMAScript's
  `JSON.stringify` does, every number written as ECMAScript writes a double; NaN,
  infinity and lone surrogates cannot be encoded;
* the canonical bytes of an event are the canonical JSON of an object with exactly the nine
  members below;
* the leaf hash is SHA-256(0x00 || canonical bytes).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
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
    """Encode a JSON value by RFC 8785; ValueError for what it cannot carry."""
    if _standard_library_agrees(value):
        text = _encoder.encode(value)
        if text.isascii() or not _OUTSIDE_THE_BMP_OR_LONE.search(text):
            return text
    return "".join(_rfc_8785(value))


def _standard_library_agrees(value: Any) -> bool:
    """Whether Python's sorted, compact JSON of `value` is already its RFC 8785 text.

    It is for text, literals, exact integers and doubles from 1e-4 that are not whole;
    member names outside the BMP and lone surrogates are looked for in the text after.
    """
    if isinstance(value, dict):
        return all(_standard_library_agrees(item) for item in value.values())
    if isinstance(value, list):
        return all(_standard_library_agrees(item) for item in value)
    if isinstance(value, float):
        return not value.is_integer() and abs(value) >= 1e-4 and abs(value) != float("inf")
    if isinstance(value, int) and not isinstance(value, bool):
        return -_EXACT <= value <= _EXACT
    return True


def _rfc_8785(value: Any) -> Iterator[str]:
    """RFC 8785 section 3.2, one value at a time."""
    if value is None or value is True or value is False:
        yield _encoder.encode(value)
    elif isinstance(value, str):
        if _LONE_SURROGATE.search(value):
            raise ValueError("a string holds a lone surrogate")
        yield _encoder.encode(value)
    elif isinstance(value, int | float):
        yield _ecmascript_number(value)
    elif isinstance(value, list):
        yield "["
        for index, item in enumerate(value):
            yield "," if index else ""
            yield from _rfc_8785(item)
        yield "]"
    elif isinstance(value, dict):
        yield "{"
        names = sorted(value, key=lambda name: name.encode("utf-16-be", "surrogatepass"))
        for index, name in enumerate(names):
            yield "," if index else ""
            yield from _rfc_8785(name)
            yield ":"
            yield from _rfc_8785(value[name])
        yield "}"
    else:
        raise ValueError(f"{type(value).__name__} is not a JSON value")


def _ecmascript_number(number: int | float) -> str:
    """ECMA-262 Number::toString of the double nearest `number` (RFC 8785 section 3.2.2.3)."""
    double = float(number)  # OverflowError (a ValueError's kin) beyond the largest double
    if double != double or double in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinity are not JSON numbers")
    if double == 0:
        return "0"
    _, digit_tuple, exponent = Decimal(repr(abs(double))).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0")
    n = len("".join(map(str, digit_tuple))) + int(exponent)  # the point after digit n
    sign = "-" if double < 0 else ""
    k = len(digits)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if n > 0 else '-'}{abs(n - 1)}"


def leaf_hash(entry: bytes) -> bytes:
    """RFC 6962 section 2.1: the hash of one leaf."""
    return hashlib.sha256(b"\x00" + entry).digest()


def canonical_event_bytes(event: Mapping[str, Any]) -> bytes:
    """The canonical bytes of an event given as a mapping of (at least) the nine members."""
    check_members(event)
    members = {name: event[name] for name in EVENT_MEMBERS}
    try:
        return canonical_json(members).encode("utf-8")
    except (ValueError, OverflowError, UnicodeEncodeError) as error:
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
_EXACT: Final = 2**53 - 1
_LONE_SURROGATE: Final = re.compile("[\\ud800-\\udfff]")
_OUTSIDE_THE_BMP_OR_LONE: Final = re.compile("[\\ud800-\\udfff\\U00010000-\\U0010ffff]")
