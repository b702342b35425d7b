"""Personal fields in and out of stored events, through the key vault."""

from __future__ import annotations

import contextlib
from typing import Any

from events_store import NewEvent, RecordedEvent, SubjectErasedError
from events_store.vault import KeyVault

from .events import SCHEMA_VERSION, RegistryEvent, event_from_data

PRIVATE = "private"


def to_new_event(
    vault: KeyVault, subject_id: str, event: RegistryEvent, metadata: dict[str, Any]
) -> NewEvent:
    """The event as it is stored: public fields in clear, personal ones sealed together."""
    draft = NewEvent(event.type_name(), {}, metadata, schema_version=SCHEMA_VERSION)
    data = event.public_data()
    personal = event.personal_data()
    if personal:
        data[PRIVATE] = vault.seal(subject_id, draft.event_id, PRIVATE, personal)
    return NewEvent(draft.type, data, metadata, draft.event_id, draft.schema_version)


def from_recorded(vault: KeyVault, recorded: RecordedEvent) -> RegistryEvent:
    """The event with its personal fields opened, or None where the owner was forgotten."""
    data = dict(recorded.data)
    sealed = data.pop(PRIVATE, None)
    if sealed is not None:
        # Once the owner is forgotten the personal fields stay None: erased for good.
        with contextlib.suppress(SubjectErasedError):
            data.update(vault.open(sealed, recorded.event_id, PRIVATE))
    return event_from_data(recorded.type, data)
