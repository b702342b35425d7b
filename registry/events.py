"""What happens to a registered site and its cameras, as stored in the log.

Each event is a frozen dataclass of JSON primitives with a registered type name. Fields
listed in `PERSONAL` are personal data: they are sealed together with the owner's key
into one `private` field before the event is stored, and read back as None once the
owner is forgotten.
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
    PERSONAL: ClassVar[tuple[str, ...]] = ("address", "latitude", "longitude")

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
    PERSONAL: ClassVar[tuple[str, ...]] = ("address", "latitude", "longitude")

    label: str
    address: str | None
    latitude: float | None
    longitude: float | None
    location_source: str


@dataclass(frozen=True)
class CameraAdded(RegistryEvent):
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
