"""Carry out registry commands: load the site, decide, seal, append, wait for the read model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from events_store import EventStore, RecordedEvent
from events_store.handling import StreamModel, handle
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault

from . import commands as c
from .decider import RegistryPolicy, SiteState, decide, evolve
from .events import EVENT_TYPES
from .queries import count_sites_of_owner

SITE = StreamModel(EVENT_TYPES, SiteState(), evolve)


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

    @property
    def vault(self) -> KeyVault:
        """The vault that seals the registry's personal fields."""
        return self._vault

    def execute(
        self, command: c.SiteCommand, metadata: Mapping[str, Any] | None = None
    ) -> list[RecordedEvent]:
        """Carry out a command and return its stored events once the read model shows them."""
        count = self._owner_site_count(command)
        recorded = handle(
            self._store,
            self._vault,
            site_stream(command.site_id),
            SITE,
            lambda state: decide(command, state, self.policy, count),
            lambda state: state.owner_id or command.owner_id,
            metadata or {},
        )
        if recorded:
            self._projections.wait_until(recorded[-1].position, ["registry"])
        return recorded

    def _owner_site_count(self, command: c.SiteCommand) -> int:
        if not isinstance(command, c.RegisterSite):
            return 0
        with self._engine.connect().execution_options(read_only=True) as conn:
            return count_sites_of_owner(conn, command.owner_id)
