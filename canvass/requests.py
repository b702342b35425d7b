"""Footage requests: one per candidate site when a canvass is dispatched, answered by the
owner through an emailed link that works without logging in.

An owner gets at most one request per canvass (one per site is merged into one per owner)
and at most a set number per week across canvasses. A request's id is derived from its
canvass and owner, and its email's id from the request's, so dispatching again, or
finishing a dispatch cut short, sends nothing twice. Once the canvass has ended (closed,
cancelled or expired) nothing more is taken from the owner.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from . import events as e
from .errors import CanvassNotFound, NotAllowedNow

ANSWERS = ("share_now", "will_bring", "no_footage", "decline")
NAMESPACE = uuid.UUID("0b8f8f5e-3f55-4d8e-9c6b-6a2f7d0a4c21")
EMAIL_NAMESPACE = uuid.UUID("5d0c2a54-8f1e-4b7a-a3c9-0e6f1b2d4c87")
DEFAULT_LIFETIME = timedelta(days=10)
MAX_NOTE = 1000
MAX_FILES = 10


REMINDERS = (timedelta(hours=24), timedelta(hours=72))
CANVASS_ENDED = "This canvass has ended; nothing more is needed from you."
EXPIRED = "This request has expired; nothing more is needed from you."


@dataclass(frozen=True)
class RequestState:
    """What the rules need to know of a request."""

    status: str = "none"  # none, sent, answered, expired
    canvass_id: str | None = None
    owner_id: str | None = None
    expires_at: datetime | None = None
    sent_at: datetime | None = None
    reminders: int = 0
    answer: str | None = None
    files: int = 0


def request_id_for(canvass_id: str, owner_id: str) -> str:
    """The one request an owner can get for a canvass."""
    return str(uuid.uuid5(NAMESPACE, f"{canvass_id}|{owner_id}"))


def message_id_for(request_id: str) -> str:
    """The one email that carries a request, however often its sending is retried."""
    return str(uuid.uuid5(EMAIL_NAMESPACE, request_id))


def answer(
    state: RequestState,
    request_id: str,
    given: str,
    note: str | None,
    now: datetime,
    canvass_ended: bool = False,
) -> list[e.RequestEvent]:
    """The owner's answer, once, while the canvass runs and before the request expires."""
    if state.status == "none":
        raise CanvassNotFound(request_id)
    if canvass_ended:
        raise NotAllowedNow(CANVASS_ENDED)
    if state.status == "answered":
        raise NotAllowedNow("You have answered this request already. Thank you.")
    if state.status == "expired" or (state.expires_at is not None and now >= state.expires_at):
        raise NotAllowedNow(EXPIRED)
    if given not in ANSWERS:
        raise ValueError(f"answer must be one of {ANSWERS}")
    cleaned = (note or "").strip()[:MAX_NOTE] or None
    return [e.RequestAnswered(request_id, given, cleaned)]


def expire(state: RequestState, request_id: str, now: datetime) -> list[e.RequestEvent]:
    """Expire an unanswered request once its time is up; again, nothing happens."""
    if state.status != "sent" or state.expires_at is None or now < state.expires_at:
        return []
    return [e.RequestExpired(request_id)]


def remind(state: RequestState, request_id: str, now: datetime) -> list[e.RequestEvent]:
    """The reminder that is due for an unanswered request, if any; each is sent once."""
    if state.status != "sent" or state.sent_at is None:
        return []
    if state.expires_at is not None and now >= state.expires_at:
        return []
    due = sum(1 for after in REMINDERS if now >= state.sent_at + after)
    if due <= state.reminders:
        return []
    return [e.OwnerReminded(request_id, due)]  # a late run sends the latest one only


def check_may_receive(state: RequestState, now: datetime, canvass_ended: bool = False) -> None:
    """Refuse footage once the canvass has ended or the request has expired, and for a
    request whose owner said they will not share."""
    if state.status == "none" or state.canvass_id is None:
        raise CanvassNotFound("")
    if canvass_ended:
        raise NotAllowedNow(CANVASS_ENDED)
    expired = state.expires_at is not None and now >= state.expires_at
    if state.status == "expired" or expired:
        raise NotAllowedNow(EXPIRED)
    if state.status == "answered" and state.answer not in ("share_now", "will_bring"):
        raise NotAllowedNow("You answered that you would not share footage for this request.")
    if state.files >= MAX_FILES:
        raise NotAllowedNow(f"A request takes at most {MAX_FILES} files.")


def receive(
    state: RequestState,
    request_id: str,
    canvass_id: str,
    received: dict[str, Any],
    now: datetime,
    canvass_ended: bool = False,
) -> list[e.RequestEvent]:
    """Footage from the owner; an unanswered request counts as answered 'share now'."""
    check_may_receive(state, now, canvass_ended)
    events: list[e.RequestEvent] = []
    if state.status == "sent":
        events.append(e.RequestAnswered(request_id, "share_now", None))
    events.append(e.FootageReceived(request_id, canvass_id, **received))
    return events


def evolve(state: RequestState, event: e.RequestEvent) -> RequestState:
    """The request after an event."""
    if isinstance(event, e.FootageRequested):
        return RequestState(
            "sent",
            event.canvass_id,
            event.owner_id,
            datetime.fromisoformat(event.expires_at),
            datetime.fromisoformat(event.sent_at),
        )
    if isinstance(event, e.OwnerReminded):
        return replace(state, reminders=event.number)
    if isinstance(event, e.RequestAnswered):
        return replace(state, status="answered", answer=event.answer)
    if isinstance(event, e.FootageReceived):
        return replace(state, files=state.files + 1)
    if isinstance(event, e.RequestExpired):
        return replace(state, status="expired")
    return state
