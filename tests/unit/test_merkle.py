"""Merkle roots and proofs agree with RFC 9162, its published test vectors, and themselves."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    ProofError,
    Subtree,
    TreeRangeError,
    consistency_spans,
    inclusion_spans,
    node_hash,
    nodes_for,
    perfect_subtrees,
    root_of,
    split_point,
    verify_consistency,
    verify_inclusion,
)
from events_store.canonical import leaf_hash
from tests.conftest import SHARED_DATA

VECTORS = SHARED_DATA / "merkle-vectors"
INCLUSION = sorted(str(p.relative_to(VECTORS)) for p in VECTORS.glob("inclusion/**/*.json"))
CONSISTENCY = sorted(str(p.relative_to(VECTORS)) for p in VECTORS.glob("consistency/**/*.json"))

# The eight test leaves the vectors are built from (RFC 6962 / transparency-dev/merkle).
STANDARD_LEAVES = [
    leaf_hash(bytes.fromhex(entry))
    for entry in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH exactly as RFC 9162 section 2.1.1 defines it, recursively."""
    if not leaves:
        return EMPTY_ROOT
    if len(leaves) == 1:
        return leaves[0]
    k = split_point(len(leaves))
    return node_hash(reference_root(leaves[:k]), reference_root(leaves[k:]))


def leaves(count: int) -> list[bytes]:
    return [leaf_hash(n.to_bytes(4, "big")) for n in range(count)]


def load(shared_data: Path, name: str) -> dict:
    vector = json.loads((shared_data / "merkle-vectors" / name).read_text())
    for field in ("root", "leafHash", "root1", "root2"):
        if field in vector:
            vector[field] = base64.b64decode(vector[field])
    vector["proof"] = [base64.b64decode(p) for p in vector["proof"] or []]
    return vector


def flip(value: bytes, position: int) -> bytes:
    return value[:position] + bytes([value[position] ^ 0x01]) + value[position + 1 :]


def test_every_published_vector_is_present(shared_data):
    assert (len(INCLUSION), len(CONSISTENCY)) == (98, 98)


@pytest.mark.parametrize("name", INCLUSION)
def test_inclusion_vectors_verify_or_are_rejected(shared_data, name):
    vector = load(shared_data, name)
    arguments = (vector["leafHash"], vector["leafIdx"], vector["treeSize"], vector["proof"])

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_inclusion(*arguments, vector["root"])
    else:
        verify_inclusion(*arguments, vector["root"])


@pytest.mark.parametrize("name", CONSISTENCY)
def test_consistency_vectors_verify_or_are_rejected(shared_data, name):
    vector = load(shared_data, name)
    arguments = (vector["size1"], vector["size2"], vector["proof"])

    if vector["wantErr"]:
        with pytest.raises(ProofError):
            verify_consistency(*arguments, vector["root1"], vector["root2"])
    else:
        verify_consistency(*arguments, vector["root1"], vector["root2"])


@pytest.mark.parametrize("name", [n for n in INCLUSION if n.endswith("/happy-path.json")])
def test_generated_inclusion_proofs_equal_the_published_ones(shared_data, name):
    vector = load(shared_data, name)
    tree = MemoryTree(STANDARD_LEAVES[: vector["treeSize"]])

    assert tree.root() == vector["root"]
    assert tree.inclusion_proof(vector["leafIdx"]) == vector["proof"]


@pytest.mark.parametrize("name", [n for n in CONSISTENCY if n.endswith("/happy-path.json")])
def test_generated_consistency_proofs_equal_the_published_ones(shared_data, name):
    vector = load(shared_data, name)
    tree = MemoryTree(STANDARD_LEAVES[: vector["size2"]])

    assert (tree.root(vector["size1"]), tree.root()) == (vector["root1"], vector["root2"])
    assert tree.consistency_proof(vector["size1"]) == vector["proof"]


def test_the_root_of_the_eight_standard_leaves_is_the_rfc_one():
    assert MemoryTree(STANDARD_LEAVES).root().hex() == (
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    )


def test_the_empty_tree_has_the_hash_of_no_bytes_as_its_root():
    assert MemoryTree([]).root() == root_of([]) == EMPTY_ROOT
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize("size", range(0, 70))
def test_the_root_from_perfect_subtrees_equals_the_recursive_definition(size):
    tree = MemoryTree(leaves(80))
    assert tree.root(size) == root_of(leaves(size)) == reference_root(leaves(size))


@pytest.mark.parametrize(
    ("start", "end", "subtrees"),
    [
        (0, 0, []),
        (0, 1, [Subtree(0, 0)]),
        (0, 7, [Subtree(2, 0), Subtree(1, 2), Subtree(0, 6)]),
        (8, 13, [Subtree(2, 2), Subtree(0, 12)]),
        (16, 32, [Subtree(4, 1)]),
    ],
)
def test_a_range_is_split_into_perfect_subtrees_largest_first(start, end, subtrees):
    assert perfect_subtrees(start, end) == subtrees


def test_a_range_that_is_not_a_subtree_of_the_tree_is_refused():
    with pytest.raises(ValueError, match=r"leaves \[3, 7\) do not form a subtree"):
        perfect_subtrees(3, 7)


def test_a_proof_needs_only_a_logarithmic_number_of_stored_subtrees():
    size = 1_000_003
    needed = nodes_for(inclusion_spans(123_456, size)) | nodes_for(consistency_spans(999, size))
    assert len(needed) <= 4 * size.bit_length()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.inclusion_proof(5), "there is no leaf 5 in a tree of 5 leaves"),
        (lambda t: t.inclusion_proof(-1), "there is no leaf -1 in a tree of 5 leaves"),
        (lambda t: t.inclusion_proof(0, 6), "the tree has 5 leaves, not 6"),
        (lambda t: t.root(9), "the tree has 5 leaves, not 9"),
        (lambda t: t.consistency_proof(0), "must have at least one leaf"),
        (lambda t: t.consistency_proof(4, 3), "no more than the newer one"),
    ],
)
def test_asking_outside_the_tree_is_refused_in_plain_words(call, message):
    with pytest.raises(TreeRangeError, match=message):
        call(MemoryTree(leaves(5)))


@settings(deadline=None)
@given(st.integers(1, 300))
def test_every_proof_of_a_tree_verifies(size):
    tree = MemoryTree(leaves(size))
    root = tree.root()

    for index in range(size):
        verify_inclusion(
            tree.subtree(Subtree(0, index)), index, size, tree.inclusion_proof(index), root
        )
    for old_size in range(1, size + 1):
        proof = tree.consistency_proof(old_size)
        verify_consistency(old_size, size, proof, tree.root(old_size), root)


@settings(deadline=None)
@given(st.data())
def test_flipping_any_byte_of_an_inclusion_proof_or_its_root_makes_it_fail(data):
    size = data.draw(st.integers(1, 300), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    tree = MemoryTree(leaves(size))
    proof, root = tree.inclusion_proof(index), tree.root()
    leaf = tree.subtree(Subtree(0, index))
    byte = data.draw(st.integers(0, 31), label="byte")
    element = data.draw(st.integers(-1, len(proof) - 1), label="element (-1 is the root)")
    if element == -1:
        root = flip(root, byte)
    else:
        proof[element] = flip(proof[element], byte)

    with pytest.raises(ProofError):
        verify_inclusion(leaf, index, size, proof, root)


@settings(deadline=None)
@given(st.data())
def test_flipping_any_byte_of_a_consistency_proof_or_a_root_makes_it_fail(data):
    size = data.draw(st.integers(1, 300), label="size")
    old_size = data.draw(st.integers(1, size), label="old size")
    tree = MemoryTree(leaves(size))
    roots = [tree.root(old_size), tree.root()]
    proof = tree.consistency_proof(old_size)
    byte = data.draw(st.integers(0, 31), label="byte")
    element = data.draw(st.integers(-2, len(proof) - 1), label="element (-2, -1 are roots)")
    if element < 0:
        roots[element] = flip(roots[element], byte)
    else:
        proof[element] = flip(proof[element], byte)

    with pytest.raises(ProofError):
        verify_consistency(old_size, size, proof, *roots)


def test_a_leaf_proven_in_a_smaller_tree_does_not_verify_in_a_larger_one():
    tree = MemoryTree(leaves(12))
    proof = tree.inclusion_proof(3, 7)

    with pytest.raises(ProofError, match="too short for a tree of 12 leaves"):
        verify_inclusion(tree.subtree(Subtree(0, 3)), 3, 12, proof, tree.root())


def test_a_rewritten_history_is_not_consistent_with_the_old_root():
    honest, forked = leaves(20), leaves(20)
    forked[4] = leaf_hash(b"rewritten")
    old_root = MemoryTree(honest).root(9)
    forked_tree = MemoryTree(forked)

    with pytest.raises(ProofError, match="does not lead to the root of 9 leaves"):
        verify_consistency(9, 20, forked_tree.consistency_proof(9), old_root, forked_tree.root())
