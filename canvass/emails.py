"""The emails owners receive about canvasses, in plain words. Subjects carry nothing personal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .policy import CATEGORY_NAMES


@dataclass(frozen=True)
class Email:
    recipient: str
    subject: str
    body: str


def footage_request(
    recipient: str,
    canvass: dict[str, Any],
    cameras: list[str],
    link: str,
    expires_at: datetime,
    zone: tzinfo,
) -> Email:
    start, end = canvass["window_start"].astimezone(zone), canvass["window_end"].astimezone(zone)
    expires_at = expires_at.astimezone(zone)
    what = CATEGORY_NAMES.get(canvass["category"], "an incident")
    return Email(
        recipient,
        "A request for camera footage near you",
        "Hello,\n\n"
        f"Detectives of {canvass['agency']} are looking into {what} near one of your\n"
        "registered sites and ask whether your cameras recorded anything between\n"
        f"{start:%d %B %Y %H:%M} and {end:%d %B %Y %H:%M} ({start:%Z}).\n\n"
        f"Cameras that may have seen it: {', '.join(cameras)}.\n\n"
        "You decide. Open this link to share footage, say you have none, or decline:\n\n"
        f"{link}\n\n"
        f"The link works until {expires_at:%d %B %Y}. If you decline, detectives are not told\n"
        "it was you. Your recorder may overwrite this footage soon: please look before then.\n",
    )


def reminder(recipient: str, link: str) -> Email:
    return Email(
        recipient,
        "Reminder: a request for camera footage near you",
        "Hello,\n\n"
        "A few days ago detectives asked whether your cameras recorded anything near one of\n"
        "your registered sites. Recorders overwrite footage after a while, so if you can,\n"
        "please look soon and answer, even to say you have none or prefer not to help:\n\n"
        f"{link}\n",
    )


def expiry_alert(recipient: str, canvass: dict[str, Any], unanswered: int) -> Email:
    sites = f"{unanswered} site{'s' if unanswered != 1 else ''}"
    return Email(
        recipient,
        "Footage will be overwritten within a day",
        f"Case {canvass['case_number']}: the owners of {sites} have not answered, and their\n"
        "recorders will overwrite the footage of the incident within 24 hours.\n\n"
        "A visit in person may still save it. The canvass's candidates and door-to-door log\n"
        "are in the service.\n",
    )
