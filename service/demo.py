"""`flask demo load`: San Francisco as a ready demo city, through the service's own commands.

It registers the city's OpenStreetMap cameras as sites of demo owners (each with an account
at a reserved domain, so that requests for footage reach them in the outbox), opens the
demo staff's accounts of the San Francisco Police Department, and three canvasses on real
December 2018 incidents. Running it again adds nothing.

The incidents are replayed in whole weeks (same weekday, same time of day), to the latest
week before today: a canvass of 2018 would find every camera's footage long overwritten and
ask nobody, and the policy's limits (a window that has ended, of 15 minutes to 12 hours
unless a supervisor approves) hold for the replayed windows as they did for the real ones.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from accounts.handlers import User
from accounts.passwords import hash_password
from canvass.projection import requests
from events_store.handling import handle
from registry import commands as rc
from registry.decider import decide as decide_site
from registry.handlers import SITE, site_stream
from registry.importing import SiteChoices, import_sites

from .demo_accounts import DemoAccount, account_id_for, open_accounts
from .demo_city import (
    DemoCamera,
    Incident,
    city_cameras,
    nearest_first,
    read_incidents,
    replayed,
    weeks_to_replay,
)
from .wiring import Services

AGENCY = "SFPD"


STAFF = (
    DemoAccount(
        "investigator", AGENCY, "detective@sfpd.example.org", "Dana Reyes (demo detective)"
    ),
    DemoAccount(
        "supervisor", AGENCY, "supervisor@sfpd.example.org", "Lee Okafor (demo supervisor)"
    ),
    DemoAccount("auditor", AGENCY, "auditor@sfpd.example.org", "Sam Whitfield (demo auditor)"),
)


@dataclass(frozen=True)
class DemoCanvass:
    """A demo canvass on a real incident: its area, its window around the reported time,
    and what the demo does with it."""

    incident_number: str
    category: str
    area: Callable[[Incident], dict[str, Any]]
    before: timedelta
    after: timedelta
    legal_basis: str
    dispatch: bool
    why: str


def _circle(radius_m: float) -> Callable[[Incident], dict[str, Any]]:
    return lambda _incident: {"circle": {"radius_m": radius_m}}


def _rectangle(north_m: float, east_m: float) -> Callable[[Incident], dict[str, Any]]:
    def corners(incident: Incident) -> dict[str, Any]:
        dlat = north_m / 111_320
        dlon = east_m / (111_320 * 0.79)  # cos(37.8°): San Francisco's latitude
        lat, lon = incident.latitude, incident.longitude
        return {
            "polygon": [
                [round(lat + dlat, 6), round(lon - dlon, 6)],
                [round(lat + dlat, 6), round(lon + dlon, 6)],
                [round(lat - dlat, 6), round(lon + dlon, 6)],
                [round(lat - dlat, 6), round(lon - dlon, 6)],
            ]
        }

    return corners


CANVASSES = (
    # Within the limits, and sent: owners near Gough St and Fell St are asked for footage.
    DemoCanvass(
        "180915634",
        "violent_crime",
        _circle(200),
        timedelta(minutes=30),
        timedelta(minutes=30),
        "owner_consent",
        True,
        "Cameras facing Gough St and Fell St may show the people involved and where they went.",
    ),
    # Within the limits, drawn corner by corner, approved at once and not sent yet.
    DemoCanvass(
        "180956309",
        "property_crime",
        _rectangle(150, 180),
        timedelta(minutes=45),
        timedelta(minutes=15),
        "owner_consent",
        False,
        "Cameras around South Park may show someone entering or leaving the building.",
    ),
    # A window of 18 hours, beyond the 12 the policy allows: it waits for the supervisor.
    DemoCanvass(
        "180961875",
        "missing_person",
        _circle(250),
        timedelta(hours=12),
        timedelta(hours=6),
        "exigent_circumstances",
        False,
        "The person was last seen near Gough St and Page St; any camera of the morning and "
        "the afternoon may show which way they went.",
    ),
)


@dataclass
class DemoReport:
    """What a load did, and what the person trying the demo needs to know."""

    sites_added: int = 0
    sites_present: int = 0
    owners_added: int = 0
    staff: list[tuple[DemoAccount, str]] = field(default_factory=list)
    owner_password: str = ""
    canvasses: list[str] = field(default_factory=list)
    asked_owner: str | None = None
    rejected: list[str] = field(default_factory=list)


def demo_password(secret_key: str, who: str) -> str:
    """A demo password of this installation: derived from its secret key, so that each
    load prints the same one and another installation's demo does not share it."""
    digest = hmac.new(secret_key.encode(), f"demo-password:{who}".encode(), hashlib.sha256)
    letters = digest.hexdigest()[:16]
    return "-".join(letters[i : i + 4] for i in range(0, 16, 4))


@dataclass(frozen=True)
class DemoCity:
    """What a load registers: the cameras inside the city, and the demo's incidents."""

    cameras: list[DemoCamera]
    incidents: dict[str, Incident]


def read_city(data: Path, limit: int | None = None) -> DemoCity:
    """The demo city from the files in `data`: every camera inside the city, or the `limit`
    nearest to the demo's incidents."""
    incidents = read_incidents(data, {c.incident_number for c in CANVASSES})
    cameras = city_cameras(data)
    if limit is not None:
        places = [(i.latitude, i.longitude) for i in incidents.values()]
        cameras = nearest_first(cameras, places)[:limit]
    return DemoCity(cameras, incidents)


def load(
    services: Services,
    city: DemoCity,
    secret_key: str,
    progress: Callable[[int], None] | None = None,
) -> DemoReport:
    """Register the city's cameras and their owners, open the staff's accounts and the
    canvasses, and deliver the requests' emails; nothing that exists already is added."""
    report = DemoReport(owner_password=demo_password(secret_key, "owner"))
    _load_owners(services, city.cameras, report)
    _load_sites(services, city.cameras, report, progress)
    for member in STAFF:
        password = demo_password(secret_key, member.role)
        open_accounts(services, [member], partial(hash_password, password))
        report.staff.append((member, password))
    services.projections.catch_up(["accounts"])
    _load_canvasses(services, city.incidents, report)
    services.outbox.send_pending(limit=10_000)
    return report


def describe(report: DemoReport, public_url: str) -> list[str]:
    """What the person trying the demo reads after a load."""
    lines = [
        f"San Francisco demo: added {report.sites_added:,} camera sites "
        f"({report.sites_present:,} were there already) and {report.owners_added:,} demo "
        f"owners' accounts.",
        *(f"  not loaded: {reason}" for reason in report.rejected),
        "",
        f"Demo staff of {AGENCY} (sign in at {public_url}/login):",
        *(
            f"  {member.role:<12}  {member.email:<28}  password {password}"
            for member, password in report.staff
        ),
        f"Every demo owner signs in with the password {report.owner_password}.",
    ]
    if report.asked_owner:
        lines.append(f"  For example {report.asked_owner}, who was asked for footage.")
    lines += ["", "Demo canvasses:", *(f"  {line}" for line in report.canvasses), ""]
    lines.append(
        "These accounts and passwords are for the demo only: anyone who reads this can sign "
        "in with them. Do not load the demo into a service that real people use."
    )
    return lines


def _load_owners(services: Services, cameras: list[DemoCamera], report: DemoReport) -> None:
    hashed: list[str] = []  # hashed once, when the first new owner needs it

    def password_hash() -> str:
        if not hashed:
            hashed.append(hash_password(report.owner_password))
        return hashed[0]

    owners = [
        DemoAccount("owner", None, camera.owner_email, f"Owner of camera {camera.node_id} (demo)")
        for camera in cameras
    ]
    report.owners_added = open_accounts(services, owners, password_hash)


def _load_sites(
    services: Services,
    cameras: list[DemoCamera],
    report: DemoReport,
    progress: Callable[[int], None] | None,
) -> None:
    by_ref = {camera.site.source_ref: camera for camera in cameras}

    def choices(site: Any) -> SiteChoices:
        camera = by_ref[site.source_ref]
        return SiteChoices(
            camera.camera,
            owner_id=account_id_for(services, camera.owner_email),
            contact_for_requests=camera.contact_for_requests,
            categories=camera.categories,
            share_exact_location=camera.share_exact_location,
        )

    rows = [camera.site for camera in cameras]
    done = import_sites(services.registry, rows, choices, progress, _registrar(services))
    services.projections.catch_up(["registry"])
    report.sites_added, report.sites_present = done.added, done.already_present
    report.rejected = [f"line {r.line}: {r.reason}" for r in done.rejected]


def _registrar(services: Services) -> Callable[[rc.RegisterSite, Mapping[str, Any]], object]:
    """Register a site the way `RegistryService.execute` does, without waiting for the read
    model after each one (the load brings it up to date once, at the end). Each demo owner
    has one site, so the limit of sites per owner is checked against none."""

    def register(command: rc.RegisterSite, metadata: Mapping[str, Any]) -> object:
        return handle(
            services.store,
            services.vault,
            site_stream(command.site_id),
            SITE,
            lambda state: decide_site(command, state, services.registry.policy, 0),
            lambda state: state.owner_id or command.owner_id,
            metadata,
        )

    return register


def _load_canvasses(services: Services, incidents: dict[str, Incident], report: DemoReport) -> None:
    detective = _user(services, STAFF[0].email)
    supervisor = _user(services, STAFF[1].email)
    opened = {row["case_number"]: row for row in services.canvass.list_for(supervisor)}
    chosen = [c for c in CANVASSES if c.incident_number in incidents]
    if not chosen:
        return
    now = services.canvass.clock()
    latest = max(incidents[c.incident_number].occurred_at + c.after for c in chosen)
    weeks = weeks_to_replay(latest, now)
    for canvass in chosen:
        incident = incidents[canvass.incident_number]
        if incident.number in opened:
            report.canvasses.append(_described(opened[incident.number]))
            continue
        details = _details(canvass, incident, weeks)
        canvass_id = services.canvass.open(detective, details)
        services.canvass.submit(detective, canvass_id)
        if canvass.dispatch:
            services.canvass.dispatch(detective, canvass_id)
        report.canvasses.append(_described(services.canvass.view(supervisor, canvass_id)))
    report.asked_owner = _an_asked_owner(services)


def _details(canvass: DemoCanvass, incident: Incident, weeks: int) -> dict[str, Any]:
    at = replayed(incident.occurred_at, weeks)
    reported = f"{incident.occurred_at:%A %-d %B %Y at %-I:%M %p}"
    return {
        "case_number": incident.number,
        "category": canvass.category,
        "incident_latitude": incident.latitude,
        "incident_longitude": incident.longitude,
        "window_start": at - canvass.before,
        "window_end": at + canvass.after,
        "area": canvass.area(incident),
        "justification": (
            f"{incident.description} at {incident.place} ({incident.neighbourhood}), SFPD "
            f"incident {incident.number} of {reported}, replayed {weeks} weeks later for "
            f"the demonstration. {canvass.why}"
        ),
        "legal_basis": canvass.legal_basis,
    }


STATUS_WORDS = {
    "submitted": "waits for a supervisor's approval",
    "approved": "approved, not sent yet",
    "dispatched": "sent to the owners of its cameras",
}


def _described(row: dict[str, Any]) -> str:
    status = STATUS_WORDS.get(row["status"], row["status"].replace("_", " "))
    return f"case {row['case_number']} ({row['category'].replace('_', ' ')}): {status}"


def _user(services: Services, email: str) -> User:
    found = services.accounts.user(account_id_for(services, email))
    if found is None:
        raise RuntimeError(f"the demo account {email} could not be opened")
    return found


def _an_asked_owner(services: Services) -> str | None:
    """The address of one owner a demo canvass asked, for the demo's instructions."""
    query = sa.select(requests.c.owner_id).order_by(requests.c.request_id).limit(1)
    with services.engine.connect() as conn:
        owner_id = conn.execute(query).scalar()
    account = services.accounts.user(owner_id) if owner_id else None
    return account.email if account is not None else None
