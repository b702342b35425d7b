"""The log as auditors and outsiders see it: signed checkpoints of its Merkle tree, proofs that
an event is in it and that it only ever grew, and its events with their leaf hashes.

Anyone holding the public key and a checkpoint saved earlier can check, with no code of ours,
that the log they are shown now extends the one they saw then (`canvass-verify` does).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import islice
from typing import Any, TypeVar

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from events_store import EventStore
from events_store.database import checkpoint_sqlite_wal
from events_store.model import StoredRow
from events_store.projections import ProjectionRunner

from .checkpoints import Checkpoints, IssuedCheckpoint, verifier_key
from .identity import LogIdentities, LogIdentityError, disagreement
from .merkle import TreeRangeError
from .tree import TreeReader

MAX_EXPORT_PAGE = 1000
T = TypeVar("T")


@dataclass(frozen=True)
class Signer:
    """Who signs checkpoints: the log's origin line, the key's name and the private key.

    `origin_is_set` says the origin was set as such (not derived from the public address),
    so a log first signed under another one is a contradiction to report, not to follow.
    """

    origin: str
    name: str
    key: Ed25519PrivateKey
    origin_is_set: bool = False

    @property
    def public_key_text(self) -> str:
        """The verifier key auditors keep: `name+key id+base64 key`."""
        return verifier_key(self.name, self.key.public_key())


class VerifiableLog:
    """Checkpoints, proofs and the export of the event log."""

    def __init__(
        self,
        engine: sa.Engine,
        store: EventStore,
        projections: ProjectionRunner,
        signer: Signer,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine = engine
        self._store = store
        self._projections = projections
        self._configured = signer
        self._clock = clock
        self.tree = TreeReader(engine)
        self.checkpoints = Checkpoints(engine)
        self.identities = LogIdentities(engine)

    @property
    def signer(self) -> Signer:
        """Who signs: under the origin and key name the log was first signed with, once it
        has been; until then as the settings say."""
        identity = self.identities.stored()
        if identity is None:
            return self._configured
        return replace(self._configured, origin=identity.origin, name=identity.key_name)

    def identity_problem(self) -> str | None:
        """What in today's settings contradicts the log's stored identity, if anything."""
        identity = self.identities.stored()
        if identity is None:
            return None
        return disagreement(identity, self._configured_origin(), self._configured.key.public_key())

    def issue_checkpoint(self) -> IssuedCheckpoint:
        """Sign the whole log as it stands now (once per size: signing again at the same size
        returns the checkpoint already kept)."""
        self._make_durable()
        self._projections.catch_up(["merkle"])
        signer = self._identified_signer()
        return self.checkpoints.issue(
            self.tree, signer.key, signer.name, signer.origin, self._clock()
        )

    def _identified_signer(self) -> Signer:
        """The signer under the log's fixed identity (fixing it at the first signature);
        LogIdentityError rather than a checkpoint under a second name or key."""
        configured = self._configured
        identity = self.identities.fix(
            configured.origin, configured.name, configured.key.public_key(), self._clock()
        )
        problem = disagreement(identity, self._configured_origin(), configured.key.public_key())
        if problem:
            raise LogIdentityError(f"No checkpoint was signed: {problem}")
        return replace(configured, origin=identity.origin, name=identity.key_name)

    def _configured_origin(self) -> str | None:
        return self._configured.origin if self._configured.origin_is_set else None

    def latest_checkpoint(self) -> IssuedCheckpoint:
        """The newest checkpoint, signing the first one if there is none yet."""
        return self.checkpoints.latest() or self.issue_checkpoint()

    def inclusion(self, position: int, size: int) -> dict[str, Any]:
        """The proof that the event at `position` is in the tree of `size` events."""
        index = position - 1
        leaf, proof, root = self._current(lambda: self.tree.inclusion(index, size))
        return {
            "position": position,
            "leaf_index": index,
            "tree_size": size,
            "leaf_hash": _b64(leaf),
            "root": _b64(root),
            "proof": [_b64(node) for node in proof],
        }

    def consistency(self, old_size: int, new_size: int) -> dict[str, Any]:
        """The proof that the tree of `new_size` events extends the one of `old_size`."""
        old_root, new_root, proof = self._current(lambda: self.tree.consistency(old_size, new_size))
        return {
            "from": old_size,
            "to": new_size,
            "root_from": _b64(old_root),
            "root_to": _b64(new_root),
            "proof": [_b64(node) for node in proof],
        }

    def _current(self, answer: Callable[[], T]) -> T:
        """An answer from the stored tree; when it asks beyond what the tree holds so far,
        the tree first reads the newest events, and is asked again."""
        try:
            return answer()
        except TreeRangeError:
            self._projections.catch_up(["merkle"])
            return answer()

    def export(self, after: int, limit: int) -> Iterator[dict[str, Any]]:
        """Events after `after`, in order, exactly as stored: their nine canonical members
        (personal fields sealed) and their leaf hash."""
        limit = max(1, min(limit, MAX_EXPORT_PAGE))
        for row in islice(self._store.iter_stored(after, batch_size=limit), limit):
            yield exported(row)

    def _make_durable(self) -> None:
        """Before signing, make sure what is signed survives a power cut: with SQLite's
        `synchronous=NORMAL` the newest commits may sit in the write-ahead log unsynced
        (PostgreSQL has flushed every commit already)."""
        checkpoint_sqlite_wal(self._engine, "PASSIVE")


def exported(row: StoredRow) -> dict[str, Any]:
    """A stored event as the export and the verifier know it: the members its leaf hash
    covers, and the hash."""
    return {
        "position": row.position,
        "stream_id": row.stream_id,
        "version": row.version,
        "event_id": str(row.event_id),
        "type": row.type,
        "schema_version": row.schema_version,
        "recorded_at": row.recorded_at,
        "data": json.loads(row.data_json),
        "metadata": json.loads(row.metadata_json),
        "leaf_hash": _b64(row.leaf_hash),
    }


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
