"""The public transparency figures: what canvassing asked of residents, per agency and month.

Everything here is an aggregate. Counts from 1 to 4 leave this module as "fewer than 5", and
the sizes of a group of fewer than 5 canvasses are withheld, because one canvass's area or
window could point at its incident. No identifier, place or person is ever selected.

A month is published only once it has ended and every request sent in it has reached its
deadline, so its figures no longer change (and the month it appears in says nothing about how
anyone answered). Publicly, a decline and silence are one figure, "did not provide footage",
as the investigator's own view has them. The answers add up to the requests sent, so a small
answer is never shown alone: when any answer of a group is from 1 to 4, every answer of the
group that is not 0 is withheld, and when the requests themselves are fewer than 5, every
answer is (complementary suppression: no withheld answer can be worked out by subtraction).
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import MAXYEAR, UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from canvass.policy import SQUARE_METRES_PER_SQUARE_MILE
from canvass.projection import canvasses, footage, requests

from .projection import event_counts

THRESHOLD = 5
FEWER_THAN = "fewer than 5"
WITHHELD = "withheld"
ANSWER_KINDS = ("share_now", "will_bring", "no_footage")
DID_NOT_PROVIDE = "did_not_provide"  # declined, expired or unanswered: one figure in public
PUBLISHED_ANSWERS = (*ANSWER_KINDS, DID_NOT_PROVIDE)
ERASURE_EVENT = "AccountErased"

Shown = int | str


class UtcMonth(FunctionElement[str]):
    """The calendar month, "YYYY-MM" in UTC, of a time stored through `UtcDateTime`."""

    type = sa.String()
    name = "utc_month"
    inherit_cache = True


@compiles(UtcMonth, "sqlite")
def _month_on_sqlite(element: UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # UtcDateTime keeps UTC text on SQLite: "YYYY-MM-DD HH:MM:SS.ffffff".
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 7)"


@compiles(UtcMonth, "postgresql")
def _month_on_postgresql(element: UtcMonth, compiler: SQLCompiler, **kw: Any) -> str:
    # Literal arguments, not parameters, so that GROUP BY repeats the same expression.
    return f"to_char({compiler.process(element.clauses, **kw)} AT TIME ZONE 'UTC', 'YYYY-MM')"


def shown(count: int) -> Shown:
    """A count as the public sees it: 0 and 5 or more exactly, 1 to 4 as "fewer than 5"."""
    return FEWER_THAN if 0 < count < THRESHOLD else count


@dataclass
class _Group:
    """The raw figures of one agency in one month, before suppression."""

    canvasses: int = 0
    areas: list[float] = field(default_factory=list)
    hours: list[float] = field(default_factory=list)
    overrides: int = 0
    requests: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    footage: int = 0


Groups = defaultdict[tuple[str, str], _Group]  # (agency, "YYYY-MM") -> figures


def transparency_report(
    conn: sa.Connection, year: int | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The published figures, newest month first, for one year (UTC) or for all time: closed
    months only, each once every request sent in it has reached its deadline."""
    unpublished = unpublished_months(conn, now or datetime.now(UTC))
    groups: Groups = defaultdict(_Group)
    _add_canvasses(conn, groups, year)
    _add_requests(conn, groups, year)
    _add_footage(conn, groups, year)
    erasures = _erasures(conn, year)
    for key in [key for key in groups if key[1] in unpublished]:
        del groups[key]
    months = sorted(({m for _, m in groups} | set(erasures)) - unpublished, reverse=True)
    # Newest month first, agencies in alphabetical order within it (the sort is stable).
    ordered = sorted(sorted(groups.items()), key=lambda item: item[0][1], reverse=True)
    return {
        "year": year,
        "threshold": THRESHOLD,
        "agency_months": [_published(agency, month, g) for (agency, month), g in ordered],
        "city_months": [{"month": m, "owner_erasures": shown(erasures.get(m, 0))} for m in months],
    }


def unpublished_months(conn: sa.Connection, now: datetime) -> set[str]:
    """The current month, and every month with a request still before its deadline."""
    pending = sa.select(UtcMonth(requests.c.sent_at)).where(requests.c.expires_at > now)
    return {f"{now.astimezone(UTC):%Y-%m}", *conn.scalars(pending.distinct())}


def years_with_figures(conn: sa.Connection, now: datetime | None = None) -> list[int]:
    """The years, newest first, with a published month in which anything counted happened."""
    months = sa.union(
        sa.select(UtcMonth(canvasses.c.opened_at)),
        sa.select(UtcMonth(requests.c.sent_at)),
        sa.select(UtcMonth(footage.c.received_at)),
        sa.select(event_counts.c.month).where(event_counts.c.type == ERASURE_EVENT),
    )
    unpublished = unpublished_months(conn, now or datetime.now(UTC))
    found = set(conn.scalars(months)) - unpublished
    return sorted({int(month[:4]) for month in found}, reverse=True)


def _add_canvasses(conn: sa.Connection, groups: Groups, year: int | None) -> None:
    c = canvasses.c
    query = sa.select(
        c.agency, UtcMonth(c.opened_at), c.area_m2, c.window_start, c.window_end,
        c.override_reason.is_not(None),
    ).where(*_within(c.opened_at, year))  # fmt: skip
    for agency, month, area_m2, start, end, overridden in conn.execute(query):
        group = groups[agency, month]
        group.canvasses += 1
        group.areas.append(area_m2 / SQUARE_METRES_PER_SQUARE_MILE)
        group.hours.append((end - start).total_seconds() / 3600)
        group.overrides += bool(overridden)


def _add_requests(conn: sa.Connection, groups: Groups, year: int | None) -> None:
    month = UtcMonth(requests.c.sent_at)
    query = (
        sa.select(canvasses.c.agency, month, requests.c.answer, sa.func.count())
        .join_from(requests, canvasses, requests.c.canvass_id == canvasses.c.canvass_id)
        .where(*_within(requests.c.sent_at, year))
        .group_by(canvasses.c.agency, month, requests.c.answer)
    )
    for agency, sent_in, answer, count in conn.execute(query):
        group = groups[agency, sent_in]
        group.requests += count
        group.answers[answer if answer in ANSWER_KINDS else DID_NOT_PROVIDE] += count


def _add_footage(conn: sa.Connection, groups: Groups, year: int | None) -> None:
    month = UtcMonth(footage.c.received_at)
    query = (
        sa.select(canvasses.c.agency, month, sa.func.count())
        .join_from(footage, canvasses, footage.c.canvass_id == canvasses.c.canvass_id)
        .where(*_within(footage.c.received_at, year))
        .group_by(canvasses.c.agency, month)
    )
    for agency, received_in, count in conn.execute(query):
        groups[agency, received_in].footage += count


def _erasures(conn: sa.Connection, year: int | None) -> dict[str, int]:
    query = sa.select(event_counts.c.month, event_counts.c.count).where(
        event_counts.c.type == ERASURE_EVENT
    )
    if year is not None:
        query = query.where(event_counts.c.month.startswith(f"{year:04d}-"))
    return {month: int(count) for month, count in conn.execute(query)}


def _within(column: sa.ColumnElement[datetime], year: int | None) -> list[sa.ColumnElement[bool]]:
    if year is None:
        return []
    start = datetime(year, 1, 1, tzinfo=UTC)
    if year == MAXYEAR:  # the last year datetime holds has no next year to end before
        return [column >= start]
    return [column >= start, column < datetime(year + 1, 1, 1, tzinfo=UTC)]


def _published(agency: str, month: str, group: _Group) -> dict[str, Any]:
    sized = group.canvasses >= THRESHOLD
    return {
        "agency": agency,
        "month": month,
        "canvasses_opened": shown(group.canvasses),
        "area_square_miles": _spread(group.areas, 3, sized),
        "window_hours": _spread(group.hours, 2, sized),
        "overrides": shown(group.overrides),
        "requests_sent": shown(group.requests),
        "answers": answers_shown(group.requests, group.answers),
        "footage_received": shown(group.footage),
    }


def answers_shown(requests_sent: int, answers: Mapping[str, int]) -> dict[str, Shown]:
    """The answers of a group as published, so that none withheld can be worked out from the
    requests sent (their total) and the others: all withheld when the requests are fewer
    than 5, every answer that is not 0 withheld when any answer is from 1 to 4."""
    values = {kind: int(answers.get(kind, 0)) for kind in PUBLISHED_ANSWERS}
    if 0 < requests_sent < THRESHOLD:
        return dict.fromkeys(values, WITHHELD)
    if any(0 < n < THRESHOLD for n in values.values()):
        return {kind: (WITHHELD if n else 0) for kind, n in values.items()}
    return dict(values)


def _spread(values: list[float], places: int, sized: bool) -> dict[str, float | None]:
    if not sized:
        return {"median": None, "maximum": None}
    return {
        "median": round(statistics.median(values), places),
        "maximum": round(max(values), places),
    }
