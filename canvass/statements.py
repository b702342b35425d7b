"""The owners' statements of how they exported their footage ("how you exported it"): sealed
in each file's FootageReceived event, opened for the case page only once the reading is
recorded in the file's chain of custody and the access log, like the file itself."""

from __future__ import annotations

from typing import Any

from events_store import EventStore
from events_store.sealing import opened_data
from events_store.vault import KeyVault

from .intake import Access, FootageDesk
from .policy import CATEGORY_NAMES
from .streams import request_stream


def access_for(user: Any, canvass: dict[str, Any]) -> Access:
    """Who reads a canvass's personal data, and why, as the access log records it."""
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
) -> dict[tuple[str, str], str]:
    """Each file's statement by (request id, SHA-256), for the files that have one; each
    reading is recorded (as the file 'viewed') before the text is given out. A statement
    whose owner was erased is gone."""
    wanted = {(entry["request_id"], entry["sha256"]) for entry in files}
    opened: dict[tuple[str, str], str] = {}
    for request_id in sorted({request_id for request_id, _ in wanted}):
        for recorded in store.read_stream(request_stream(request_id)):
            if recorded.type != "FootageReceived":
                continue
            key = (request_id, str(recorded.data.get("sha256")))
            text = opened_data(vault, recorded).get("statement") if key in wanted else None
            if text:
                opened[key] = str(text)
    for entry in files:
        if (entry["request_id"], entry["sha256"]) in opened:
            desk.release(entry["canvass_id"], entry["sha256"], "viewed", access)
    return opened
