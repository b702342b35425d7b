"""The canvass lifecycle as pure rules: draft, submitted, approved, dispatched, then closed,
cancelled or expired. Time is passed in, so the rules are exact in tests."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from registry.geodesy import Circle, Point, Polygon
from validation.geometry import polygon_problem
from validation.text import refused_character

from . import commands as c
from . import events as e
from .errors import CanvassNotFound, InvalidCanvass, NotAllowedNow
from .policy import AgencyPolicy, CanvassScope, PolicyReport, check

LEGAL_BASES = ("owner_consent", "warrant", "exigent_circumstances")
MAX_JUSTIFICATION = 2000
MIN_OVERRIDE_REASON = 20
MIN_DECISION_REASON, MAX_DECISION_REASON = 10, 2000
MAX_POLYGON_CORNERS = 100
FINISHED = ("closed", "cancelled", "expired", "denied")
OUTCOMES = ("used", "not_needed", "returned")  # what became of the footage an owner offered


@dataclass(frozen=True)
class CanvassState:
    """What the rules need to know of a canvass."""

    status: str = "none"  # none, draft, submitted, sent_back, approved, dispatched, closed, ...
    agency: str | None = None
    investigator_id: str | None = None
    scope: CanvassScope | None = None
    exceedances: dict[str, list[str]] = field(default_factory=dict)
    alerted: frozenset[str] = field(default_factory=frozenset)
    planned: tuple[dict[str, Any], ...] = ()  # the requests its dispatch is to create
    not_asked: dict[str, int] = field(default_factory=dict)
    dispatch_finished: bool = True  # False from the plan until every request exists
    outcomes: dict[str, str] = field(default_factory=dict)  # site_id -> outcome, on closing

    @property
    def ended(self) -> bool:
        """Closed, cancelled or expired: nothing more is asked of anyone."""
        return self.status in FINISHED

    @property
    def dispatch_outcome(self) -> dict[str, int]:
        """What the dispatch did or is doing: requests made, and owners not asked, by reason."""
        made = {"requested": len(self.planned)} if self.planned else {}
        return made | {reason: n for reason, n in self.not_asked.items() if n}


def decide(
    command: c.CanvassCommand, state: CanvassState, policy: AgencyPolicy, now: datetime
) -> list[e.CanvassEvent]:
    """The events a command causes, or a typed refusal."""
    if isinstance(command, c.OpenCanvass):
        if state.status != "none":
            raise NotAllowedNow("This canvass exists already.")
        return [_open(command, policy, now)]
    if state.status == "none":
        raise CanvassNotFound(command.canvass_id)
    if isinstance(command, c.SubmitCanvass):
        return _submit(command, state, policy, now)
    if isinstance(command, c.ApproveOverride):
        return _approve_override(command, state)
    if isinstance(command, (c.DenyCanvass, c.SendBackCanvass)):
        return _decline(command, state)
    if isinstance(command, c.ReviseCanvass):
        return _revise(command, state, policy, now)
    if isinstance(command, c.DispatchCanvass):
        if state.status == "dispatched":
            raise NotAllowedNow("This canvass was sent to its owners already.")
        _require(state, "approved", "Only an approved canvass can be sent to owners.")
        _own(state, command.investigator_id)
        return [e.CanvassDispatched(command.canvass_id), *_plan(command)]
    if isinstance(command, c.FinishDispatch):
        if state.status != "dispatched" or state.dispatch_finished:
            return []  # finished already, or called off since: nothing more is sent
        return [e.DispatchFinished(command.canvass_id)]
    if isinstance(command, c.CancelCanvass):
        if state.status in FINISHED:
            raise NotAllowedNow(f"This canvass is {state.status} already.")
        _own(state, command.investigator_id)
        return [e.CanvassCancelled(command.canvass_id, command.reason.strip())]
    if isinstance(command, c.AlertExpiringFootage):
        fresh = [rid for rid in command.request_ids if rid not in state.alerted]
        if state.status != "dispatched" or not fresh:
            return []  # each request is alerted about once, and only while the canvass runs
        return [e.ExpiryAlertSent(command.canvass_id, fresh)]
    if isinstance(command, c.RecordVisit):
        if state.status not in ("approved", "dispatched"):
            raise NotAllowedNow("Visits are recorded for an approved or dispatched canvass.")
        _own(state, command.investigator_id)
        _check_visit(command)
        return [e.VisitRecorded(**vars(command))]
    if isinstance(command, c.CloseCanvass):
        _require(state, "dispatched", "Only a dispatched canvass can be closed.")
        if command.investigator_id is None:
            return [e.CanvassClosed(command.canvass_id, command.reason)]
        return _close_by_investigator(command, state)
    if state.status in FINISHED or state.status == "dispatched":
        return []  # expiring twice, or after it went out, changes nothing
    return [e.CanvassExpired(command.canvass_id)]


def preview(command: c.OpenCanvass, policy: AgencyPolicy, now: datetime) -> PolicyReport:
    """What opening and submitting this canvass would meet, without recording anything:
    refusals field by field, and the limits a supervisor would have to approve."""
    try:
        opened = _open(command, policy, now)
    except InvalidCanvass as refused:
        return PolicyReport(refusals=refused.errors)
    scope = CanvassScope(
        opened.case_number,
        opened.category,
        command.window_start,
        command.window_end,
        opened.area_m2,
    )
    return check(scope, policy, now)


def evolve(state: CanvassState, event: e.CanvassEvent) -> CanvassState:
    """The canvass after an event."""
    if isinstance(event, e.CanvassOpened):
        scope = CanvassScope(
            event.case_number,
            event.category,
            datetime.fromisoformat(event.window_start),
            datetime.fromisoformat(event.window_end),
            event.area_m2,
        )
        return CanvassState("draft", event.agency, event.investigator_id, scope)
    if isinstance(event, e.CanvassSubmitted):
        return replace(state, status="submitted", exceedances=event.exceedances)
    if isinstance(event, e.ExpiryAlertSent):
        return replace(state, alerted=state.alerted | set(event.request_ids))
    if isinstance(event, e.RequestsPlanned):
        return replace(
            state,
            planned=tuple(event.requests),
            not_asked=dict(event.not_asked),
            dispatch_finished=not event.requests,
        )
    if isinstance(event, e.DispatchFinished):
        return replace(state, dispatch_finished=True)
    if isinstance(event, e.CanvassRevised):
        scope = CanvassScope(
            event.case_number,
            event.category,
            datetime.fromisoformat(event.window_start),
            datetime.fromisoformat(event.window_end),
            event.area_m2,
        )
        return replace(state, status="draft", scope=scope, exceedances={})
    if isinstance(event, e.FootageOutcomesMarked):
        return replace(state, outcomes=dict(event.outcomes))
    status = {
        e.CanvassApproved: "approved",
        e.CanvassDenied: "denied",
        e.CanvassSentBack: "sent_back",
        e.CanvassDispatched: "dispatched",
        e.CanvassClosed: "closed",
        e.CanvassCancelled: "cancelled",
        e.CanvassExpired: "expired",
    }.get(type(event))
    return replace(state, status=status) if status else state


def area_of(area: dict[str, Any], center: Point) -> tuple[Circle | Polygon, float]:
    """The search shape and its area in square metres, from the stored description."""
    if "circle" in area:
        radius = float(area["circle"]["radius_m"])
        return Circle(center, radius), math.pi * radius**2
    polygon = Polygon([Point(float(lat), float(lon)) for lat, lon in area["polygon"]])
    return polygon, polygon.area_m2()


def _open(command: c.OpenCanvass, policy: AgencyPolicy, now: datetime) -> e.CanvassOpened:
    errors: dict[str, list[str]] = {}
    area_m2 = 0.0
    try:
        center = Point(command.incident_latitude, command.incident_longitude)
    except (ValueError, TypeError):
        errors["incident"] = ["Give the incident's place as a valid latitude and longitude."]
    else:
        area_m2 = _checked_area(command.area, center, errors)
    if command.legal_basis not in LEGAL_BASES:
        errors["legal_basis"] = [f"Choose one of: {', '.join(LEGAL_BASES)}."]
    justification = (command.justification or "").strip()
    if not justification or len(justification) > MAX_JUSTIFICATION:
        errors["justification"] = [
            f"Say why footage from this area may help, in 1 to {MAX_JUSTIFICATION} characters."
        ]
    scope = CanvassScope(
        command.case_number, command.category, command.window_start, command.window_end, area_m2
    )
    report = check(scope, policy, now)
    errors.update(report.refusals)
    if errors:
        raise InvalidCanvass(errors)
    return e.CanvassOpened(
        command.canvass_id,
        command.agency,
        command.investigator_id,
        command.case_number.strip(),
        command.category,
        command.incident_latitude,
        command.incident_longitude,
        command.window_start.astimezone(UTC).isoformat(),
        command.window_end.astimezone(UTC).isoformat(),
        command.area,
        area_m2,
        justification,
        command.legal_basis,
    )


def _checked_area(area: object, center: Point, errors: dict[str, list[str]]) -> float:
    try:
        if not isinstance(area, dict) or len(area) != 1:
            raise ValueError
        if "polygon" in area and len(area["polygon"]) > MAX_POLYGON_CORNERS:
            errors["area"] = [f"Draw the area with at most {MAX_POLYGON_CORNERS} corners."]
            return 0.0
        if "polygon" in area and (problem := polygon_problem(area["polygon"])):
            errors["area"] = [problem]  # a self-crossing outline's area would cancel out
            return 0.0
        _, square_metres = area_of(area, center)
    except (ValueError, TypeError, KeyError):
        errors["area"] = ["Give the area as a circle (a radius in metres) or a polygon."]
        return 0.0
    if not square_metres > 0:
        errors["area"] = ["The area must have a size."]
    return square_metres


def _submit(
    command: c.SubmitCanvass, state: CanvassState, policy: AgencyPolicy, now: datetime
) -> list[e.CanvassEvent]:
    """Within the limits it is approved at once; beyond them it waits for a supervisor.
    A canvass sent back may be submitted again, changed or not."""
    if state.status not in ("draft", "sent_back"):
        raise NotAllowedNow("Only a draft canvass, or one sent back to you, can be submitted.")
    _own(state, command.investigator_id)
    assert state.scope is not None
    report = check(state.scope, policy, now)
    if report.refusals:
        raise InvalidCanvass(report.refusals)
    submitted = e.CanvassSubmitted(command.canvass_id, report.exceedances)
    if report.within_limits:
        return [submitted, e.CanvassApproved(command.canvass_id, "policy")]
    return [submitted]


def _approve_override(command: c.ApproveOverride, state: CanvassState) -> list[e.CanvassEvent]:
    _require(state, "submitted", "Only a submitted canvass waits for approval.")
    if command.supervisor_agency != state.agency:
        raise CanvassNotFound(command.canvass_id)
    reason = (command.reason or "").strip()
    if len(reason) < MIN_OVERRIDE_REASON:
        raise InvalidCanvass(
            {
                "reason": [
                    f"Explain in at least {MIN_OVERRIDE_REASON} characters why the "
                    "limits may be exceeded; the reason is recorded."
                ]
            }
        )
    return [
        e.OverrideApproved(command.canvass_id, command.supervisor_id, reason, state.exceedances),
        e.CanvassApproved(command.canvass_id, command.supervisor_id),
    ]


def _decline(
    command: c.DenyCanvass | c.SendBackCanvass, state: CanvassState
) -> list[e.CanvassEvent]:
    """Deny for good, or send back to be changed: only a canvass waiting for approval, by a
    supervisor of its agency, with a reason the investigator reads and the log keeps."""
    _require(state, "submitted", "Only a submitted canvass waits for a decision.")
    if command.supervisor_agency != state.agency:
        raise CanvassNotFound(command.canvass_id)
    reason = decision_reason(command.reason)
    if isinstance(command, c.DenyCanvass):
        return [e.CanvassDenied(command.canvass_id, command.supervisor_id, reason)]
    return [e.CanvassSentBack(command.canvass_id, command.supervisor_id, reason)]


def decision_reason(text: str | None) -> str:
    """A supervisor's reason to deny or send back, trimmed; or a refusal that says what to
    change."""
    reason = (text or "").strip()
    if not MIN_DECISION_REASON <= len(reason) <= MAX_DECISION_REASON:
        raise InvalidCanvass(
            {
                "reason": [
                    f"Write the reason in {MIN_DECISION_REASON} to {MAX_DECISION_REASON} "
                    "characters: the investigator reads it and the log keeps it."
                ]
            }
        )
    if (bad := refused_character(reason, single_line=False)) is not None:
        code = f"U+{ord(bad):04X}"
        raise InvalidCanvass({"reason": [f"Remove the invisible control character {code}."]})
    return reason


def _revise(
    command: c.ReviseCanvass, state: CanvassState, policy: AgencyPolicy, now: datetime
) -> list[e.CanvassEvent]:
    """Change a canvass sent back (or still a draft); it is checked as a new one would be."""
    if state.status not in ("draft", "sent_back"):
        raise NotAllowedNow("Only a draft canvass, or one sent back to you, can be changed.")
    _own(state, command.investigator_id)
    details = {k: v for k, v in vars(command).items() if k not in ("canvass_id", "investigator_id")}
    opened = _open(
        c.OpenCanvass(command.canvass_id, state.agency or "", command.investigator_id, **details),
        policy,
        now,
    )
    given = vars(opened)
    return [e.CanvassRevised(**{f.name: given[f.name] for f in fields(e.CanvassRevised)})]


def _close_by_investigator(command: c.CloseCanvass, state: CanvassState) -> list[e.CanvassEvent]:
    assert command.investigator_id is not None
    _own(state, command.investigator_id)
    outcomes = dict(command.outcomes)
    wrong = sorted({value for value in outcomes.values() if value not in OUTCOMES})
    if wrong:
        raise InvalidCanvass({"outcomes": [f"Choose one of: {', '.join(OUTCOMES)}."]})
    marked: list[e.CanvassEvent] = []
    if outcomes:
        marked.append(e.FootageOutcomesMarked(command.canvass_id, outcomes))
    return [*marked, e.CanvassClosed(command.canvass_id, "investigator")]


def _plan(command: c.DispatchCanvass) -> list[e.CanvassEvent]:
    """The dispatch's intent, recorded with it; nothing when there is no one to ask."""
    not_asked = dict(command.not_asked)
    if not command.requests and not any(not_asked.values()):
        return []
    requests = [dict(request) for request in command.requests]
    return [e.RequestsPlanned(command.canvass_id, requests, not_asked)]


def _require(state: CanvassState, status: str, message: str) -> None:
    if state.status != status:
        raise NotAllowedNow(message)


def _own(state: CanvassState, investigator_id: str) -> None:
    if state.investigator_id != investigator_id:
        raise CanvassNotFound("")


VISIT_RESULTS = ("no_answer", "no_camera", "camera_present")


def _check_visit(command: c.RecordVisit) -> None:
    errors: dict[str, list[str]] = {}
    try:
        Point(command.latitude, command.longitude)
    except (ValueError, TypeError):
        errors["place"] = ["Give the place as a valid latitude and longitude."]
    if command.result not in VISIT_RESULTS:
        errors["result"] = [f"Choose one of: {', '.join(VISIT_RESULTS)}."]
    days = command.retention_days
    if days is not None and not 1 <= days <= 365:
        errors["retention_days"] = ["From 1 to 365 days."]
    if errors:
        raise InvalidCanvass(errors)
