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


def record_readings(
    desk: FootageDesk, files: list[dict[str, Any]], opened: Statements, access: Access
) -> None:
    """Record each opened statement's reading in its file's custody and the access log."""
    for entry in files:
        if (entry["request_id"], entry["sha256"]) in opened:
            desk.release(
                entry["canvass_id"], entry["sha256"], "viewed", access, entry["request_id"]
            )
