"""The one loop every command goes through: load the stream, fold, decide, seal, append.

A concurrent writer to the same stream makes the append fail on its expected version; the
command is then decided again on the new state, a few times at most.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import Any, Generic, TypeVar

from .errors import ConcurrencyError
from .model import NO_STREAM, RecordedEvent
from .outbox import OutgoingMessage, seal_message
from .sealing import DomainEvent, domain_events, to_new_event
from .store import EventStore
from .vault import KeyVault

State = TypeVar("State")
RETRIES = 5


@dataclass(frozen=True)
class StreamModel(Generic[State]):
    """How a stream's events become the state its rules decide on."""

    event_types: Mapping[str, type[DomainEvent]]
    initial: State
    evolve: Callable[[State, Any], State]

    def fold(self, stored: Sequence[RecordedEvent]) -> State:
        """The state after the stored events; personal fields are not opened for this."""
        events = (event for event, _ in domain_events(stored, self.event_types, None))
        return reduce(self.evolve, events, self.initial)


def handle(
    store: EventStore,
    vault: KeyVault,
    stream_id: str,
    model: StreamModel[State],
    decide: Callable[[State], Sequence[DomainEvent]],
    subject: Callable[[State], str],
    metadata: Mapping[str, Any],
    messages: Sequence[OutgoingMessage] = (),
) -> list[RecordedEvent]:
    """Decide on the stream's current state and append the result (with its messages, their
    recipients and bodies sealed for the person each is about)."""
    outgoing = [seal_message(vault, message) for message in messages]
    conflict: ConcurrencyError | None = None
    for _ in range(RETRIES):
        stored = store.read_stream(stream_id)
        state = model.fold(stored)
        events = decide(state)
        if not events:
            return []
        who = subject(state)
        new = [to_new_event(vault, who, event, dict(metadata)) for event in events]
        try:
            return store.append(stream_id, new, len(stored) or NO_STREAM, outgoing)
        except ConcurrencyError as error:
            conflict = error
    assert conflict is not None
    raise conflict


def fixed_subject(subject_id: str) -> Callable[[Any], str]:
    """For `handle`: the data subject does not depend on the state."""
    return lambda _state: subject_id
