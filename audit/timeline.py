"""Timelines for auditors: one canvass, or one owner, as the log tells it (nothing personal:
sealed fields stay sealed, people appear by their account ids)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from canvass.dispatching import request_stream
from canvass.errors import CanvassNotFound
from canvass.handlers import canvass_stream
from canvass.projection import canvasses, requests
from events_store import RecordedEvent
from events_store.sealing import PRIVATE
from registry.handlers import site_stream
from registry.projection import sites

from .access import ALL_AGENCIES


def canvass_timeline(services: Any, canvass_id: str, visible_agency: str) -> list[dict[str, Any]]:
    """The canvass's own events and its requests' events, in log order."""
    with services.engine.connect().execution_options(read_only=True) as conn:
        agency = conn.execute(
            sa.select(canvasses.c.agency).where(canvasses.c.canvass_id == canvass_id)
        ).scalar()
        request_ids = list(
            conn.execute(
                sa.select(requests.c.request_id).where(requests.c.canvass_id == canvass_id)
            ).scalars()
        )
    if agency is None or visible_agency not in (agency, ALL_AGENCIES):
        raise CanvassNotFound(canvass_id)
    store = services.store
    events = list(store.read_stream(canvass_stream(canvass_id)))
    for request_id in request_ids:
        events += store.read_stream(request_stream(request_id))
    return [entry(event) for event in sorted(events, key=lambda event: event.position)]


def owner_timeline(services: Any, subject_id: str, visible_agency: str) -> list[dict[str, Any]]:
    """What happened to one owner's data, in log order: the requests sent to them by
    canvasses the auditor may see and what became of them; for a system auditor also the
    account's and the sites' own events. Sealed fields stay sealed."""
    query = (
        sa.select(requests.c.request_id, requests.c.site_id, canvasses.c.agency)
        .select_from(requests.join(canvasses, canvasses.c.canvass_id == requests.c.canvass_id))
        .where(requests.c.owner_id == subject_id)
    )
    with services.engine.connect().execution_options(read_only=True) as conn:
        asked = list(conn.execute(query))
        site_ids = set(
            conn.execute(sa.select(sites.c.site_id).where(sites.c.owner_id == subject_id))
            .scalars()
            .all()
        )
    everything = visible_agency == ALL_AGENCIES
    streams = [
        request_stream(r.request_id) for r in asked if everything or r.agency == visible_agency
    ]
    if everything:
        site_ids |= {r.site_id for r in asked}
        streams += [f"user-{subject_id}", *(site_stream(site_id) for site_id in sorted(site_ids))]
    events = [event for stream in streams for event in services.store.read_stream(stream)]
    return [entry(event) for event in sorted(events, key=lambda event: event.position)]


def entry(event: RecordedEvent) -> dict[str, Any]:
    """One event as a timeline shows it: what, when, who, and its public fields."""
    return {
        "position": event.position,
        "recorded_at": event.recorded_at.isoformat(),
        "type": event.type,
        "actor": event.metadata.get("actor"),
        "role": event.metadata.get("role"),
        "details": {k: v for k, v in event.data.items() if k != PRIVATE},
        "leaf_hash": event.leaf_hash.hex(),
    }
