"""Carry out registry commands: load the site, decide, seal, append, wait for the read model."""

from __future__ import annotations

from collections.abc import Mapping
from functools import reduce
from typing import Any

import sqlalchemy as sa

from events_store import NO_STREAM, ConcurrencyError, EventStore, RecordedEvent
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault

from . import commands as c
from .decider import RegistryPolicy, SiteState, decide, evolve
from .events import EVENT_TYPES
from .queries import count_sites_of_owner
from .sealing import public_event, to_new_event

RETRIES = 5


def site_stream(site_id: str) -> str:
    """The stream that holds one site's history."""
    return f"site-{site_id}"


class RegistryService:
    """The write side of the registry."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        policy: RegistryPolicy,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self.policy = policy

    def execute(
        self, command: c.SiteCommand, metadata: Mapping[str, Any] | None = None
    ) -> list[RecordedEvent]:
        """Carry out a command and return its stored events once the read model shows them.

        A concurrent change to the same site makes it decide again on the new state.
        """
        conflict: ConcurrencyError | None = None
        for _ in range(RETRIES):
            stored = self._store.read_stream(site_stream(command.site_id))
            state = reduce(evolve, (_public_event(r) for r in stored), SiteState())
            events = decide(command, state, self.policy, self._owner_site_count(command))
            if not events:
                return []
            subject = state.owner_id or command.owner_id
            new = [
                to_new_event(self._vault, subject, event, dict(metadata or {})) for event in events
            ]
            try:
                recorded = self._store.append(
                    site_stream(command.site_id), new, len(stored) or NO_STREAM
                )
            except ConcurrencyError as error:
                conflict = error
                continue
            self._projections.wait_until(recorded[-1].position, ["registry"])
            return recorded
        assert conflict is not None
        raise conflict

    def _owner_site_count(self, command: c.SiteCommand) -> int:
        if not isinstance(command, c.RegisterSite):
            return 0
        with self._engine.connect().execution_options(read_only=True) as conn:
            return count_sites_of_owner(conn, command.owner_id)


def _public_event(recorded: RecordedEvent) -> Any:
    return public_event(recorded) if recorded.type in EVENT_TYPES else None
