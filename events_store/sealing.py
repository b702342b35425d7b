"""Domain events with personal fields, and their passage in and out of the log.

A domain event is a frozen dataclass of JSON primitives. The fields it lists in `PERSONAL`
are sealed together, with the data subject's key, into one `private` field of the stored
payload; the rest are stored in clear. Read back after the subject is forgotten, the
personal fields are None.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, ClassVar, TypeVar

from .errors import SubjectErasedError
from .model import NewEvent, RecordedEvent
from .vault import KeyVault

PRIVATE = "private"
E = TypeVar("E", bound="DomainEvent")


@dataclass(frozen=True)
class DomainEvent:
    """Base of the domains' events."""

    PERSONAL: ClassVar[tuple[str, ...]] = ()
    SCHEMA_VERSION: ClassVar[int] = 1

    @classmethod
    def type_name(cls) -> str:
        """The name the log stores this event under."""
        return cls.__name__

    def public_data(self) -> dict[str, Any]:
        """The fields that are not personal."""
        return {k: v for k, v in asdict(self).items() if k not in self.PERSONAL}

    def personal_data(self) -> dict[str, Any]:
        """The personal fields, to be sealed."""
        return {k: v for k, v in asdict(self).items() if k in self.PERSONAL}

    @classmethod
    def from_data(cls: type[E], data: dict[str, Any]) -> E:
        """Rebuild from stored fields; missing (erased) ones become None."""
        return cls(**{f.name: data.get(f.name) for f in fields(cls)})


def to_new_event(
    vault: KeyVault, subject_id: str, event: DomainEvent, metadata: dict[str, Any]
) -> NewEvent:
    """The event as it is stored: public fields in clear, personal ones sealed together."""
    draft = NewEvent(event.type_name(), {}, metadata, schema_version=event.SCHEMA_VERSION)
    data = event.public_data()
    personal = event.personal_data()
    if personal:
        data[PRIVATE] = vault.seal(subject_id, draft.event_id, PRIVATE, personal)
    return NewEvent(draft.type, data, metadata, draft.event_id, draft.schema_version)


def opened_data(vault: KeyVault | None, recorded: RecordedEvent) -> dict[str, Any]:
    """A stored payload with its personal fields opened (without a vault: left out)."""
    data = dict(recorded.data)
    sealed = data.pop(PRIVATE, None)
    if sealed is not None and vault is not None:
        # Once the subject is forgotten the personal fields stay None: erased for good.
        with contextlib.suppress(SubjectErasedError):
            data.update(vault.open(sealed, recorded.event_id, PRIVATE))
    return data


def domain_events(
    recorded: Iterable[RecordedEvent],
    event_types: Mapping[str, type[E]],
    vault: KeyVault | None,
) -> Iterator[tuple[E, RecordedEvent]]:
    """The events of the given types, rebuilt with their personal fields opened (without a
    vault: left out), each beside its stored record; other events pass by."""
    for stored in recorded:
        kind = event_types.get(stored.type)
        if kind is not None:
            yield kind.from_data(opened_data(vault, stored)), stored


def seal_row(
    vault: KeyVault, subject_id: str, table: str, row_id: str, values: Mapping[str, Any]
) -> str:
    """A read model's personal columns, sealed together for their subject into one value.

    The associated data names the table and the row, so a sealed value copied to another
    row or table does not open. Deleting the subject's key erases every such value, in live
    rows, dead tuples, write-ahead logs and backups alike.
    """
    return vault.seal(subject_id, row_id, f"row:{table}", dict(values))


def open_row(vault: KeyVault, sealed: str | None, table: str, row_id: str) -> dict[str, Any] | None:
    """The personal columns sealed by `seal_row`; None once the subject is forgotten."""
    if sealed is None:
        return None
    try:
        opened = vault.open(sealed, row_id, f"row:{table}")
    except SubjectErasedError:
        return None
    return dict(opened)
