"""Recompute every leaf hash of the log and check that nothing is missing or out of place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .canonical import canonical_event_bytes, leaf_hash
from .model import StoredRow
from .store import EventStore


@dataclass(frozen=True, slots=True)
class Finding:
    """The first place where the stored log is not what was appended."""

    position: int
    reason: str

    def __str__(self) -> str:
        return f"position {self.position}: {self.reason}"


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """What a verification pass checked and the first problem it met, if any."""

    checked: int
    finding: Finding | None

    @property
    def intact(self) -> bool:
        """Whether every stored event matched its hash and its place."""
        return self.finding is None


def recompute_leaf_hash(row: StoredRow) -> bytes:
    """The leaf hash a stored row should carry, from its stored content alone."""
    return leaf_hash(
        canonical_event_bytes(
            position=row.position,
            stream_id=row.stream_id,
            version=row.version,
            event_id=row.event_id,
            type=row.type,
            schema_version=row.schema_version,
            recorded_at=row.recorded_at,
            data_json=row.data_json,
            metadata_json=row.metadata_json,
        )
    )


def verify_log(
    store: EventStore, progress: Callable[[int], None] | None = None
) -> VerificationReport:
    """Check every stored event, in position order, and stop at the first problem."""
    checked = 0
    last_version: dict[str, int] = {}
    for row in store.iter_stored(batch_size=5000):
        finding = _check(row, checked + 1, last_version)
        if finding:
            return VerificationReport(checked, finding)
        checked += 1
        if progress and checked % 5000 == 0:
            progress(5000)
    if progress:
        progress(checked % 5000)
    return VerificationReport(checked, None)


def _check(row: StoredRow, expected_position: int, last_version: dict[str, int]) -> Finding | None:
    if row.position != expected_position:
        missing = expected_position if row.position > expected_position else row.position
        return Finding(missing, "this position is missing from the log")
    if recompute_leaf_hash(row) != bytes(row.leaf_hash):
        return Finding(row.position, "the stored content does not match its leaf hash")
    previous = last_version.get(row.stream_id, 0)
    if row.version != previous + 1:
        return Finding(
            row.position,
            f"version {row.version} of stream {row.stream_id!r} follows version {previous}",
        )
    last_version[row.stream_id] = row.version
    return None
