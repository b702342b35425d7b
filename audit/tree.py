"""The log's Merkle tree, stored as the hash of every completed perfect subtree.

Node (level, idx) covers leaves [idx * 2**level, (idx + 1) * 2**level); level 0 holds the
events' leaf hashes, leaf index = position - 1. A node is written once, when its last leaf
arrives, and never changes, so any root or proof of any past size is a few stored nodes
fetched in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext

import sqlalchemy as sa

from events_store import RecordedEvent

from . import merkle
from .merkle import Subtree, TreeRangeError

metadata = sa.MetaData()

merkle_nodes = sa.Table(
    "merkle_nodes",
    metadata,
    sa.Column("level", sa.Integer(), primary_key=True),
    sa.Column("idx", sa.BigInteger(), primary_key=True),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

Node = tuple[int, int, bytes]
"""(level, idx, hash) of a stored node."""


class MerkleTree:
    """Projection that appends each event's leaf and every subtree it completes."""

    name = "merkle"
    event_types = None  # every event

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Add a batch of consecutive events with one bulk insert of all new nodes."""
        if not events:
            return
        first = events[0].position - 1
        if events[-1].position - first != len(events):
            raise ValueError(f"events from position {first + 1} are not consecutive")
        frontier = fetch_nodes(conn, merkle.perfect_subtrees(0, first))
        if len(frontier) < first.bit_count():
            raise ValueError(f"the stored tree does not hold the {first} leaves before this batch")
        left = {subtree.level: value for subtree, value in frontier.items()}
        leaves = [bytes(event.leaf_hash) for event in events]
        _insert(conn, list(completed_nodes(first, leaves, left)))

    def clear(self, conn: sa.Connection) -> None:
        """Forget every node before a rebuild."""
        conn.execute(merkle_nodes.delete())


def completed_nodes(first: int, leaves: list[bytes], left: dict[int, bytes]) -> Iterator[Node]:
    """The leaves appended at index `first` and every node they complete, level by level.

    `left` maps a level to the hash of the last completed node at that level before the
    append (the tree's right edge), which becomes the left sibling of the first new node.
    """
    level, start, hashes = 0, first, leaves
    while hashes:
        for offset, value in enumerate(hashes):
            yield level, start + offset, value
        if start & 1:
            hashes = [left[level], *hashes]
        pairs = range(0, len(hashes) - 1, 2)
        level, start = level + 1, start >> 1
        hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in pairs]


def _insert(conn: sa.Connection, nodes: list[Node]) -> None:
    if conn.dialect.name == "postgresql":
        # Binary COPY on the same connection and transaction: an INSERT per node would cost
        # a round trip each, and text-encoded bytea arrays cost more than the hashing.
        driver = conn.connection.driver_connection
        assert driver is not None, "a connection in use always has its driver connection"
        with driver.cursor() as cursor, cursor.copy(_COPY_POSTGRES) as copy:
            copy.set_types(["int4", "int8", "bytea"])
            for node in nodes:
                copy.write_row(node)
    else:
        conn.exec_driver_sql(_INSERT_SQLITE, nodes)


_COPY_POSTGRES = "COPY merkle_nodes (level, idx, hash) FROM STDIN (FORMAT BINARY)"
_INSERT_SQLITE = "INSERT INTO merkle_nodes (level, idx, hash) VALUES (?, ?, ?)"


def fetch_nodes(conn: sa.Connection, subtrees: Iterable[Subtree]) -> dict[Subtree, bytes]:
    """The stored hashes of the given subtrees, in one query; absent ones are left out.

    The statement is plain SQL through the driver: an OR of point lookups on the primary key
    (SQLite scans the whole table for a row-value IN list), whose text depends only on how
    many nodes are asked for. Building it as a SQLAlchemy expression cost ten times the query.
    """
    wanted = sorted(set(subtrees))
    if not wanted:
        return {}
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = _NODE_QUERIES.get((marker, len(wanted)))
    if sql is None:
        point = f"(level = {marker} AND idx = {marker})"
        sql = (
            f"SELECT level, idx, hash FROM merkle_nodes WHERE {' OR '.join([point] * len(wanted))}"
        )
        _NODE_QUERIES[(marker, len(wanted))] = sql
    values = tuple(number for node in wanted for number in (node.level, node.index))
    rows = conn.exec_driver_sql(sql, values)
    return {Subtree(level, idx): bytes(value) for level, idx, value in rows}


_NODE_QUERIES: dict[tuple[str, int], str] = {}


class TreeReader:
    """Sizes, roots and proofs of the stored tree: each costs one query of O(log n) rows."""

    def __init__(self, db: sa.Engine | sa.Connection) -> None:
        self._db = db

    def size(self) -> int:
        """How many leaves the stored tree holds."""
        with self._connect() as conn:
            return _size(conn)

    def root(self, size: int) -> bytes:
        """The root of the tree of the first `size` leaves."""
        return merkle.span_hash((0, size), self._hashes([(0, size)], size))

    def inclusion_proof(self, leaf_index: int, size: int) -> list[bytes]:
        """The proof that leaf `leaf_index` is in the tree of `size` leaves."""
        spans = merkle.inclusion_spans(leaf_index, size)
        lookup = self._hashes(spans, size)
        return [merkle.span_hash(span, lookup) for span in spans]

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """The proof that the tree of `old_size` leaves is a prefix of that of `new_size`."""
        spans = merkle.consistency_spans(old_size, new_size)
        lookup = self._hashes(spans, new_size)
        return [merkle.span_hash(span, lookup) for span in spans]

    def inclusion(self, leaf_index: int, size: int) -> tuple[bytes, list[bytes], bytes]:
        """The leaf's hash, its inclusion proof and the root, all from one query."""
        spans = merkle.inclusion_spans(leaf_index, size)
        leaf, whole = (leaf_index, leaf_index + 1), (0, size)
        lookup = self._hashes([*spans, leaf, whole], size)
        proof = [merkle.span_hash(span, lookup) for span in spans]
        return merkle.span_hash(leaf, lookup), proof, merkle.span_hash(whole, lookup)

    def consistency(self, old_size: int, new_size: int) -> tuple[bytes, bytes, list[bytes]]:
        """Both roots and the consistency proof between them, all from one query."""
        spans = merkle.consistency_spans(old_size, new_size)
        lookup = self._hashes([*spans, (0, old_size), (0, new_size)], new_size)
        proof = [merkle.span_hash(span, lookup) for span in spans]
        old_root = merkle.span_hash((0, old_size), lookup)
        return old_root, merkle.span_hash((0, new_size), lookup), proof

    def _hashes(self, spans: list[merkle.Span], size: int) -> merkle.SubtreeHashes:
        if size < 0:
            raise TreeRangeError(f"a tree cannot have {size} leaves")
        # The last leaf of the tree asked about shows that the tree has reached that size,
        # even when the answer needs no stored node at all (a proof in a one-leaf tree).
        needed = merkle.nodes_for(s for s in spans if s[1] > s[0])
        needed |= {Subtree(0, size - 1)} if size else set()
        with self._connect() as conn:
            found = fetch_nodes(conn, needed)
            if len(found) < len(needed):
                stored = _size(conn)
                if size > stored:
                    raise TreeRangeError(
                        f"the log's tree has {stored} leaves so far; it has no size {size} yet"
                    )
                raise LookupError(f"the stored tree is missing nodes below size {size}")
        return found.__getitem__

    def _connect(self) -> AbstractContextManager[sa.Connection]:
        if isinstance(self._db, sa.Connection):
            return nullcontext(self._db)
        return self._db.connect().execution_options(read_only=True)


def _size(conn: sa.Connection) -> int:
    query = sa.select(sa.func.max(merkle_nodes.c.idx)).where(merkle_nodes.c.level == 0)
    last = conn.execute(query).scalar()
    return 0 if last is None else int(last) + 1
