"""RFC 6962 / RFC 9162 Merkle tree hashes: roots, and inclusion and consistency proofs."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from typing import Final

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A proof that does not prove what it claims."""


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 section 2.1: the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class RootBuilder:
    """The root of a growing tree, from its leaf hashes, in memory logarithmic in its size.

    It keeps the roots of the perfect subtrees that the binary digits of the size describe,
    largest first; the root of the whole tree folds them from the right.
    """

    def __init__(self) -> None:
        self._subtrees: list[tuple[bytes, int]] = []
        self.size = 0

    def append(self, leaf: bytes) -> None:
        """Add the next leaf hash."""
        subtree = (leaf, 1)
        while self._subtrees and self._subtrees[-1][1] == subtree[1]:
            left, size = self._subtrees.pop()
            subtree = (node_hash(left, subtree[0]), size * 2)
        self._subtrees.append(subtree)
        self.size += 1

    def root(self) -> bytes:
        """The root of the tree of the leaves added so far."""
        if not self._subtrees:
            return EMPTY_ROOT
        root = self._subtrees[-1][0]
        for left, _ in reversed(self._subtrees[:-1]):
            root = node_hash(left, root)
        return root


def root_of(leaves: Sequence[bytes]) -> bytes:
    """The root of the tree with these leaf hashes."""
    builder = RootBuilder()
    for leaf in leaves:
        builder.append(leaf)
    return builder.root()


def inclusion_proof_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) whose subtree roots make up the inclusion proof of a leaf.

    In proof order (from the leaf up), as RFC 6962 section 2.1.1 defines PATH(m, D[n]).
    """
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of size {size}")
    ranges = []
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    return ranges[::-1]


class InclusionProofBuilder:
    """The inclusion proof of one leaf, built during a single pass over all the leaves."""

    def __init__(self, index: int, size: int) -> None:
        self._ranges = inclusion_proof_ranges(index, size)
        self._subtrees = [RootBuilder() for _ in self._ranges]
        self._by_start = sorted(range(len(self._ranges)), key=lambda i: self._ranges[i][0])
        self._cursor = 0

    def append(self, index: int, leaf: bytes) -> None:
        """Offer the leaf at `index`; leaves must come in index order."""
        order, ranges = self._by_start, self._ranges
        while self._cursor < len(order) and index >= ranges[order[self._cursor]][1]:
            self._cursor += 1
        if self._cursor < len(order) and ranges[order[self._cursor]][0] <= index:
            self._subtrees[order[self._cursor]].append(leaf)

    def proof(self) -> list[bytes]:
        """The proof, once every leaf of the tree has been offered."""
        for (start, end), subtree in zip(self._ranges, self._subtrees, strict=True):
            if subtree.size != end - start:
                raise ValueError(f"leaves {start + 1}..{end} were not all offered")
        return [subtree.root() for subtree in self._subtrees]


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """RFC 9162 section 2.1.3.2; raises ProofError unless the leaf is at `index` under `root`."""
    _check_hashes(leaf, root, *proof)
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    fn, sn, computed = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            raise ProofError("the proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            computed = node_hash(sibling, computed)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            computed = node_hash(computed, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the tree is deep")
    if computed != root:
        raise ProofError("the proof leads to a different root")


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """RFC 9162 section 2.1.4.2; raises ProofError unless tree 1 is a prefix of tree 2."""
    _check_hashes(*proof)
    if not 0 <= size1 <= size2:
        raise ProofError(f"a tree of size {size1} cannot be a prefix of one of size {size2}")
    if size1 == 0:
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if size1 == size2:
        if proof:
            raise ProofError("trees of equal size need an empty proof")
        if root1 != root2:
            raise ProofError("trees of equal size have different roots")
        return
    _check_hashes(root1, root2)
    if not proof:
        raise ProofError("the proof is empty")
    path = [root1, *proof] if size1 & (size1 - 1) == 0 else list(proof)
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    first, second = path[0], path[0]
    for sibling in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than the trees are deep")
        if fn & 1 or fn == sn:
            first, second = node_hash(sibling, first), node_hash(sibling, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError("the proof is shorter than the trees are deep")
    if first != root1:
        raise ProofError("the proof does not lead to the first root")
    if second != root2:
        raise ProofError("the proof does not lead to the second root")


def _check_hashes(*hashes: bytes) -> None:
    if any(len(value) != HASH_SIZE for value in hashes):
        raise ProofError(f"every hash in a proof must be {HASH_SIZE} bytes")


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 6962: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def decode_hash(text: object) -> bytes:
    """A 32-byte hash from its base64 text; ValueError for anything else."""
    if not isinstance(text, str):
        raise ValueError("a hash must be base64 text")
    try:
        value = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{text[:60]!r} is not base64") from None
    if len(value) != HASH_SIZE:
        raise ValueError(f"a hash must be {HASH_SIZE} bytes, not {len(value)}")
    return value
