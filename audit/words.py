"""What the log's event types and the access log's actions mean, in the words an auditor
reads on the pages and in the exports (the raw names stay beside them, for the API)."""

from __future__ import annotations

import re

EVENT_WORDS = {
    "CanvassOpened": "Canvass opened",
    "CanvassSubmitted": "Canvass submitted for approval",
    "OverrideApproved": "Supervisor approved going beyond the agency's limits",
    "CanvassApproved": "Canvass approved",
    "CanvassDenied": "Canvass denied by a supervisor",
    "CanvassSentBack": "Canvass sent back for changes",
    "CanvassRevised": "Canvass changed by the investigator",
    "CanvassDispatched": "Requests sent out",
    "RequestsPlanned": "Owners to ask chosen",
    "DispatchFinished": "Every request sent",
    "CanvassClosed": "Canvass closed",
    "FootageOutcomesMarked": "Use of the footage recorded",
    "CanvassCancelled": "Canvass cancelled",
    "CanvassExpired": "Canvass expired",
    "ExpiryAlertSent": "Warned that footage will soon be overwritten",
    "VisitRecorded": "Door-to-door visit recorded",
    "CandidatesListed": "Candidate cameras listed",
    "FootageRequested": "Owner asked for footage",
    "RequestAnswered": "Owner answered",
    "RequestExpired": "Request expired unanswered",
    "OwnerReminded": "Owner reminded",
    "FootageReceived": "Footage received",
    "FootageHandled": "Footage handled by staff",
    "DigestsSent": "Digest emails sent",
    "SiteRegistered": "Site registered",
    "SiteDetailsChanged": "Site changed",
    "SitePaused": "Site paused",
    "SiteResumed": "Site resumed",
    "SiteUnregistered": "Site unregistered",
    "CameraAdded": "Camera added",
    "CameraRemoved": "Camera removed",
    "ConsentChanged": "Consent changed",
    "AccountOpened": "Account opened",
    "EmailVerified": "Email address confirmed",
    "AccountErased": "Account erased",
    "ErasureNoticeSent": "Told of coming erasure",
    "AccountKept": "Chose to stay registered",
}

ACTION_WORDS = {
    "downloaded": "Downloaded footage",
    "exported": "Put footage in the case package",
    "viewed": "Viewed footage",
    "purged": "Deleted footage at the end of its keeping",
    "listed_candidates": "Listed candidate cameras",
}


def event_words(event_type: str) -> str:
    """'CanvassSentBack' -> 'Canvass sent back for changes'; an unknown type is split into
    words, so a new event never shows as a bare identifier."""
    if event_type in EVENT_WORDS:
        return EVENT_WORDS[event_type]
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", event_type).lower()
    return words[:1].upper() + words[1:]


def action_words(action: str) -> str:
    """'listed_candidates' -> 'Listed candidate cameras'."""
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())
