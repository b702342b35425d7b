"""Where a canvass's and a request's histories live in the log, and how each is folded."""

from __future__ import annotations

from events_store import EventStore
from events_store.handling import StreamModel

from . import events as e
from .decider import CanvassState
from .decider import evolve as evolve_canvass
from .requests import RequestState
from .requests import evolve as evolve_request

CANVASS = StreamModel(e.EVENT_TYPES, CanvassState(), evolve_canvass)
REQUEST = StreamModel(e.REQUEST_EVENT_TYPES, RequestState(), evolve_request)


def canvass_stream(canvass_id: str) -> str:
    """The stream that holds one canvass's history."""
    return f"canvass-{canvass_id}"


def request_stream(request_id: str) -> str:
    """The stream that holds one request's history."""
    return f"request-{request_id}"


def listing_stream(canvass_id: str) -> str:
    """The stream that records every listing of a canvass's candidates."""
    return f"candidates-listed-{canvass_id}"


def canvass_has_ended(store: EventStore, canvass_id: str | None) -> bool:
    """Whether the canvass is closed, cancelled or expired, read from its stream (not a read
    model), so that a canvass called off a moment ago counts at once."""
    if canvass_id is None:
        return False
    return CANVASS.fold(store.read_stream(canvass_stream(canvass_id))).ended
