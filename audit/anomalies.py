"""Anomaly flags for auditors: patterns in the access log and the canvasses worth a second
look, each with the rule that raised it. A flag is a question, not a finding."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from canvass.projection import canvasses, requests
from registry.geodesy import Point, distance_m

from .access import ALL_AGENCIES, access

FINISHED = ("closed", "cancelled", "expired")
NIGHT_STARTS, NIGHT_ENDS = 20, 7  # 20:00 to 07:00, in the service's time zone
BULK_PER_HOUR = 10
TARGETED_CANVASSES, TARGETED_WINDOW = 3, timedelta(days=30)
PROBING_CANVASSES, PROBING_WINDOW = 5, timedelta(days=7)

RULES = {
    "override": "A supervisor let a canvass exceed the agency's limits.",
    "not_on_case": "Footage was taken by someone who is not the canvass's investigator.",
    "outside_active_canvass": "Footage was taken after its canvass had ended.",
    "after_hours_bulk": (
        f"{BULK_PER_HOUR} or more releases by one person within an hour, at night "
        f"({NIGHT_STARTS}:00 to {NIGHT_ENDS:02d}:00)."
    ),
    "owner_targeted": (
        f"One owner was asked by {TARGETED_CANVASSES} or more canvasses within "
        f"{TARGETED_WINDOW.days} days."
    ),
    "repeated_probing": (
        f"One investigator opened {PROBING_CANVASSES} or more canvasses whose areas overlap "
        f"around the same place within {PROBING_WINDOW.days} days (drafts and cancelled ones "
        "included): the candidates they list, taken together, could be used to narrow down "
        "where a camera is."
    ),
}


@dataclass(frozen=True)
class Flag:
    rule: str
    explanation: str
    at: datetime
    agency: str | None
    case_number: str | None = None
    canvass_id: str | None = None
    actor: str | None = None
    subject_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"at": self.at.isoformat()}


def find(conn: sa.Connection, visible_agency: str, zone: tzinfo) -> list[Flag]:
    """Every flag the rules raise over what the auditor may see, newest first."""
    cases = {
        row.canvass_id: row for row in conn.execute(_visible(sa.select(canvasses), visible_agency))
    }
    releases = list(
        conn.execute(
            sa.select(access)
            .where(access.c.action.in_(("downloaded", "exported", "viewed")))
            .order_by(access.c.position)
        )
    )
    releases = [row for row in releases if row.canvass_id in cases]
    flags = [*_overrides(cases), *_taken(releases, cases), *_night_bulk(releases, zone)]
    flags += _targeted(conn, cases)
    flags += _probing(cases)
    return sorted(flags, key=lambda flag: flag.at, reverse=True)


def _visible(query: Any, agency: str) -> Any:
    return query if agency == ALL_AGENCIES else query.where(canvasses.c.agency == agency)


def _overrides(cases: dict[str, Any]) -> list[Flag]:
    return [
        Flag(
            "override",
            RULES["override"],
            row.updated_at,
            row.agency,
            row.case_number,
            row.canvass_id,
            row.approved_by,
        )
        for row in cases.values()
        if row.override_reason
    ]


def _taken(releases: list[Any], cases: dict[str, Any]) -> list[Flag]:
    flags = []
    for row in releases:
        case = cases[row.canvass_id]
        where = (row.agency, row.case_number, row.canvass_id, row.actor, row.subject_id)
        if row.actor != case.investigator_id:
            flags.append(Flag("not_on_case", RULES["not_on_case"], row.recorded_at, *where))
        if case.status in FINISHED and row.recorded_at > case.updated_at:
            flags.append(
                Flag(
                    "outside_active_canvass",
                    RULES["outside_active_canvass"],
                    row.recorded_at,
                    *where,
                )
            )
    return flags


def _night_bulk(releases: list[Any], zone: tzinfo) -> list[Flag]:
    by_actor: dict[str, list[Any]] = defaultdict(list)
    for row in releases:
        hour = row.recorded_at.astimezone(zone).hour
        if hour >= NIGHT_STARTS or hour < NIGHT_ENDS:
            by_actor[row.actor].append(row)
    flags = []
    for actor, rows in by_actor.items():
        start = 0
        for end, row in enumerate(rows):  # a sliding hour over the actor's night releases
            while row.recorded_at - rows[start].recorded_at > timedelta(hours=1):
                start += 1
            if end - start + 1 == BULK_PER_HOUR:
                flags.append(
                    Flag(
                        "after_hours_bulk",
                        RULES["after_hours_bulk"],
                        row.recorded_at,
                        row.agency,
                        actor=actor,
                    )
                )
    return flags


def _targeted(conn: sa.Connection, cases: dict[str, Any]) -> list[Flag]:
    sent = conn.execute(
        sa.select(requests.c.owner_id, requests.c.canvass_id, requests.c.sent_at).order_by(
            requests.c.sent_at
        )
    )
    by_owner: dict[str, list[tuple[datetime, str]]] = defaultdict(list)
    for owner_id, canvass_id, sent_at in sent:
        if canvass_id in cases:
            by_owner[owner_id].append((sent_at, canvass_id))
    flags = []
    for owner_id, asked in by_owner.items():
        for index in range(TARGETED_CANVASSES - 1, len(asked)):
            window = asked[index - TARGETED_CANVASSES + 1 : index + 1]
            if window[-1][0] - window[0][0] <= TARGETED_WINDOW:
                at, canvass_id = asked[index]
                case = cases[canvass_id]
                flags.append(
                    Flag(
                        "owner_targeted",
                        RULES["owner_targeted"],
                        at,
                        case.agency,
                        case.case_number,
                        canvass_id,
                        subject_id=owner_id,
                    )
                )
                break  # once per owner is enough to look
    return flags


def _probing(cases: dict[str, Any]) -> list[Flag]:
    """Many overlapping canvasses by one investigator in a short time: a canvass is
    flagged when it and enough others opened in the window before it overlap its area."""
    by_investigator: dict[str, list[Any]] = defaultdict(list)
    for row in sorted(cases.values(), key=lambda row: (row.opened_at, row.canvass_id)):
        by_investigator[row.investigator_id].append(row)
    flags = []
    for investigator_id, opened in by_investigator.items():
        for index, row in enumerate(opened):
            overlapping = [
                earlier
                for earlier in opened[:index]
                if row.opened_at - earlier.opened_at <= PROBING_WINDOW and _overlap(earlier, row)
            ]
            if len(overlapping) + 1 >= PROBING_CANVASSES:
                flags.append(
                    Flag(
                        "repeated_probing",
                        RULES["repeated_probing"],
                        row.opened_at,
                        row.agency,
                        row.case_number,
                        row.canvass_id,
                        investigator_id,
                    )
                )
                break  # once per investigator is enough to look
    return flags


def _overlap(a: Any, b: Any) -> bool:
    """Whether two canvasses' areas may overlap: their incidents closer than the sum of
    how far each area reaches from its incident."""
    apart = distance_m(_incident(a), _incident(b))
    return apart <= _reach(a) + _reach(b)


def _incident(row: Any) -> Point:
    return Point(row.incident_latitude, row.incident_longitude)


def _reach(row: Any) -> float:
    area = json.loads(row.area) if isinstance(row.area, str) else row.area
    if "circle" in area:
        return float(area["circle"]["radius_m"])
    incident = _incident(row)
    return max(distance_m(incident, Point(lat, lon)) for lat, lon in area["polygon"])
