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
class CanvassDenied(CanvassEvent):
    """A supervisor refused a canvass beyond the limits, for good, with a reason."""

    supervisor_id: str
    reason: str


@dataclass(frozen=True)
class CanvassSentBack(CanvassEvent):
    """A supervisor returned a canvass to its investigator to change and submit again."""

    supervisor_id: str
    reason: str


@dataclass(frozen=True)
class CanvassRevised(CanvassEvent):
    """The investigator changed a canvass that was sent back; it is a draft again."""

    case_number: str
    category: str
    incident_latitude: float
    incident_longitude: float
    window_start: str  # ISO 8601, UTC
    window_end: str
    area: dict[str, Any]
    area_m2: float
    justification: str
    legal_basis: str


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
class FootageOutcomesMarked(CanvassEvent):
    """What became of the footage each site's owner offered, as the investigator marked it
    on closing: used, not_needed or returned (a site not named counts as not_needed)."""

    outcomes: dict[str, str]  # site_id -> outcome


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
    """A door knocked at, in person. Its place, address and note are sealed: for the owner
    of the registered site it names (erasing them erases it), else for the canvass's visits
    (forgotten when the canvass's retention ends)."""

    PERSONAL: ClassVar[tuple[str, ...]] = ("latitude", "longitude", "address", "note")
    SCHEMA_VERSION: ClassVar[int] = 2  # 2: the position sealed too, and the site named

    visit_id: str
    investigator_id: str
    latitude: float | None
    longitude: float | None
    address: str | None
    result: str  # no_answer, no_camera, camera_present
    retention_days: int | None
    clock_offset_seconds: int | None
    contact_made: bool
    revisit_due: str | None  # ISO date
    note: str | None
    site_id: str | None = None  # the registered site visited, if the investigator named one


EVENT_TYPES: dict[str, type[CanvassEvent]] = {
    cls.type_name(): cls
    for cls in (
        CanvassOpened,
        CanvassSubmitted,
        OverrideApproved,
        CanvassApproved,
        CanvassDenied,
        CanvassSentBack,
        CanvassRevised,
        CanvassDispatched,
        RequestsPlanned,
        DispatchFinished,
        FootageOutcomesMarked,
        CanvassClosed,
        CanvassCancelled,
        CanvassExpired,
        VisitRecorded,
        ExpiryAlertSent,
    )
}


@dataclass(frozen=True)
class CandidatesListed(DomainEvent):
    """Someone was shown a canvass's candidate cameras: an access to the owners' sites,
    recorded before the list is shown (its own stream per canvass, so that listing never
    contends with the canvass's commands)."""

    canvass_id: str
    actor: str
    role: str | None = None
    agency: str | None = None
    case_number: str | None = None
    legal_basis: str | None = None
    purpose: str | None = None
    shown_as: str | None = None  # api, page, geojson, csv, report
    sites: int = 0
    site_ids: list[str] | None = None  # the registry's references, never an owner's

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> CandidatesListed:
        """Rebuild from stored fields, with the defaults for any left out."""
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


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


@dataclass(frozen=True)
class DigestsSent(DomainEvent):
    """Investigators were sent the news of their canvasses recorded after one position of
    the log up to another: how many items each one's digest held (pseudonymous ids only)."""

    after_position: int
    up_to_position: int
    investigators: dict[str, int]  # investigator_id -> items in their digest


DIGEST_EVENT_TYPES: dict[str, type[DomainEvent]] = {DigestsSent.type_name(): DigestsSent}
