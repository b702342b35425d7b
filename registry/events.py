"""What happens to a registered site and its cameras, as stored in the log.

Each event is a frozen dataclass of JSON primitives with a registered type name. Fields
listed in `PERSONAL` are personal data: they are sealed together with the owner's key
into one `private` field before the event is stored, and read back as None once the
owner is forgotten. Site and camera labels, addresses, positions and an import's source
reference are personal (schema version 2); ids, kind, consent and camera facts are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from events_store.sealing import DomainEvent


@dataclass(frozen=True)
class RegistryEvent(DomainEvent):
    """Base of the registry's events: every one names its site."""

    site_id: str


@dataclass(frozen=True)
class SiteRegistered(RegistryEvent):
    # The label names the shop or the home; an import's source_ref points at the agency's
    # public row, which names and places the site: both as personal as the address.
    PERSONAL: ClassVar[tuple[str, ...]] = (
        "label",
        "address",
        "latitude",
        "longitude",
        "source_ref",
    )
    SCHEMA_VERSION: ClassVar[int] = 2

    owner_id: str
    kind: str
    label: str
    address: str | None
    latitude: float | None
    longitude: float | None
    location_source: str
    source_ref: str | None
    contact_for_requests: bool
    categories: list[str]
    share_exact_location: bool


@dataclass(frozen=True)
class SiteDetailsChanged(RegistryEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("label", "address", "latitude", "longitude")
    SCHEMA_VERSION: ClassVar[int] = 2

    label: str
    address: str | None
    latitude: float | None
    longitude: float | None
    location_source: str


@dataclass(frozen=True)
class CameraAdded(RegistryEvent):
    # "Maria's bedroom window": the owner's own name for a camera is theirs alone. Where it
    # looks, how far, and how long it keeps footage are camera facts, kept in clear.
    PERSONAL: ClassVar[tuple[str, ...]] = ("label",)
    SCHEMA_VERSION: ClassVar[int] = 2

    camera_id: str
    label: str
    bearing_degrees: float
    field_of_view_degrees: float
    range_metres: float
    placement: str
    recording: str
    retention_days: int


@dataclass(frozen=True)
class CameraChanged(CameraAdded):
    pass


@dataclass(frozen=True)
class CameraRemoved(RegistryEvent):
    camera_id: str


@dataclass(frozen=True)
class ConsentChanged(RegistryEvent):
    contact_for_requests: bool
    categories: list[str]
    share_exact_location: bool


@dataclass(frozen=True)
class SitePaused(RegistryEvent):
    pass


@dataclass(frozen=True)
class SiteResumed(RegistryEvent):
    pass


@dataclass(frozen=True)
class SiteUnregistered(RegistryEvent):
    pass


EVENT_TYPES: dict[str, type[RegistryEvent]] = {
    cls.type_name(): cls
    for cls in (
        SiteRegistered,
        SiteDetailsChanged,
        CameraAdded,
        CameraChanged,
        CameraRemoved,
        ConsentChanged,
        SitePaused,
        SiteResumed,
        SiteUnregistered,
    )
}


def event_from_data(type_name: str, data: dict[str, Any]) -> RegistryEvent:
    """Rebuild an event from its public and (opened or erased) personal fields."""
    return EVENT_TYPES[type_name].from_data(data)
