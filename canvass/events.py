"""What happens to a canvass, as stored in the log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from events_store.sealing import DomainEvent


@dataclass(frozen=True)
class CanvassEvent(DomainEvent):
    """Base of the canvass events: every one names its canvass."""

    canvass_id: str


@dataclass(frozen=True)
class CanvassOpened(CanvassEvent):
    agency: str
    investigator_id: str
    case_number: str
    category: str
    incident_latitude: float
    incident_longitude: float
    window_start: str  # ISO 8601, UTC
    window_end: str
    area: dict[str, Any]  # {"circle": {"radius_m": r}} or {"polygon": [[lat, lon], ...]}
    area_m2: float
    justification: str
    legal_basis: str


@dataclass(frozen=True)
class CanvassSubmitted(CanvassEvent):
    exceedances: dict[str, list[str]]  # field -> sentences; empty within the limits


@dataclass(frozen=True)
class OverrideApproved(CanvassEvent):
    supervisor_id: str
    reason: str
    exceedances: dict[str, list[str]]


@dataclass(frozen=True)
class CanvassApproved(CanvassEvent):
    by: str  # "policy" when within limits, else the supervisor's id


@dataclass(frozen=True)
class CanvassDispatched(CanvassEvent):
    pass


@dataclass(frozen=True)
class RequestsPlanned(CanvassEvent):
    """What a dispatch is to send, recorded with it: the requests to create (each with its
    id, owner, site and cameras) and how many owners are not asked, by reason. The requests
    are created one by one afterwards; the scheduler finishes a dispatch cut short."""

    requests: list[dict[str, Any]]  # request_id, owner_id, site_id, camera_ids
    not_asked: dict[str, int]  # no_contact_on_file, weekly_cap_reached


@dataclass(frozen=True)
class DispatchFinished(CanvassEvent):
    """Every planned request of the dispatch exists (or its owner could not be asked)."""


@dataclass(frozen=True)
class CanvassClosed(CanvassEvent):
    reason: str = "settled"  # or "deadline": open longer than the agency allows


@dataclass(frozen=True)
class CanvassCancelled(CanvassEvent):
    reason: str


@dataclass(frozen=True)
class CanvassExpired(CanvassEvent):
    pass


@dataclass(frozen=True)
class ExpiryAlertSent(CanvassEvent):
    """The investigator was told that unanswered footage is about to be overwritten."""

    request_ids: list[str]


@dataclass(frozen=True)
class VisitRecorded(CanvassEvent):
    """A door knocked at, in person, that is not in the registry."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("address", "note")

    visit_id: str
    investigator_id: str
    latitude: float
    longitude: float
    address: str | None
    result: str  # no_answer, no_camera, camera_present
    retention_days: int | None
    clock_offset_seconds: int | None
    contact_made: bool
    revisit_due: str | None  # ISO date
    note: str | None


EVENT_TYPES: dict[str, type[CanvassEvent]] = {
    cls.type_name(): cls
    for cls in (
        CanvassOpened,
        CanvassSubmitted,
        OverrideApproved,
        CanvassApproved,
        CanvassDispatched,
        RequestsPlanned,
        DispatchFinished,
        CanvassClosed,
        CanvassCancelled,
        CanvassExpired,
        VisitRecorded,
        ExpiryAlertSent,
    )
}


@dataclass(frozen=True)
class RequestEvent(DomainEvent):
    """Base of the footage-request events: every one names its request."""

    request_id: str


@dataclass(frozen=True)
class FootageRequested(RequestEvent):
    canvass_id: str
    site_id: str
    owner_id: str
    camera_ids: list[str]
    window_start: str
    window_end: str
    sent_at: str
    expires_at: str


@dataclass(frozen=True)
class RequestAnswered(RequestEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("note",)

    answer: str  # share_now, will_bring, no_footage, decline
    note: str | None


@dataclass(frozen=True)
class RequestExpired(RequestEvent):
    pass


@dataclass(frozen=True)
class OwnerReminded(RequestEvent):
    number: int  # 1 after a day, 2 after three days


@dataclass(frozen=True)
class FootageReceived(RequestEvent):
    PERSONAL: ClassVar[tuple[str, ...]] = ("statement",)

    canvass_id: str
    sha256: str
    size: int
    container: str
    clock_offset_seconds: int | None  # recorder clock minus real time, as the owner says
    statement: str | None  # how the owner exported it, in their words


@dataclass(frozen=True)
class FootageHandled(RequestEvent):
    """Chain of custody, and the access record: who took a file, in which role and agency,
    for which case and on what legal basis (fields absent from events of before they were
    recorded)."""

    canvass_id: str
    sha256: str
    action: str  # viewed, downloaded, exported, purged
    actor: str
    role: str | None = None
    agency: str | None = None
    owner_id: str | None = None
    case_number: str | None = None
    legal_basis: str | None = None
    purpose: str | None = None


REQUEST_EVENT_TYPES: dict[str, type[RequestEvent]] = {
    cls.type_name(): cls
    for cls in (
        FootageRequested,
        RequestAnswered,
        RequestExpired,
        OwnerReminded,
        FootageReceived,
        FootageHandled,
    )
}
