"""The registry's events in and out of the log, with their personal fields sealed."""

from __future__ import annotations

from events_store import RecordedEvent
from events_store.sealing import opened_data, to_new_event
from events_store.vault import KeyVault

from .events import RegistryEvent, event_from_data

__all__ = ["from_recorded", "to_new_event"]


def from_recorded(vault: KeyVault, recorded: RecordedEvent) -> RegistryEvent:
    """The event with its personal fields opened, or None where the owner was forgotten."""
    return event_from_data(recorded.type, opened_data(vault, recorded))
