"""The append-only event log that every change, consent and read of personal data goes into.

It imports no domain package: the domains build on it, never the other way round.
"""

from .errors import (
    ConcurrencyError,
    DecryptionError,
    DuplicateEventError,
    EventStoreError,
    InvalidEventError,
    ProjectionFailed,
    ProjectionUnavailable,
    SubjectErasedError,
    UnsupportedDatabaseError,
)
from .model import ANY, NO_STREAM, NewEvent, RecordedEvent, StoredRow, StreamState
from .store import EventStore
from .upcasting import Upcasters

__all__ = [
    "ANY",
    "NO_STREAM",
    "ConcurrencyError",
    "DecryptionError",
    "DuplicateEventError",
    "EventStore",
    "EventStoreError",
    "InvalidEventError",
    "NewEvent",
    "ProjectionFailed",
    "ProjectionUnavailable",
    "RecordedEvent",
    "StoredRow",
    "StreamState",
    "SubjectErasedError",
    "UnsupportedDatabaseError",
    "Upcasters",
]
