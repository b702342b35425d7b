"""Work for processes started by the key-store tests: each creates a subject's key at the
same moment as the others. Kept apart from the test modules so a spawned process imports
only the event store, not the whole service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from events_store.database import create_engine
from events_store.keystore import FileKeyStore
from events_store.model import new_event_id
from events_store.vault import KeyVault


def put_key(folder: str, subject_id: str, key: bytes, start: Any) -> bytes:
    """Wait for every writer, then store a key for the subject; the key the store kept."""
    keys = FileKeyStore(Path(folder))
    start.wait()
    return keys.put_if_absent(subject_id, key)


def seal_once(
    url: str, folder: str, master: bytes, subject_id: str, value: str, start: Any
) -> tuple[str, str]:
    """Wait for every writer, then seal `value` for the subject with a vault of its own."""
    engine = create_engine(url)
    vault = KeyVault(engine, master, FileKeyStore(Path(folder)))
    event_id = new_event_id()
    start.wait()
    try:
        return event_id, vault.seal(subject_id, event_id, "email", value)
    finally:
        engine.dispose()
