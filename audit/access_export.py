"""The access log as a spreadsheet reads it: each staff member by name and role, each action
in words, each time in the service's time zone with its abbreviation and in UTC."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response

from .access import COLUMNS, as_download
from .officers import officers, who
from .words import action_words

READABLE = ["local_time", "who", "what"]


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A stored time as people read it where the service works: 'Wed 02 Dec 2026, 06:40 PST'."""
    return moment.astimezone(zone).strftime("%a %d %b %Y, %H:%M %Z")


def readable(services: Any, rows: Sequence[dict[str, Any]], zone: ZoneInfo) -> list[dict[str, Any]]:
    """The rows with the words beside the raw values: `local_time`, `who`, `what`."""
    named = officers(services, (row["actor"] for row in rows))
    return [
        row
        | {
            "local_time": local_time(row["recorded_at"], zone),
            "who": _cell(who(named, row["actor"], row["role"])),
            "what": action_words(row["action"]),
        }
        for row in rows
    ]


def _cell(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def download(services: Any, rows: Sequence[dict[str, Any]], shape: str, zone: ZoneInfo) -> Response:
    """CSV with the readable columns first, then every raw one (times in UTC); JSON Lines
    as before, for programs."""
    if shape != "csv":
        return as_download(list(rows), shape)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=READABLE + COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in readable(services, rows, zone):
        writer.writerow(row | {"recorded_at": row["recorded_at"].isoformat()})
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="access-log.csv"'
    return response
