"""The owners' statements of how they exported their footage ("how you exported it"): sealed
in each file's FootageReceived event, and given out only by the access gateway
(`audit.gateway.AccessGateway.footage_statements`), which records each reading in the file's
chain of custody and the access log before it hands the text over, like the file itself."""

from __future__ import annotations

from typing import Any

from events_store import EventStore
from events_store.sealing import opened_data
from events_store.vault import KeyVault

from .intake import Access, FootageDesk
from .policy import CATEGORY_NAMES
from .streams import request_stream

Statements = dict[tuple[str, str], str]  # by (request id, SHA-256)


def open_statements(store: EventStore, vault: KeyVault, files: list[dict[str, Any]]) -> Statements:
    """Each listed file's statement, for the files that have one; a statement whose owner was
    erased is gone. Only the gateway calls this, and gives nothing out before recording it."""
    wanted = {(entry["request_id"], entry["sha256"]) for entry in files}
    opened: Statements = {}
    for request_id in sorted({request_id for request_id, _ in wanted}):
        for recorded in store.read_stream(request_stream(request_id)):
            if recorded.type != "FootageReceived":
                continue
            key = (request_id, str(recorded.data.get("sha256")))
            text = opened_data(vault, recorded).get("statement") if key in wanted else None
            if text:
                opened[key] = str(text)
    return opened


def access_for(user: Any, canvass: dict[str, Any]) -> Access:
    """Who reads a canvass's personal data, and why, as the access log records it. The
    canvass page's present way in; the gateway's `footage_statements` decides this itself."""
    what = CATEGORY_NAMES.get(canvass["category"], canvass["category"])
    return Access(
        actor=user.user_id,
        role=user.role,
        agency=user.agency,
        case_number=canvass["case_number"],
        legal_basis=canvass["legal_basis"],
        purpose=f"canvass for {what}",
    )


def read_statements(
    store: EventStore,
    vault: KeyVault,
    desk: FootageDesk,
    files: list[dict[str, Any]],
    access: Access,
) -> Statements:
    """The statements of `files`, each reading recorded (as the file 'viewed') before the
    text is given out: what the gateway's `footage_statements` does, for the page's call."""
    opened = open_statements(store, vault, files)
    record_readings(desk, files, opened, access)
    return opened


def record_readings(
    desk: FootageDesk, files: list[dict[str, Any]], opened: Statements, access: Access
) -> None:
    """Record each opened statement's reading in its file's custody and the access log."""
    for entry in files:
        if (entry["request_id"], entry["sha256"]) in opened:
            desk.release(entry["canvass_id"], entry["sha256"], "viewed", access)
