"""Read-side questions about footage requests, asked of the read models (never to decide a
rule: the log's streams do that)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from accounts.projection import users
from events_store.outbox import outbox
from registry.projection import cameras, sites

from .candidates import Candidate
from .projection import requests
from .requests import message_id_for

Owners = dict[str, tuple[str | None, list[Candidate]]]


def request_summary(engine: sa.Engine, canvass_id: str) -> dict[str, Any]:
    """What investigators may see: counts by answer, the sites that offered footage or have
    none, and how many requests' emails the mail server has not accepted. Who declined or
    did not answer is never shown per owner."""
    query = sa.select(
        requests.c.request_id, requests.c.site_id, requests.c.status, requests.c.answer
    ).where(requests.c.canvass_id == canvass_id)
    with engine.connect().execution_options(read_only=True) as conn:
        rows = list(conn.execute(query))
    delivery = Counter(undelivered(engine, [message_id_for(r.request_id) for r in rows]).values())
    counts = Counter(row.answer or row.status for row in rows)
    return {
        "requests": len(rows),
        "counts": {
            "offered_footage": counts["share_now"] + counts["will_bring"],
            "no_footage": counts["no_footage"],
            "declined_or_unanswered": counts["decline"] + counts["sent"] + counts["expired"],
        },
        "sites_offering_footage": sorted(
            r.site_id for r in rows if r.answer in ("share_now", "will_bring")
        ),
        "sites_without_footage": sorted(r.site_id for r in rows if r.answer == "no_footage"),
        "delivery": {
            "not_yet_delivered": delivery["waiting"],
            "could_not_be_delivered": delivery["gave_up"],
        },
    }


def undelivered(engine: sa.Engine, message_ids: list[str]) -> dict[str, str]:
    """Of these emails, those the mail server has not accepted: waiting, or gave_up."""
    query = sa.select(outbox.c.message_id, outbox.c.gave_up_at.is_not(None)).where(
        outbox.c.message_id.in_(message_ids), outbox.c.sent_at.is_(None)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        return {mid: "gave_up" if up else "waiting" for mid, up in conn.execute(query)}


def owners_of(engine: sa.Engine, ranked: list[Candidate]) -> Owners:
    """The owners of the candidates' sites: each one's verified email (None without one)
    and their candidate cameras."""
    by_site: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in ranked:
        by_site[candidate.site_id].append(candidate)
    query = (
        sa.select(sites.c.site_id, sites.c.owner_id, users.c.email, users.c.verified)
        .select_from(sites.outerjoin(users, users.c.user_id == sites.c.owner_id))
        .where(sites.c.site_id.in_(list(by_site)))
    )
    owners: Owners = {}
    with engine.connect().execution_options(read_only=True) as conn:
        for site_id, owner_id, email, verified in conn.execute(query):
            address = email if verified else None
            known = owners.get(owner_id, (address, []))
            owners[owner_id] = (known[0], known[1] + by_site[site_id])
    return owners


def requests_this_week(engine: sa.Engine, owner_id: str, now: datetime) -> int:
    """How many requests the owner was sent in the seven days before `now`."""
    query = sa.select(sa.func.count()).where(
        requests.c.owner_id == owner_id, requests.c.sent_at > now - timedelta(days=7)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        return int(conn.execute(query).scalar_one())


def verified_email(engine: sa.Engine, user_id: str) -> str | None:
    """Where the service may write to a person: a verified address, or None."""
    query = sa.select(users.c.email).where(users.c.user_id == user_id, users.c.verified)
    with engine.connect().execution_options(read_only=True) as conn:
        email = conn.execute(query).scalar()
    return str(email) if email else None


def camera_labels(engine: sa.Engine, camera_ids: list[str]) -> list[str]:
    """The owners' names for these cameras, in the same order (removed ones left out)."""
    query = sa.select(cameras.c.camera_id, cameras.c.label).where(
        cameras.c.camera_id.in_(camera_ids)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        found = {camera_id: label for camera_id, label in conn.execute(query)}
    return [found[camera_id] for camera_id in camera_ids if camera_id in found]
