"""The values that go into the log and come out of it."""

from __future__ import annotations

import enum
import json
import os
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

MAX_STREAM_ID_LENGTH: Final = 200
MAX_TYPE_LENGTH: Final = 200


class StreamState(enum.Enum):
    """What an appender expects of a stream when it does not name a version."""

    NO_STREAM = "no_stream"
    ANY = "any"

    def __repr__(self) -> str:
        return self.name


NO_STREAM: Final = StreamState.NO_STREAM
ANY: Final = StreamState.ANY

ExpectedVersion = int | StreamState


# Event ids need to be unique, not secret: a generator seeded from the OS is enough, and
# much cheaper per id than a system call. Children of a fork draw from a fresh seed.
_random = random.Random()
os.register_at_fork(after_in_child=_random.seed)
_RAND_B = (1 << 62) - 1


def new_event_id() -> str:
    """A fresh, time-ordered event id (UUID version 7, RFC 9562).

    Ids that grow with time keep the event-id index append-mostly, which makes large
    appends several times cheaper than random (version 4) ids do.
    """
    millis = time.time_ns() // 1_000_000 & 0xFFFF_FFFF_FFFF
    bits = _random.getrandbits(74)  # 12 bits of rand_a, 62 of rand_b
    value = millis << 80 | 0x7 << 76 | bits >> 62 << 64 | 0b10 << 62 | bits & _RAND_B
    digits = f"{value:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event on its way into the log.

    `event_id` is chosen by the writer, so that re-sending the same append after a lost
    answer is recognised and does nothing; personal fields inside `data` are encrypted
    with the event id as associated data before the event is built.
    """

    type: str
    data: Mapping[str, Any]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    event_id: str = field(default_factory=new_event_id)
    schema_version: int = 1


class RecordedEvent:
    """An event as stored: its place in the log, its content and its leaf hash.

    `data` and `metadata` are decoded from their stored JSON on first access, so that
    scanning the log for positions, types or hashes does not pay for decoding payloads.
    Instances are read-only.
    """

    __slots__ = (
        "_data",
        "_data_json",
        "_event_id",
        "_leaf_hash",
        "_metadata",
        "_metadata_json",
        "_position",
        "_recorded_at",
        "_schema_version",
        "_stream_id",
        "_type",
        "_version",
    )

    def __init__(
        self,
        position: int,
        stream_id: str,
        version: int,
        event_id: str,
        type: str,
        schema_version: int,
        data_json: str,
        metadata_json: str,
        recorded_at: datetime,
        leaf_hash: bytes,
        data: dict[str, Any] | None = None,
    ) -> None:
        self._position = position
        self._stream_id = stream_id
        self._version = version
        self._event_id = event_id
        self._type = type
        self._schema_version = schema_version
        self._data_json = data_json
        self._metadata_json = metadata_json
        self._recorded_at = recorded_at
        self._leaf_hash = leaf_hash
        self._data = data
        self._metadata: dict[str, Any] | None = None

    position = property(lambda self: self._position, doc="Place in the whole log, 1..N.")
    stream_id = property(lambda self: self._stream_id, doc="The stream it belongs to.")
    version = property(lambda self: self._version, doc="Place in its stream, 1..n.")
    event_id = property(lambda self: self._event_id, doc="The writer's UUID for it.")
    type = property(lambda self: self._type, doc="Registered event type name.")
    schema_version = property(lambda self: self._schema_version, doc="Payload schema.")
    recorded_at = property(lambda self: self._recorded_at, doc="Aware UTC time of append.")
    leaf_hash = property(lambda self: self._leaf_hash, doc="RFC 6962 leaf hash, 32 bytes.")

    @property
    def data(self) -> dict[str, Any]:
        """The payload, decoded once on first access."""
        if self._data is None:
            self._data = json.loads(self._data_json)
        return self._data

    @property
    def metadata(self) -> dict[str, Any]:
        """Who, why and in which context: decoded once on first access."""
        if self._metadata is None:
            self._metadata = json.loads(self._metadata_json)
        return self._metadata

    def _key(self) -> tuple[Any, ...]:
        return (
            self._position,
            self._stream_id,
            self._version,
            self._event_id,
            self._type,
            self._schema_version,
            self.data,
            self.metadata,
            self._recorded_at,
            self._leaf_hash,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RecordedEvent):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((self._position, self._event_id, self._leaf_hash))

    def __repr__(self) -> str:
        return (
            f"RecordedEvent(position={self._position}, stream_id={self._stream_id!r}, "
            f"version={self._version}, type={self._type!r}, event_id={self._event_id!r})"
        )


@dataclass(frozen=True, slots=True)
class StoredRow:
    """One row of the events table exactly as stored, for hashing and verification."""

    position: int
    stream_id: str
    version: int
    event_id: str
    type: str
    schema_version: int
    data_json: str
    metadata_json: str
    recorded_at: str
    leaf_hash: bytes
