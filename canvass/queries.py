"""Read-side questions about footage requests, asked of the read models (never to decide a
rule: the log's streams do that)."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from accounts.queries import verified_emails
from events_store.outbox import outbox
from events_store.vault import KeyVault
from registry.projection import cameras, opened_camera, opened_site, sites
from registry.queries import camera_labels as registry_camera_labels

from .candidates import Candidate
from .projection import canvasses, footage, requests
from .requests import message_id_for

Owners = dict[str, tuple[str | None, list[Candidate]]]


def request_summary(
    engine: sa.Engine, canvass_id: str, vault: KeyVault | None = None
) -> dict[str, Any]:
    """What investigators may see: counts by answer, the sites that offered footage or have
    none (every site of the owner the request asked about, not only the first), and how many
    requests' emails the mail server has not accepted. Who declined or did not answer is
    never shown per owner. An owner who has since left the registry (erased) is counted as
    such, their answer and files gone with them, so the counts agree with what remains."""
    query = sa.select(
        requests.c.request_id,
        requests.c.site_id,
        requests.c.owner_id,
        requests.c.camera_ids,
        requests.c.status,
        requests.c.answer,
    ).where(requests.c.canvass_id == canvass_id)
    with engine.connect().execution_options(read_only=True) as conn:
        rows = list(conn.execute(query))
        sites_of = _sites_asked_about(conn, rows)
    left = {r.request_id for r in rows if vault is not None and vault.is_forgotten(r.owner_id)}
    kept = [r for r in rows if r.request_id not in left]
    delivery = Counter(undelivered(engine, [message_id_for(r.request_id) for r in kept]).values())
    counts = Counter(row.answer or row.status for row in kept)
    return {
        "requests": len(rows),
        "counts": {
            "offered_footage": counts["share_now"] + counts["will_bring"],
            "no_footage": counts["no_footage"],
            "declined_or_unanswered": counts["decline"] + counts["sent"] + counts["expired"],
            "owner_left": len(left),
        },
        "sites_offering_footage": sorted(
            {s for r in kept if r.answer in ("share_now", "will_bring") for s in sites_of[r]}
        ),
        "sites_without_footage": sorted(
            {s for r in kept if r.answer == "no_footage" for s in sites_of[r]}
        ),
        "delivery": {
            "not_yet_delivered": delivery["waiting"],
            "could_not_be_delivered": delivery["gave_up"],
        },
    }


def _sites_asked_about(conn: sa.Connection, rows: list[Any]) -> dict[Any, list[str]]:
    """Each request's sites: those of the cameras it asked about (an owner's one request
    covers all their sites in the area), and the site it was recorded with."""
    camera_ids = {camera_id for row in rows for camera_id in json.loads(row.camera_ids)}
    site_of: dict[str, str] = {}
    for chunk in _chunks(sorted(camera_ids)):
        query = sa.select(cameras.c.camera_id, cameras.c.site_id).where(
            cameras.c.camera_id.in_(chunk)
        )
        site_of.update({camera_id: site_id for camera_id, site_id in conn.execute(query)})
    return {
        row: sorted(
            {row.site_id} | {site_of[c] for c in json.loads(row.camera_ids) if c in site_of}
        )
        for row in rows
    }


def _chunks(items: list[str], size: int = 500) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def undelivered(engine: sa.Engine, message_ids: list[str]) -> dict[str, str]:
    """Of these emails, those the mail server has not accepted: waiting, or gave_up."""
    query = sa.select(outbox.c.message_id, outbox.c.gave_up_at.is_not(None)).where(
        outbox.c.message_id.in_(message_ids), outbox.c.sent_at.is_(None)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        return {mid: "gave_up" if up else "waiting" for mid, up in conn.execute(query)}


def owners_of(engine: sa.Engine, vault: KeyVault, ranked: list[Candidate]) -> Owners:
    """The owners of the candidates' sites: each one's verified email (None without one)
    and their candidate cameras."""
    by_site: dict[str, list[Candidate]] = defaultdict(list)
    for candidate in ranked:
        by_site[candidate.site_id].append(candidate)
    query = sa.select(sites.c.site_id, sites.c.owner_id).where(sites.c.site_id.in_(list(by_site)))
    with engine.connect().execution_options(read_only=True) as conn:
        found = list(conn.execute(query))
    emails = verified_emails(engine, vault, {owner_id for _, owner_id in found})
    owners: Owners = {}
    for site_id, owner_id in found:
        known = owners.get(owner_id, (emails.get(owner_id), []))
        owners[owner_id] = (known[0], known[1] + by_site[site_id])
    return owners


def requests_this_week(engine: sa.Engine, owner_id: str, now: datetime) -> int:
    """How many requests the owner was sent in the seven days before `now`."""
    query = sa.select(sa.func.count()).where(
        requests.c.owner_id == owner_id, requests.c.sent_at > now - timedelta(days=7)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        return int(conn.execute(query).scalar_one())


def verified_email(engine: sa.Engine, vault: KeyVault, user_id: str) -> str | None:
    """Where the service may write to a person: a verified address, or None."""
    return verified_emails(engine, vault, [user_id]).get(user_id)


def camera_labels(engine: sa.Engine, vault: KeyVault, camera_ids: list[str]) -> list[str]:
    """The owners' names for these cameras, in the same order (removed ones left out)."""
    with engine.connect().execution_options(read_only=True) as conn:
        found = registry_camera_labels(conn, vault, camera_ids)
    return [found[camera_id] for camera_id in camera_ids if camera_id in found]


def requests_with_canvass() -> sa.Select[Any]:
    """Requests, each with what the owner is told of its canvass: agency, case, kind of
    incident, window and state."""
    return sa.select(
        requests,
        canvasses.c.agency,
        canvasses.c.case_number,
        canvasses.c.category,
        canvasses.c.window_start,
        canvasses.c.window_end,
        canvasses.c.status.label("canvass_status"),
    ).select_from(requests.join(canvasses, canvasses.c.canvass_id == requests.c.canvass_id))


def request_context(engine: sa.Engine, vault: KeyVault, request_id: str) -> dict[str, Any] | None:
    """What the owner's answer page tells them: who asks (agency, case), about what and
    when, which of their cameras (with each one's site), the canvass's state, their answer
    and the files they sent. None for a request the read model does not hold."""
    query = (
        requests_with_canvass()
        .add_columns(canvasses.c.updated_at.label("canvass_updated_at"))
        .where(requests.c.request_id == request_id)
    )
    sent = (
        sa.select(footage).where(footage.c.request_id == request_id).order_by(footage.c.received_at)
    )
    with engine.connect().execution_options(read_only=True) as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        found = dict(row._mapping)
        found["cameras"] = cameras_with_sites(conn, vault, json.loads(found["camera_ids"]))
        found["files"] = [dict(file._mapping) for file in conn.execute(sent)]
    return found


def cameras_with_sites(
    conn: sa.Connection, vault: KeyVault, camera_ids: list[str]
) -> list[dict[str, Any]]:
    """The owner's names for these cameras and their sites, in the request's order."""
    query = (
        sa.select(cameras, sites.c.private.label("site_private"), sites.c.owner_id)
        .select_from(cameras.join(sites, sites.c.site_id == cameras.c.site_id))
        .where(cameras.c.camera_id.in_(camera_ids))
    )
    found = {}
    for row in conn.execute(query):
        data = dict(row._mapping)
        camera = opened_camera(vault, data)
        site = opened_site(vault, {"site_id": data["site_id"], "private": data["site_private"]})
        if camera["label"] is not None:
            found[row.camera_id] = {"label": camera["label"], "site": site.get("label")}
    return [found[camera_id] for camera_id in camera_ids if camera_id in found]
