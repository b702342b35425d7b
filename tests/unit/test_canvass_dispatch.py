"""The dispatch and lifecycle rules, pure: a dispatch records its plan, finishing it is
recorded once, and nothing more is taken from owners once the canvass has ended."""

from __future__ import annotations

from datetime import timedelta
from functools import reduce

import pytest

from canvass import commands as c
from canvass import events as e
from canvass.decider import CanvassState, decide, evolve
from canvass.errors import NotAllowedNow
from canvass.requests import (
    RequestState,
    answer,
    check_may_receive,
    message_id_for,
    request_id_for,
)
from canvass.requests import evolve as evolve_request
from tests.unit.test_canvass_policy import CANVASS, DETECTIVE, NOW, POLICY, opening, radius_for

PLANNED = tuple(
    {
        "request_id": request_id_for(CANVASS, owner),
        "owner_id": owner,
        "site_id": f"site-{owner}",
        "camera_ids": [f"cam-{owner}"],
    }
    for owner in ("owner-1", "owner-2")
)
ENDED = "This canvass has ended; nothing more is needed from you."


def approved() -> CanvassState:
    state = CanvassState()
    for command in (opening(radius_for(0.1)), c.SubmitCanvass(CANVASS, DETECTIVE)):
        state = reduce(evolve, decide(command, state, POLICY, NOW), state)
    return state


def dispatched(**plan) -> tuple[CanvassState, list[e.CanvassEvent]]:
    command = c.DispatchCanvass(CANVASS, DETECTIVE, **plan)
    events = decide(command, approved(), POLICY, NOW)
    return reduce(evolve, events, approved()), events


def test_a_dispatch_records_what_it_is_to_send_with_it():
    state, events = dispatched(requests=PLANNED, not_asked=(("weekly_cap_reached", 1),))

    assert [type(event).__name__ for event in events] == ["CanvassDispatched", "RequestsPlanned"]
    assert events[1].requests == list(PLANNED)
    assert state.status == "dispatched" and not state.dispatch_finished
    assert state.dispatch_outcome == {"requested": 2, "weekly_cap_reached": 1}


def test_finishing_a_dispatch_is_recorded_once_and_never_after_it_was_called_off():
    state, _ = dispatched(requests=PLANNED)
    [finished] = decide(c.FinishDispatch(CANVASS), state, POLICY, NOW)
    assert isinstance(finished, e.DispatchFinished)
    assert decide(c.FinishDispatch(CANVASS), evolve(state, finished), POLICY, NOW) == []

    cancel = decide(c.CancelCanvass(CANVASS, DETECTIVE, "Solved."), state, POLICY, NOW)
    assert decide(c.FinishDispatch(CANVASS), reduce(evolve, cancel, state), POLICY, NOW) == []


def test_a_dispatch_with_nobody_to_ask_is_finished_as_it_is_recorded():
    state, events = dispatched()
    assert [type(event).__name__ for event in events] == ["CanvassDispatched"]
    assert state.dispatch_finished and state.dispatch_outcome == {}


def test_a_canvass_can_be_dispatched_only_once():
    state, _ = dispatched(requests=PLANNED)
    with pytest.raises(NotAllowedNow):
        decide(c.DispatchCanvass(CANVASS, DETECTIVE, PLANNED), state, POLICY, NOW)


def test_each_request_and_its_email_have_one_id_however_often_they_are_made():
    first = request_id_for(CANVASS, "owner-1")
    assert first == request_id_for(CANVASS, "owner-1") != request_id_for(CANVASS, "owner-2")
    assert message_id_for(first) == message_id_for(first) not in (first, message_id_for("x"))


def sent_request() -> RequestState:
    requested = e.FootageRequested(
        "r-1",
        CANVASS,
        "site-1",
        "owner-1",
        ["cam-1"],
        (NOW - timedelta(hours=2)).isoformat(),
        (NOW - timedelta(hours=1)).isoformat(),
        NOW.isoformat(),
        (NOW + timedelta(days=10)).isoformat(),
    )
    return evolve_request(RequestState(), requested)


@pytest.mark.parametrize("given", ["share_now", "will_bring", "no_footage", "decline"])
def test_no_answer_is_taken_once_the_canvass_has_ended(given):
    with pytest.raises(NotAllowedNow, match=ENDED):
        answer(sent_request(), "r-1", given, None, NOW, canvass_ended=True)
    assert answer(sent_request(), "r-1", given, None, NOW, canvass_ended=False)


@pytest.mark.parametrize(
    ("answered", "later", "ended", "refusal"),
    [
        (None, timedelta(0), True, ENDED),
        ("share_now", timedelta(0), True, ENDED),
        ("share_now", timedelta(days=11), False, "This request has expired"),
        ("will_bring", timedelta(days=11), False, "This request has expired"),
        ("decline", timedelta(0), False, "would not share"),
    ],
)
def test_no_footage_is_taken_once_the_canvass_has_ended_or_the_request_expired(
    answered, later, ended, refusal
):
    state = sent_request()
    if answered:
        state = evolve_request(state, e.RequestAnswered("r-1", answered, None))
    with pytest.raises(NotAllowedNow, match=refusal):
        check_may_receive(state, NOW + later, canvass_ended=ended)


def test_footage_is_taken_while_the_canvass_runs_and_the_request_is_open():
    check_may_receive(sent_request(), NOW + timedelta(days=9), canvass_ended=False)
