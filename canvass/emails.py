"""The emails owners receive about canvasses, in plain words. Subjects carry nothing personal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from .policy import CATEGORY_NAMES, SQUARE_METRES_PER_SQUARE_MILE

MOMENT = "%d %B %Y %H:%M %Z"  # 14 December 2018 21:40 PST: every time with its zone


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


def awaiting_approval(recipient: str, canvass: dict[str, Any], link: str, zone: tzinfo) -> Email:
    """To a supervisor of the agency: a canvass beyond the limits waits for their decision."""
    start, end = canvass["window_start"].astimezone(zone), canvass["window_end"].astimezone(zone)
    what = CATEGORY_NAMES.get(canvass["category"], canvass["category"])
    square_miles = canvass["area_m2"] / SQUARE_METRES_PER_SQUARE_MILE
    why = "\n".join(
        f"- {sentence}" for sentences in canvass["exceedances"].values() for sentence in sentences
    )
    return Email(
        recipient,
        "A canvass waits for your approval",
        f"Case {canvass['case_number']} ({what}) goes beyond your agency's limits and waits\n"
        "for your decision.\n\n"
        f"Place: the incident at {canvass['incident_latitude']:.5f}, "
        f"{canvass['incident_longitude']:.5f}; an area of {square_miles:.3f} square miles.\n"
        f"Time: {start:{MOMENT}} to {end:{MOMENT}}.\n\n"
        f"Why it needs approval:\n{why}\n\n"
        f"The investigator's reason: {canvass['justification']}\n\n"
        "Approve it, deny it or send it back with a reason on the approvals page:\n\n"
        f"{link}\n",
    )


OUTCOME_TEXT = {
    "used": (
        "The footage you offered was used in the investigation. Thank you: it helped.\n"
        "The service keeps an uploaded copy only as long as the agency's rules on evidence\n"
        "allow, and every time someone opens it is recorded in your access history."
    ),
    "not_needed": (
        "In the end the detectives did not need your footage. Thank you for answering all\n"
        "the same. Any copy you uploaded is deleted when the service's retention period for\n"
        "closed canvasses ends; you may delete your own recording now."
    ),
    "returned": (
        "What you handed over (a memory card, a disc or a drive) is being returned to you,\n"
        "and the detectives need nothing more from you."
    ),
}


def request_outcome(
    recipient: str, canvass: dict[str, Any], outcome: str, requests_link: str, zone: tzinfo
) -> Email:
    """To an owner who offered footage: what became of it, once the canvass has closed."""
    start = canvass["window_start"].astimezone(zone)
    what = CATEGORY_NAMES.get(canvass["category"], "an incident")
    return Email(
        recipient,
        "What became of the footage you offered",
        "Hello,\n\n"
        f"Detectives of {canvass['agency']} have closed their canvass about {what} near one of\n"
        f"your sites on {start:%d %B %Y} at {start:%H:%M %Z} (case {canvass['case_number']}).\n\n"
        f"{OUTCOME_TEXT[outcome]}\n\n"
        f"Every request sent to you is listed at {requests_link}\n",
    )


def digest(recipient: str, since: datetime, canvasses: list[dict[str, Any]], zone: tzinfo) -> Email:
    """To an investigator: what happened on their canvasses since the last digest, one line
    per kind of news; who declined is never told apart from who has not answered."""
    parts = []
    for item in canvasses:
        lines = "\n".join(f"  - {line}" for line in item["news"])
        parts.append(f"Case {item['case_number']}:\n{lines}\n  {item['link']}")
    body = "\n\n".join(parts)
    return Email(
        recipient,
        "News on your canvasses",
        f"Since {since.astimezone(zone):{MOMENT}}:\n\n{body}\n",
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
