"""Hash rule v2: the canonical bytes of an event are RFC 8785 (JCS), and its leaf hash.

Anyone can recompute a leaf hash from an exported event with these rules alone:

* **Canonical JSON** of a value is its RFC 8785 (JSON Canonicalization Scheme) text in
  UTF-8: object members sorted by the UTF-16 code units of their names, no white space,
  strings escaped as ECMAScript's `JSON.stringify` does, numbers written as ECMAScript
  writes a double (shortest round trip, `1e+21` and `1e-7` style only from 1e21 and below
  1e-6, `-0` as `0`). Values RFC 8785 cannot carry exactly are refused: NaN, infinity,
  lone surrogates, integers beyond +-(2**53 - 1), which a double cannot hold, and whole
  doubles from 2**53 up to 1e21, whose digits would read back as another integer.
* **Canonical bytes** of an event: the canonical JSON of the object with exactly these
  nine members: `data`, `event_id` (lower-case UUID text), `metadata`, `position`,
  `recorded_at` (UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`), `schema_version`, `stream_id`,
  `type` and `version`; `data` and `metadata` as stored (personal fields already
  encrypted).
* **Leaf hash**: `SHA-256(0x00 || canonical bytes)`, as RFC 6962 section 2.1 defines the
  hash of a leaf.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final, NoReturn

import orjson

HASH_RULE: Final = "v2: RFC 8785"
LEAF_PREFIX = b"\x00"
MAX_EXACT_INTEGER: Final = 2**53 - 1

# orjson sorts members by code point, RFC 8785 by UTF-16 code unit: they differ only for
# names outside the Basic Multilingual Plane, which one search of non-ASCII text finds.
_OUTSIDE_THE_BMP: Final = re.compile("[\U00010000-\U0010ffff]")
_SURROGATE: Final = re.compile("[\ud800-\udfff]")


def _refuse(value: object) -> NoReturn:
    raise TypeError(f"{type(value).__name__} is not a JSON value")


# orjson writes sorted members, text, exact integers and the doubles `_prepare` lets
# through exactly as RFC 8785 does, several times faster than any Python walk.
_ORJSON_OPTIONS: Final = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER


class _General:
    """Marks a value orjson cannot write as RFC 8785 does."""


_GENERAL: Final = _General()


def canonical_json(value: Any) -> str:
    """Encode a JSON value by RFC 8785; ValueError or TypeError for what it cannot carry."""
    prepared = _prepare(value)
    if prepared is _GENERAL:
        return _general(value)
    try:
        text: str = orjson.dumps(prepared, option=_ORJSON_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return _general(value)  # which names what RFC 8785 cannot carry
    if not text.isascii() and _OUTSIDE_THE_BMP.search(text):
        return _general(value)
    return text


def json_string(text: str) -> str:
    """A string as an RFC 8785 string literal."""
    try:
        return orjson.dumps(text).decode()
    except orjson.JSONEncodeError:
        raise ValueError("text holds a lone surrogate, which is not Unicode") from None


def ecmascript_number(number: float) -> str:
    """A finite double as ECMAScript's Number::toString writes it (RFC 8785 section 3.2.2.3)."""
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinity are not JSON numbers")
    if number == 0:
        return "0"
    if number < 0:
        return "-" + ecmascript_number(-number)
    mantissa, _, exponent = repr(number).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(whole + fraction) - len(digits))
    digits = digits.rstrip("0")
    return _place_point(digits, point)


def _place_point(digits: str, point: int) -> str:
    """ECMA-262 Number::toString, steps 6 to 10, for digits d1..dk times 10**(point - k)."""
    k = len(digits)
    if k <= point <= 21:
        return digits + "0" * (point - k)
    if 0 < point <= 21:
        return f"{digits[:point]}.{digits[point:]}"
    if -6 < point <= 0:
        return "0." + "0" * -point + digits
    exponent = point - 1
    sign = "+" if exponent >= 0 else "-"
    head = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{head}e{sign}{abs(exponent)}"


def _prepare(value: Any) -> Any:
    """The value ready for orjson (whole doubles as ints), or `_GENERAL`.

    Refuses on the way what RFC 8785 cannot carry, so both paths refuse alike.
    """
    kind = type(value)
    if kind is dict:
        return _prepare_members(value)
    if kind is list or kind is tuple:
        return _prepare_items(value)
    if kind is str or kind is bool or value is None:
        return value
    if kind is int:
        return _exact_integer(value)
    if kind is float:
        return _prepare_float(value)
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return _exact_integer(value)
    if isinstance(value, float):
        return _prepare_float(float(value))
    if isinstance(value, dict):
        return _prepare_members(value)
    if isinstance(value, list | tuple):
        return _prepare_items(value)
    _refuse(value)


def _prepare_members(members: dict[Any, Any]) -> Any:
    changed: dict[str, Any] | None = None
    for name, item in members.items():
        if type(name) is not str and not isinstance(name, str):
            raise TypeError(f"a member name must be text, not {type(name).__name__}")
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int and -MAX_EXACT_INTEGER <= item <= MAX_EXACT_INTEGER:
            continue
        prepared = _prepare(item)
        if prepared is _GENERAL:
            return _GENERAL
        if prepared is not item:
            if changed is None:
                changed = dict(members)
            changed[name] = prepared
    return members if changed is None else changed


def _prepare_items(items: list[Any] | tuple[Any, ...]) -> Any:
    changed: list[Any] | None = None
    for index, item in enumerate(items):
        prepared = _prepare(item)
        if prepared is _GENERAL:
            return _GENERAL
        if prepared is not item:
            if changed is None:
                changed = list(items)
            changed[index] = prepared
    return items if changed is None else changed


def _exact_integer(number: int) -> int:
    if -MAX_EXACT_INTEGER <= number <= MAX_EXACT_INTEGER:
        return int(number)
    raise ValueError(f"integers beyond +-(2**53 - 1) cannot be carried exactly: {number}")


def _prepare_float(number: float) -> Any:
    _carried_exactly(number)
    if number.is_integer():
        # A whole double below 2**53 is written as its exact digits, like an int.
        return int(number) if -(2**53) < number < 2**53 else _GENERAL
    # Between 1e-4 and 2**53 orjson writes a double as ECMAScript does; elsewhere it may not.
    return number if number >= 1e-4 or number <= -1e-4 else _GENERAL


def _carried_exactly(number: float) -> float:
    """Refuse a double that its RFC 8785 text would not give back to every reader.

    RFC 8785 writes a whole double from 2**53 up to 1e21 as digits padded with zeros
    (2**60 as 1152921504606847000): a reader that takes digits as an exact integer, as
    Python does, reads back another number.
    """
    if number != number or number in (float("inf"), float("-inf")):
        raise ValueError("NaN and infinity are not JSON numbers")
    if number.is_integer() and 2**53 <= abs(number) < 1e21:
        raise ValueError(
            f"whole numbers from 2**53 up to 1e21 cannot be carried exactly: {number!r}"
        )
    return number


def _general(value: Any) -> str:
    """RFC 8785 written out in Python: the path for what orjson writes otherwise."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, parts: list[str]) -> None:
    if value is None:
        parts.append("null")
    elif value is True or value is False:
        parts.append("true" if value else "false")
    elif isinstance(value, str):
        parts.append(json_string(value))
    elif isinstance(value, int):
        parts.append(str(_exact_integer(value)))
    elif isinstance(value, float):
        parts.append(ecmascript_number(_carried_exactly(float(value))))
    elif isinstance(value, dict):
        _write_members(value, parts)
    elif isinstance(value, list | tuple):
        parts.append("[")
        for index, item in enumerate(value):
            if index:
                parts.append(",")
            _write(item, parts)
        parts.append("]")
    else:
        _refuse(value)


def _write_members(members: dict[Any, Any], parts: list[str]) -> None:
    for name in members:
        if not isinstance(name, str):
            raise TypeError(f"a member name must be text, not {type(name).__name__}")
        if _SURROGATE.search(name):
            raise ValueError("a member name holds a lone surrogate, which is not Unicode")
    parts.append("{")
    ordered = sorted(members.items(), key=lambda member: member[0].encode("utf-16-be"))
    for index, (name, item) in enumerate(ordered):
        if index:
            parts.append(",")
        parts.append(json_string(name))
        parts.append(":")
        _write(item, parts)
    parts.append("}")


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

    Equal to `canonical_json` of the nine-member object (whose ASCII names sort the same
    by code unit and by code point), without re-encoding the payloads, the bulk of the
    bytes.
    """
    return (
        f'{{"data":{data_json},"event_id":{json_string(event_id)},'
        f'"metadata":{metadata_json},"position":{position:d},'
        f'"recorded_at":{json_string(recorded_at)},"schema_version":{schema_version:d},'
        f'"stream_id":{json_string(stream_id)},"type":{json_string(type)},'
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
