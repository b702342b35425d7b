"""What investigators and supervisors ask of a canvass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class OpenCanvass:
    canvass_id: str
    agency: str
    investigator_id: str
    case_number: str
    category: str
    incident_latitude: float
    incident_longitude: float
    window_start: datetime
    window_end: datetime
    area: dict[str, Any]  # {"circle": {"radius_m": r}} or {"polygon": [[lat, lon], ...]}
    justification: str
    legal_basis: str


@dataclass(frozen=True)
class SubmitCanvass:
    canvass_id: str
    investigator_id: str


@dataclass(frozen=True)
class ApproveOverride:
    canvass_id: str
    supervisor_id: str
    supervisor_agency: str
    reason: str


@dataclass(frozen=True)
class DenyCanvass:
    canvass_id: str
    supervisor_id: str
    supervisor_agency: str
    reason: str


@dataclass(frozen=True)
class SendBackCanvass:
    canvass_id: str
    supervisor_id: str
    supervisor_agency: str
    reason: str


@dataclass(frozen=True)
class ReviseCanvass:
    canvass_id: str
    investigator_id: str
    case_number: str
    category: str
    incident_latitude: float
    incident_longitude: float
    window_start: datetime
    window_end: datetime
    area: dict[str, Any]
    justification: str
    legal_basis: str


@dataclass(frozen=True)
class DispatchCanvass:
    canvass_id: str
    investigator_id: str
    requests: tuple[dict[str, Any], ...] = ()  # request_id, owner_id, site_id, camera_ids
    not_asked: tuple[tuple[str, int], ...] = ()  # (reason, how many owners)


@dataclass(frozen=True)
class FinishDispatch:
    canvass_id: str


@dataclass(frozen=True)
class CloseCanvass:
    canvass_id: str
    reason: str = "settled"  # "settled": every request answered or expired; "deadline"; or
    # "investigator": closed by its investigator, with what became of the offered footage
    investigator_id: str | None = None
    outcomes: tuple[tuple[str, str], ...] = ()  # (site_id, used | not_needed | returned)


@dataclass(frozen=True)
class CancelCanvass:
    canvass_id: str
    investigator_id: str
    reason: str


@dataclass(frozen=True)
class ExpireCanvass:
    canvass_id: str


@dataclass(frozen=True)
class RecordVisit:
    canvass_id: str
    investigator_id: str
    visit_id: str
    latitude: float
    longitude: float
    address: str | None
    result: str
    retention_days: int | None
    clock_offset_seconds: int | None
    contact_made: bool
    revisit_due: str | None
    note: str | None
    site_id: str | None = None


@dataclass(frozen=True)
class AlertExpiringFootage:
    canvass_id: str
    request_ids: tuple[str, ...]


CanvassCommand = (
    OpenCanvass
    | SubmitCanvass
    | ApproveOverride
    | DenyCanvass
    | SendBackCanvass
    | ReviseCanvass
    | DispatchCanvass
    | FinishDispatch
    | CloseCanvass
    | CancelCanvass
    | ExpireCanvass
    | RecordVisit
    | AlertExpiringFootage
)
