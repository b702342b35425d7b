"""Policy limits at, just inside and just outside their bounds; what no approval can lift."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from functools import reduce

import pytest

from canvass import commands as c
from canvass import events as e
from canvass.decider import CanvassState, decide, evolve
from canvass.errors import CanvassNotFound, InvalidCanvass, NotAllowedNow
from canvass.policy import SQUARE_METRES_PER_SQUARE_MILE, AgencyPolicy, CanvassScope, check

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
POLICY = AgencyPolicy()
SQ_MI = SQUARE_METRES_PER_SQUARE_MILE


def scope(**changes) -> CanvassScope:
    fields = {
        "case_number": "2026-004512",
        "category": "property_crime",
        "window_start": NOW - timedelta(hours=3),
        "window_end": NOW - timedelta(hours=1),
        "area_m2": 0.1 * SQ_MI,
    }
    return CanvassScope(**(fields | changes))


@pytest.mark.parametrize(
    ("square_miles", "within"),
    [(0.025, True), (0.0251, True), (0.0249, False), (0.5, True), (0.4999, True), (0.5001, False)],
)
def test_the_area_limits(square_miles, within):
    report = check(scope(area_m2=square_miles * SQ_MI), POLICY, NOW)
    assert report.within_limits is within
    assert not report.refusals
    assert ("area" in report.exceedances) is not within


@pytest.mark.parametrize(
    ("length", "within"),
    [
        (timedelta(minutes=15), True),
        (timedelta(minutes=15, seconds=1), True),
        (timedelta(minutes=14, seconds=59), False),
        (timedelta(hours=12), True),
        (timedelta(hours=11, minutes=59), True),
        (timedelta(hours=12, seconds=1), False),
    ],
)
def test_the_time_window_limits(length, within):
    end = NOW - timedelta(minutes=5)
    report = check(scope(window_start=end - length, window_end=end), POLICY, NOW)
    assert report.within_limits is within
    assert ("window" in report.exceedances) is not within


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"category": "lawful_protest_or_assembly"}, "category", "never allowed"),
        ({"category": "immigration_enforcement"}, "category", "never allowed"),
        ({"category": "curiosity"}, "category", "Choose one of"),
        ({"case_number": ""}, "case_number", "required"),
        ({"case_number": "   "}, "case_number", "required"),
        ({"case_number": "abc"}, "case_number", "e.g. 2026-004512"),
        ({"window_end": NOW + timedelta(minutes=1)}, "window_end", "cannot end in the future"),
        ({"window_end": NOW - timedelta(hours=4)}, "window_end", "end after it starts"),
    ],
)
def test_what_no_approval_can_lift_is_refused_field_by_field(changes, field, words):
    report = check(scope(**changes), POLICY, NOW)
    assert words in " ".join(report.refusals[field])


def test_a_window_ending_right_now_is_allowed():
    assert check(
        scope(window_end=NOW, window_start=NOW - timedelta(hours=1)), POLICY, NOW
    ).within_limits


def test_an_agency_can_set_its_own_limits():
    strict = AgencyPolicy(
        max_area_sq_mi=0.1, case_number_pattern=r"SF-\d{6}", case_number_example="SF-123456"
    )
    report = check(scope(area_m2=0.2 * SQ_MI, case_number="2026-004512"), strict, NOW)
    assert "area" in report.exceedances
    assert "SF-123456" in report.refusals["case_number"][0]


# --- the lifecycle ------------------------------------------------------------------------

CANVASS, DETECTIVE, SUPERVISOR = "cv-1", "det-1", "sup-1"


def opening(radius_m: float, **changes) -> c.OpenCanvass:
    fields = {
        "canvass_id": CANVASS,
        "agency": "SFPD",
        "investigator_id": DETECTIVE,
        "case_number": "2026-004512",
        "category": "property_crime",
        "incident_latitude": 37.7749,
        "incident_longitude": -122.4194,
        "window_start": NOW - timedelta(hours=3),
        "window_end": NOW - timedelta(hours=1),
        "area": {"circle": {"radius_m": radius_m}},
        "justification": "Burglary at a corner shop; the suspect fled east on foot.",
        "legal_basis": "owner_consent",
    }
    return c.OpenCanvass(**(fields | changes))


def radius_for(square_miles: float) -> float:
    return math.sqrt(square_miles * SQ_MI / math.pi)


def run(*commands) -> tuple[CanvassState, list[e.CanvassEvent]]:
    state, history = CanvassState(), []
    for command in commands:
        events = decide(command, state, POLICY, NOW)
        history += events
        state = reduce(evolve, events, state)
    return state, history


def test_a_canvass_within_the_limits_is_approved_by_policy_and_can_be_dispatched():
    state, history = run(
        opening(radius_for(0.1)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.DispatchCanvass(CANVASS, DETECTIVE),
    )
    assert state.status == "dispatched"
    assert [type(event).__name__ for event in history] == [
        "CanvassOpened",
        "CanvassSubmitted",
        "CanvassApproved",
        "CanvassDispatched",
    ]
    assert history[2].by == "policy"


def test_a_canvass_beyond_the_limits_waits_for_a_supervisor_whose_reason_is_recorded():
    state, _ = run(opening(radius_for(0.8)), c.SubmitCanvass(CANVASS, DETECTIVE))
    assert state.status == "submitted"
    with pytest.raises(NotAllowedNow):
        decide(c.DispatchCanvass(CANVASS, DETECTIVE), state, POLICY, NOW)
    with pytest.raises(InvalidCanvass) as short:
        decide(c.ApproveOverride(CANVASS, SUPERVISOR, "SFPD", "ok"), state, POLICY, NOW)
    assert "reason" in short.value.errors
    reason = "Armed suspect fled through a wide residential area; time is short."
    override, approved = decide(
        c.ApproveOverride(CANVASS, SUPERVISOR, "SFPD", reason), state, POLICY, NOW
    )
    assert isinstance(override, e.OverrideApproved)
    assert override.reason == reason and override.supervisor_id == SUPERVISOR
    assert "area" in override.exceedances
    assert approved.by == SUPERVISOR


def test_a_supervisor_of_another_agency_cannot_approve():
    state, _ = run(opening(radius_for(0.8)), c.SubmitCanvass(CANVASS, DETECTIVE))
    reason = "An approval from the wrong agency must be refused whatever it says."
    with pytest.raises(CanvassNotFound):
        decide(c.ApproveOverride(CANVASS, SUPERVISOR, "Oakland PD", reason), state, POLICY, NOW)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "immigration_enforcement"}, "category"),
        ({"legal_basis": "hunch"}, "legal_basis"),
        ({"justification": " "}, "justification"),
        ({"incident_latitude": 95.0}, "incident"),
        ({"area": {"square": 3}}, "area"),
        ({"area": {"polygon": [[0, 0]] * 101}}, "area"),
        ({"case_number": ""}, "case_number"),
    ],
)
def test_opening_a_canvass_that_breaks_a_fixed_rule_is_refused_naming_the_field(changes, field):
    with pytest.raises(InvalidCanvass) as refused:
        decide(opening(radius_for(0.1), **changes), CanvassState(), POLICY, NOW)
    assert field in refused.value.errors


def test_only_its_investigator_can_submit_dispatch_or_cancel_a_canvass():
    state, _ = run(opening(radius_for(0.1)))
    for command in (c.SubmitCanvass(CANVASS, "det-2"), c.CancelCanvass(CANVASS, "det-2", "x")):
        with pytest.raises(CanvassNotFound):
            decide(command, state, POLICY, NOW)


def test_expiry_acts_once_and_never_on_a_dispatched_canvass():
    state, _ = run(opening(radius_for(0.8)), c.SubmitCanvass(CANVASS, DETECTIVE))
    [expired] = decide(c.ExpireCanvass(CANVASS), state, POLICY, NOW)
    state = evolve(state, expired)
    assert decide(c.ExpireCanvass(CANVASS), state, POLICY, NOW) == []
    dispatched, _ = run(
        opening(radius_for(0.1)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.DispatchCanvass(CANVASS, DETECTIVE),
    )
    assert decide(c.ExpireCanvass(CANVASS), dispatched, POLICY, NOW) == []


def test_a_polygon_area_is_measured_on_the_ellipsoid():
    side = 0.004  # degrees: roughly 445 m by 350 m in San Francisco
    corners = [
        [37.774, -122.42],
        [37.774, -122.42 + side],
        [37.774 + side, -122.42 + side],
        [37.774 + side, -122.42],
    ]
    state, history = run(opening(0, area={"polygon": corners}))
    assert 0.05 < history[0].area_m2 / SQ_MI < 0.07
    assert state.status == "draft"


def test_a_self_crossing_polygon_is_refused_by_the_rules_themselves_naming_the_crossing():
    side = 0.004
    bow_tie = [
        [37.774, -122.42],
        [37.774 + side, -122.42 + side],
        [37.774, -122.42 + side],
        [37.774 + side, -122.42],
    ]
    with pytest.raises(InvalidCanvass) as refused:
        run(opening(0, area={"polygon": bow_tie}))
    [message] = refused.value.errors["area"]
    assert "cross" in message and "corner 1" in message
