"""One pass over the exported events: recompute every leaf and the roots at two sizes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .canonical import MalformedEventError, event_leaf_hash
from .merkle import EMPTY_ROOT, InclusionProofBuilder, RootBuilder, decode_hash


@dataclass
class WatchedEvent:
    """An event the user asked about: what it is, its leaf, and a proof built from the leaves."""

    position: int
    type: str = ""
    stream_id: str = ""
    leaf: bytes | None = None
    proof: InclusionProofBuilder | None = None


@dataclass
class EventsAudit:
    """Reads events in order and records everything the verdict needs, in bounded memory.

    `sizes` are the tree sizes whose roots to keep (the checkpoints'); `prove_in`, when
    given, is the tree size in which to build inclusion proofs for the watched events.
    """

    sizes: Sequence[int]
    watched: dict[int, WatchedEvent] = field(default_factory=dict)
    count: int = 0
    wrong_leaves: int = 0
    first_wrong_leaf: int | None = None
    misplaced: str | None = None
    unreadable: str | None = None
    roots: dict[int, bytes] = field(default_factory=dict)
    _tree: RootBuilder = field(default_factory=RootBuilder)

    @classmethod
    def start(
        cls, sizes: Sequence[int], positions: Iterable[int], prove_in: int | None = None
    ) -> EventsAudit:
        """An audit keeping the roots at `sizes` and watching the events at `positions`."""
        watched = {p: WatchedEvent(p) for p in positions}
        if prove_in is not None:
            for event in watched.values():
                if event.position <= prove_in:
                    event.proof = InclusionProofBuilder(event.position - 1, prove_in)
        audit = cls(sizes, watched)
        if 0 in sizes:
            audit.roots[0] = EMPTY_ROOT
        return audit

    def run(self, events: Iterable[dict[str, Any]]) -> None:
        """Consume the events; an unreadable one ends the pass and is recorded."""
        try:
            for event in events:
                self._add(event)
        except MalformedEventError as error:
            self.unreadable = str(error)

    def _add(self, event: dict[str, Any]) -> None:
        index = self.count
        try:
            leaf = event_leaf_hash(event)
            claimed = decode_hash(event["leaf_hash"])
        except (MalformedEventError, ValueError) as error:
            raise MalformedEventError(f"event number {index + 1} in order: {error}") from None
        self._check_place(index + 1, event["position"])
        if leaf != claimed:
            self.wrong_leaves += 1
            if self.first_wrong_leaf is None:
                self.first_wrong_leaf = event["position"]
        self._tree.append(leaf)
        self.count += 1
        if self.count in self.sizes:
            self.roots[self.count] = self._tree.root()
        self._watch(index, event, leaf)

    def _check_place(self, expected: int, position: int) -> None:
        if position != expected and self.misplaced is None:
            self.misplaced = (
                f"event number {expected} in order carries position {position}: "
                f"an event is missing, added or out of order"
            )

    def _watch(self, index: int, event: dict[str, Any], leaf: bytes) -> None:
        for watched in self.watched.values():
            if watched.proof is not None:
                watched.proof.append(index, leaf)
        seen = self.watched.get(index + 1)
        if seen is not None:
            seen.type, seen.stream_id, seen.leaf = event["type"], event["stream_id"], leaf
