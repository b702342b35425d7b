"""A supervisor's deny and send back, the investigator's change and resubmission, and the
outcomes marked on closing, as pure rules."""

from __future__ import annotations

import pytest

from canvass import commands as c
from canvass.decider import decide
from canvass.errors import CanvassNotFound, InvalidCanvass, NotAllowedNow
from tests.unit.test_canvass_policy import (
    CANVASS,
    DETECTIVE,
    NOW,
    POLICY,
    SUPERVISOR,
    opening,
    radius_for,
    run,
)

REASON = "The area covers the whole district; draw it along the escape route."


def waiting():
    return run(opening(radius_for(0.8)), c.SubmitCanvass(CANVASS, DETECTIVE))


def test_a_denied_canvass_is_closed_for_good_with_the_reason_recorded():
    state, history = run(
        opening(radius_for(0.8)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.DenyCanvass(CANVASS, SUPERVISOR, "SFPD", f"  {REASON}  "),
    )
    assert state.status == "denied" and state.ended
    assert history[-1].reason == REASON and history[-1].supervisor_id == SUPERVISOR
    for again in (
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.DispatchCanvass(CANVASS, DETECTIVE),
        c.ApproveOverride(CANVASS, SUPERVISOR, "SFPD", REASON),
        c.SendBackCanvass(CANVASS, SUPERVISOR, "SFPD", REASON),
    ):
        with pytest.raises(NotAllowedNow):
            decide(again, state, POLICY, NOW)


def test_a_canvass_sent_back_is_changed_and_submitted_again_within_the_limits():
    state, history = run(
        opening(radius_for(0.8)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.SendBackCanvass(CANVASS, SUPERVISOR, "SFPD", REASON),
    )
    assert state.status == "sent_back"
    with pytest.raises(NotAllowedNow):
        decide(c.DispatchCanvass(CANVASS, DETECTIVE), state, POLICY, NOW)
    smaller = {
        k: v for k, v in vars(opening(radius_for(0.1))).items() if k not in ("canvass_id", "agency")
    } | {"canvass_id": CANVASS}
    [revised] = decide(c.ReviseCanvass(**smaller), state, POLICY, NOW)
    assert type(revised).__name__ == "CanvassRevised" and revised.area_m2 < history[0].area_m2
    state, history = run(
        opening(radius_for(0.8)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.SendBackCanvass(CANVASS, SUPERVISOR, "SFPD", REASON),
        c.ReviseCanvass(**smaller),
        c.SubmitCanvass(CANVASS, DETECTIVE),
    )
    assert state.status == "approved" and history[-1].by == "policy"


def test_a_canvass_sent_back_may_be_submitted_again_unchanged_and_waits_again():
    state, _ = run(
        opening(radius_for(0.8)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.SendBackCanvass(CANVASS, SUPERVISOR, "SFPD", REASON),
        c.SubmitCanvass(CANVASS, DETECTIVE),
    )
    assert state.status == "submitted" and "area" in state.exceedances


@pytest.mark.parametrize(
    ("reason", "words"),
    [
        ("", "10 to 2000 characters"),
        ("   too short   ", "10 to 2000 characters"),
        ("x" * 2001, "10 to 2000 characters"),
        ("Not this area\x00 at all", "control character U+0000"),
        ("Not this area\x1b[2J at all", "control character U+001B"),
    ],
)
@pytest.mark.parametrize("decision", [c.DenyCanvass, c.SendBackCanvass])
def test_a_bad_reason_to_deny_or_send_back_is_refused_saying_what_to_change(
    decision, reason, words
):
    state, _ = waiting()
    with pytest.raises(InvalidCanvass) as refused:
        decide(decision(CANVASS, SUPERVISOR, "SFPD", reason), state, POLICY, NOW)
    assert words in refused.value.errors["reason"][0]


def test_a_supervisor_of_another_agency_cannot_deny_or_send_back():
    state, _ = waiting()
    for decision in (c.DenyCanvass, c.SendBackCanvass):
        with pytest.raises(CanvassNotFound):
            decide(decision(CANVASS, SUPERVISOR, "Oakland PD", REASON), state, POLICY, NOW)


def test_only_a_canvass_waiting_for_approval_can_be_denied():
    state, _ = run(opening(radius_for(0.1)), c.SubmitCanvass(CANVASS, DETECTIVE))
    with pytest.raises(NotAllowedNow):
        decide(c.DenyCanvass(CANVASS, SUPERVISOR, "SFPD", REASON), state, POLICY, NOW)


def test_closing_marks_what_became_of_the_footage_and_refuses_an_unknown_outcome():
    state, _ = run(
        opening(radius_for(0.1)),
        c.SubmitCanvass(CANVASS, DETECTIVE),
        c.DispatchCanvass(CANVASS, DETECTIVE),
    )
    close = c.CloseCanvass(CANVASS, "investigator", DETECTIVE, (("site-1", "used"),))
    marked, closed = decide(close, state, POLICY, NOW)
    assert marked.outcomes == {"site-1": "used"} and closed.reason == "investigator"
    with pytest.raises(InvalidCanvass):
        wrong = c.CloseCanvass(CANVASS, "investigator", DETECTIVE, (("site-1", "burned"),))
        decide(wrong, state, POLICY, NOW)
    with pytest.raises(CanvassNotFound):
        decide(c.CloseCanvass(CANVASS, "investigator", "det-2"), state, POLICY, NOW)
