"""RFC 9162 Merkle trees over leaf hashes: roots, inclusion and consistency proofs, checks.

Leaves are numbered from 0. A *perfect subtree* `Subtree(level, index)` covers the
`2**level` leaves from `index * 2**level`; once all its leaves exist its hash never changes.
Every root and proof is assembled from a few such hashes (O(log n) of them), so a stored
tree that keeps each completed perfect subtree answers without reading the leaves. The
functions that build proofs take a `SubtreeHashes` lookup; `inclusion_spans` and
`consistency_spans`, through `nodes_for`, say beforehand which subtrees they will ask for,
so that a database can fetch them all in one query.

Verification follows RFC 9162 sections 2.1.3.2 and 2.1.4.2 and raises `ProofError`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Final

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()
_NODE_PREFIX: Final = b"\x01"

Span = tuple[int, int]
"""A range of leaves [start, end) whose hash is one element of a proof."""


class ProofError(ValueError):
    """A proof, root or hash that does not check out: the claim it supports is not shown."""


class TreeRangeError(ValueError):
    """A leaf index or tree size outside the tree being asked about."""


@dataclass(frozen=True, order=True, slots=True)
class Subtree:
    """The perfect subtree of `2**level` leaves starting at leaf `index * 2**level`."""

    level: int
    index: int


SubtreeHashes = Callable[[Subtree], bytes]
"""The hash of a completed perfect subtree (a leaf hash at level 0)."""


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than `size` (at least 2): where RFC 9162 splits."""
    return 1 << ((size - 1).bit_length() - 1)


def perfect_subtrees(start: int, end: int) -> list[Subtree]:
    """The perfect subtrees, largest first, that make up the leaves [start, end).

    The range must be a subtree of the RFC 9162 tree (as every root and proof element is):
    it starts at a multiple of a power of two at least as large as its length.
    """
    subtrees = []
    while start < end:
        level = (end - start).bit_length() - 1
        if start % (1 << level):
            raise ValueError(f"leaves [{start}, {end}) do not form a subtree of the tree")
        subtrees.append(Subtree(level, start >> level))
        start += 1 << level
    return subtrees


def span_hash(span: Span, hashes: SubtreeHashes) -> bytes:
    """The RFC 9162 hash of the leaves in `span`, from its perfect subtrees."""
    parts = [hashes(subtree) for subtree in perfect_subtrees(*span)]
    if not parts:
        return EMPTY_ROOT
    result = parts.pop()
    for part in reversed(parts):
        result = node_hash(part, result)
    return result


def inclusion_spans(index: int, size: int) -> list[Span]:
    """The leaf ranges whose hashes form the inclusion proof of leaf `index`, lowest first."""
    if not 0 <= index < size:
        raise TreeRangeError(f"there is no leaf {index} in a tree of {_leaves(size)}")
    spans = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split_point(end - start)
        if index < middle:
            spans.append((middle, end))
            end = middle
        else:
            spans.append((start, middle))
            start = middle
    return spans[::-1]


def consistency_spans(old_size: int, new_size: int) -> list[Span]:
    """The leaf ranges whose hashes prove the tree of `old_size` leaves is a prefix of the
    tree of `new_size` leaves (RFC 9162 SUBPROOF), lowest first."""
    if not 0 < old_size <= new_size:
        raise TreeRangeError(
            f"cannot prove a tree of {_leaves(old_size)} consistent with one of {new_size}: "
            "the older tree must have at least one leaf and no more than the newer one"
        )
    spans = []
    start, end, whole_old_tree = 0, new_size, True
    while old_size != end:
        middle = start + split_point(end - start)
        if old_size <= middle:
            spans.append((middle, end))
            end = middle
        else:
            spans.append((start, middle))
            start, whole_old_tree = middle, False
    if not whole_old_tree:
        spans.append((start, end))
    return spans[::-1]


def nodes_for(spans: Iterable[Span]) -> set[Subtree]:
    """Every perfect subtree needed to hash the given leaf ranges."""
    return {subtree for span in spans for subtree in perfect_subtrees(*span)}


def root(size: int, hashes: SubtreeHashes) -> bytes:
    """The root hash of the first `size` leaves."""
    return span_hash((0, size), hashes)


def inclusion_proof(index: int, size: int, hashes: SubtreeHashes) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
    return [span_hash(span, hashes) for span in inclusion_spans(index, size)]


def consistency_proof(old_size: int, new_size: int, hashes: SubtreeHashes) -> list[bytes]:
    """The RFC 9162 consistency proof between the trees of `old_size` and `new_size` leaves."""
    return [span_hash(span, hashes) for span in consistency_spans(old_size, new_size)]


class MemoryTree:
    """A whole tree held in memory: every completed perfect subtree, level by level."""

    def __init__(self, leaf_hashes: Iterable[bytes]) -> None:
        self._levels = [list(leaf_hashes)]
        while len(below := self._levels[-1]) > 1:
            pairs = range(0, len(below) - 1, 2)
            self._levels.append([node_hash(below[i], below[i + 1]) for i in pairs])

    @property
    def size(self) -> int:
        """How many leaves the tree holds."""
        return len(self._levels[0])

    def subtree(self, subtree: Subtree) -> bytes:
        """The hash of a completed perfect subtree."""
        return self._levels[subtree.level][subtree.index]

    def root(self, size: int | None = None) -> bytes:
        """The root of the first `size` leaves (all of them by default)."""
        return root(self._size(size), self.subtree)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """The inclusion proof of leaf `index` in the tree of `size` leaves."""
        return inclusion_proof(index, self._size(size), self.subtree)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """The consistency proof from `old_size` leaves to `new_size` (all by default)."""
        return consistency_proof(old_size, self._size(new_size), self.subtree)

    def _size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise TreeRangeError(f"the tree has {_leaves(self.size)}, not {size}")
        return size


def root_of(leaf_hashes: Iterable[bytes]) -> bytes:
    """The root hash of a whole list of leaf hashes (SHA-256 of nothing when empty)."""
    return MemoryTree(leaf_hashes).root()


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that `proof` shows leaf `index` with `leaf_hash` is in the tree with `root`."""
    _require_hashes(leaf_hash=leaf_hash, root=root, proof=proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} cannot be in a tree of {_leaves(size)}")
    # As in RFC 9162: fn is the node on the path and sn the last node, at the current level.
    fn, sn, computed = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            raise ProofError(f"the inclusion proof is longer than a tree of {_leaves(size)} needs")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            computed = node_hash(computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the inclusion proof is too short for a tree of {_leaves(size)}")
    if computed != root:
        raise ProofError(f"the inclusion proof does not lead from leaf {index} to this root")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Check that `proof` shows the tree (`old_size`, `old_root`) is a prefix of the tree
    (`new_size`, `new_root`): nothing in the older tree was changed or removed."""
    if old_size > new_size:
        raise ProofError(f"a log cannot shrink from {_leaves(old_size)} to {new_size}")
    if old_size == new_size:
        _verify_same_size(old_size, proof, old_root, new_root)
        return
    if old_size == 0:
        raise ProofError("there is no consistency proof from an empty tree: ask from size 1")
    if not proof:
        raise ProofError(f"an empty proof cannot link {_leaves(old_size)} to {new_size}")
    _require_hashes(old_root=old_root, new_root=new_root, proof=proof)
    # A power-of-two old tree is itself a node of the new one, so the proof leaves it out.
    path = [old_root, *proof] if old_size & (old_size - 1) == 0 else list(proof)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError(
                f"the consistency proof is longer than a tree of {_leaves(new_size)} needs"
            )
        if fn & 1 or fn == sn:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_computed = node_hash(new_computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the consistency proof is too short for a tree of {_leaves(new_size)}")
    if old_computed != old_root:
        raise ProofError(f"the consistency proof does not lead to the root of {_leaves(old_size)}")
    if new_computed != new_root:
        raise ProofError(f"the consistency proof does not lead to the root of {_leaves(new_size)}")


def _verify_same_size(size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes) -> None:
    if proof:
        raise ProofError(f"two trees of {_leaves(size)} need an empty consistency proof")
    if old_root != new_root:
        raise ProofError(f"two trees of {_leaves(size)} have different roots: one was altered")
    if size == 0 and old_root != EMPTY_ROOT:
        raise ProofError("that is not the root of an empty tree (the hash of no bytes)")


def _require_hashes(proof: Sequence[bytes] = (), **named: bytes) -> None:
    for name, value in named.items():
        if len(value) != HASH_SIZE:
            what = name.replace("_", " ")
            raise ProofError(f"the {what} is {len(value)} bytes long, not {HASH_SIZE}")
    for position, value in enumerate(proof, 1):
        if len(value) != HASH_SIZE:
            raise ProofError(
                f"hash {position} of the proof is {len(value)} bytes long, not {HASH_SIZE}"
            )


def _leaves(count: int) -> str:
    return "1 leaf" if count == 1 else f"{count} leaves"
