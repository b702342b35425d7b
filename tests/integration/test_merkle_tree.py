"""The stored Merkle tree answers every root and proof as the in-memory tree does, and the
checkpoints signed from it verify and are kept once per size."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.checkpoints import Checkpoint, Checkpoints, parse_and_verify, verifier_key
from audit.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    Subtree,
    TreeRangeError,
    verify_consistency,
    verify_inclusion,
)
from audit.tree import MerkleTree, TreeReader, merkle_nodes
from events_store import ANY, EventStore, NewEvent
from events_store.database import create_engine
from events_store.projections import ProjectionRunner

ORIGIN = "canvass.example.gov/log"
NOON = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def append_events(store: EventStore, count: int) -> None:
    """`count` events over a few streams, in appends of up to four events."""
    start = store.head()
    for first in range(start, start + count, 4):
        batch = range(first, min(first + 4, start + count))
        events = [NewEvent("CameraRegistered", {"n": n}) for n in batch]
        store.append(f"site-{first % 5}", events, ANY)


def runner(engine: sa.Engine, store: EventStore, batch_size: int = 500) -> ProjectionRunner:
    return ProjectionRunner(engine, store, [MerkleTree()], batch_size=batch_size)


def memory_tree(store: EventStore) -> MemoryTree:
    return MemoryTree(event.leaf_hash for event in store.read_all(limit=1000))


def stored_nodes(engine: sa.Engine) -> list[tuple[int, int, bytes]]:
    with engine.connect() as conn:
        query = sa.select(merkle_nodes).order_by(merkle_nodes.c.level, merkle_nodes.c.idx)
        return [(level, idx, bytes(value)) for level, idx, value in conn.execute(query)]


def every_complete_subtree(tree: MemoryTree) -> list[tuple[int, int, bytes]]:
    return [
        (level, idx, tree.subtree(Subtree(level, idx)))
        for level in range(tree.size.bit_length())
        for idx in range(tree.size >> level)
    ]


def test_every_root_and_proof_of_every_size_equals_the_in_memory_one_and_verifies(store, engine):
    append_events(store, 70)
    runner(engine, store, batch_size=9).catch_up()
    memory = memory_tree(store)
    leaves = [memory.subtree(Subtree(0, index)) for index in range(70)]

    with engine.connect() as conn:
        stored = TreeReader(conn)
        for size in range(71):
            root = stored.root(size)
            assert root == memory.root(size)
            for index in range(size):
                proof = stored.inclusion_proof(index, size)
                assert proof == memory.inclusion_proof(index, size)
                verify_inclusion(leaves[index], index, size, proof, root)
            for old_size in range(1, size + 1):
                proof = stored.consistency_proof(old_size, size)
                assert proof == memory.consistency_proof(old_size, size)
                verify_consistency(old_size, size, proof, memory.root(old_size), root)


def test_as_the_log_grows_the_tree_holds_exactly_its_complete_subtrees(store, engine):
    projections = runner(engine, store)
    reader = TreeReader(engine)

    for size in range(1, 71):
        append_events(store, 1)
        projections.catch_up()
        memory = memory_tree(store)
        assert reader.size() == size
        assert reader.root(size) == memory.root()
        assert stored_nodes(engine) == every_complete_subtree(memory)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 7, 16, 33])
def test_applying_the_log_in_batches_of_any_size_stores_the_same_nodes(store, engine, batch_size):
    append_events(store, 67)
    runner(engine, store, batch_size=1000).catch_up()
    in_one_batch = stored_nodes(engine)

    runner(engine, store, batch_size=batch_size).rebuild("merkle")

    assert stored_nodes(engine) == in_one_batch == every_complete_subtree(memory_tree(store))


def test_a_rebuild_stores_the_same_nodes_as_incremental_projection(store, engine):
    projections = runner(engine, store, batch_size=6)
    for count in (1, 4, 13, 2, 30):
        append_events(store, count)
        projections.catch_up()
    incremental = stored_nodes(engine)

    projections.rebuild("merkle")

    assert stored_nodes(engine) == incremental
    assert len(incremental) == 2 * 50 - (50).bit_count()


def test_an_empty_tree_has_no_leaves_and_the_empty_root(engine):
    reader = TreeReader(engine)
    assert reader.size() == 0
    assert reader.root(0) == EMPTY_ROOT


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        pytest.param(
            lambda r: r.root(6),
            "the log's tree has 5 leaves so far; it has no size 6 yet",
            id="root-too-large",
        ),
        pytest.param(lambda r: r.root(-1), "a tree cannot have -1 leaves", id="negative-size"),
        pytest.param(
            lambda r: r.inclusion_proof(5, 5),
            "there is no leaf 5 in a tree of 5 leaves",
            id="leaf-outside",
        ),
        pytest.param(
            lambda r: r.inclusion_proof(0, 6), "it has no size 6 yet", id="inclusion-too-large"
        ),
        pytest.param(
            lambda r: r.consistency_proof(2, 9), "it has no size 9 yet", id="consistency-too-large"
        ),
        pytest.param(
            lambda r: r.consistency_proof(6, 6), "it has no size 6 yet", id="same-size-too-large"
        ),
        pytest.param(
            lambda r: r.consistency_proof(4, 3), "no more than the newer one", id="shrinking"
        ),
        pytest.param(
            lambda r: r.consistency_proof(0, 3), "must have at least one leaf", id="from-empty"
        ),
    ],
)
def test_sizes_and_leaves_beyond_the_tree_are_refused_in_plain_words(store, engine, ask, message):
    append_events(store, 5)
    runner(engine, store).catch_up()

    with pytest.raises(TreeRangeError, match=re.escape(message)):
        ask(TreeReader(engine))


def test_a_proof_in_a_tree_that_does_not_exist_yet_is_refused(engine):
    with pytest.raises(TreeRangeError, match="has 0 leaves so far; it has no size 1 yet"):
        TreeReader(engine).inclusion_proof(0, 1)


def test_a_root_or_a_proof_is_read_with_a_single_query(store, engine):
    append_events(store, 70)
    runner(engine, store, batch_size=25).catch_up()
    reader = TreeReader(engine)
    selects: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            selects.append(statement)

    for read in (
        lambda: reader.root(45),
        lambda: reader.inclusion_proof(44, 69),
        lambda: reader.consistency_proof(23, 70),
    ):
        selects.clear()
        read()
        assert len(selects) == 1


def test_a_checkpoint_signs_the_stored_tree_and_is_kept_once_per_size(store, engine):
    key = Ed25519PrivateKey.generate()
    verifier = verifier_key(ORIGIN, key.public_key())
    checkpoints, reader = Checkpoints(engine), TreeReader(engine)
    projections = runner(engine, store)
    append_events(store, 20)
    projections.catch_up()

    first = checkpoints.issue(reader, key, ORIGIN, ORIGIN, NOON)
    again = checkpoints.issue(reader, key, ORIGIN, ORIGIN, NOON + timedelta(hours=1))

    assert again == first == checkpoints.latest()
    assert first.issued_at == NOON
    assert parse_and_verify(first.note, verifier) == Checkpoint(
        ORIGIN, 20, memory_tree(store).root()
    )

    append_events(store, 9)
    projections.catch_up()
    second = checkpoints.issue(reader, key, ORIGIN, ORIGIN, NOON + timedelta(hours=2))
    old, new = parse_and_verify(first.note, verifier), parse_and_verify(second.note, verifier)

    assert checkpoints.latest() == second
    assert (new.size, new.root) == (29, second.root)
    verify_consistency(old.size, new.size, reader.consistency_proof(20, 29), old.root, new.root)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_checkpoints")).scalar() == 2


def test_an_empty_log_gets_a_checkpoint_of_the_empty_tree(engine):
    key = Ed25519PrivateKey.generate()
    checkpoints = Checkpoints(engine)
    assert checkpoints.latest() is None

    issued = checkpoints.issue(TreeReader(engine), key, ORIGIN, ORIGIN, NOON)

    verified = parse_and_verify(issued.note, verifier_key(ORIGIN, key.public_key()))
    assert verified == Checkpoint(ORIGIN, 0, EMPTY_ROOT)
