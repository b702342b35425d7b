"""Forgeries an attacker with write access to the database could make."""

from __future__ import annotations

import dataclasses

from events_store import EventStore
from events_store.integrity import recompute_leaf_hash
from tests.databases import tamper


def rewrite_with_its_hash(store: EventStore, url: str, position: int, data_json: str) -> None:
    """Give the event at `position` new data and the leaf hash of the changed row, so that
    the row on its own looks intact: only a signed checkpoint can tell."""
    row = next(store.iter_stored(after=position - 1, batch_size=1))
    digest = recompute_leaf_hash(dataclasses.replace(row, data_json=data_json)).hex()
    literal = f"X'{digest}'" if url.startswith("sqlite") else f"'\\x{digest}'::bytea"
    quoted = data_json.replace("'", "''")
    tamper(
        url,
        f"UPDATE events SET data = '{quoted}', leaf_hash = {literal} WHERE position = {position}",
    )
