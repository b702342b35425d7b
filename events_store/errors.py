"""Typed failures of the event store, each with a message a person can act on."""

from __future__ import annotations


class EventStoreError(Exception):
    """Base of every failure raised by the event store."""


class ConcurrencyError(EventStoreError):
    """The stream is not at the version the writer expected; nothing was written."""

    def __init__(self, stream_id: str, expected: object, actual: int) -> None:
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual
        wanted = f"version {expected}" if isinstance(expected, int) else "a new stream"
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, but the writer expected {wanted}: "
            "someone else changed it first; reload it and try again"
        )


class DuplicateEventError(EventStoreError):
    """An event id is already stored somewhere other than where this append would put it."""

    def __init__(self, event_id: str) -> None:
        self.event_id = event_id
        super().__init__(
            f"event id {event_id} is already stored elsewhere in the log; "
            "event ids may be re-sent only for the same place in the same stream"
        )


class InvalidEventError(EventStoreError, ValueError):
    """An event or an append request is malformed; nothing was written."""


class UnsupportedDatabaseError(EventStoreError):
    """The database URL names something the event store cannot run on."""


class SubjectErasedError(EventStoreError):
    """The data subject's key was deleted: their personal data is erased for good."""

    def __init__(self, subject_id: str) -> None:
        self.subject_id = subject_id
        super().__init__(f"personal data of subject {subject_id} has been erased")


class DecryptionError(EventStoreError):
    """A sealed value does not open: it was altered or moved to another event or field."""


class ProjectionUnavailable(EventStoreError):
    """A read model this command needs stopped at an event it could not apply: the command
    was refused before anything was written (or, if `recorded`, written but not yet shown)."""

    retry_after_seconds = 300

    def __init__(self, projection: str, position: int, recorded: bool = False) -> None:
        self.projection = projection
        self.position = position
        self.recorded = recorded
        part = f"this part of the service (the {projection.replace('_', ' ')} records)"
        if recorded:
            message = (
                f"Your change was recorded, but {part} is being repaired after a fault: "
                "it will show once the repair is done."
            )
        else:
            message = (
                f"{part.capitalize()} is being repaired after a fault, so nothing was "
                "changed. Please try again later."
            )
        super().__init__(message)


class ProjectionFailed(EventStoreError):
    """A projection could not apply an event (the error is described without personal data)."""

    def __init__(self, projection: str, position: int, event_type: str, error: str) -> None:
        self.projection = projection
        self.position = position
        self.event_type = event_type
        self.error = error
        super().__init__(
            f"projection {projection} could not apply event {position:,} ({event_type}): {error}"
        )
