"""A Hypothesis state machine drives the store and a plain in-memory model side by side."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from events_store import ANY, NO_STREAM, ConcurrencyError, DuplicateEventError, EventStore, NewEvent

STREAMS = st.sampled_from(["alpha", "beta", "gamma"])
# What the log can carry (test_event_store_properties tries what it must refuse): integers
# RFC 8785 writes exactly, and text without NUL or lone surrogates.
SAFE_INTEGER = 2**53 - 1
STORABLE_TEXT = st.characters(exclude_characters="\x00", exclude_categories=("Cs",))
PAYLOADS = st.dictionaries(
    st.text(STORABLE_TEXT, max_size=5),
    st.one_of(
        st.integers(-SAFE_INTEGER, SAFE_INTEGER),
        st.text(STORABLE_TEXT, max_size=8),
        st.booleans(),
        st.none(),
    ),
    max_size=3,
)


class Model:
    """What the log must hold: (stream, version, event id, payload) in position order."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int, str, dict]] = []

    def version(self, stream: str) -> int:
        return sum(1 for entry in self.log if entry[0] == stream)

    def append(self, stream: str, events: list[NewEvent]) -> None:
        base = self.version(stream)
        for offset, event in enumerate(events, start=1):
            self.log.append((stream, base + offset, event.event_id, dict(event.data)))


def make_machine(url: str):
    class EventStoreAgainstModel(RuleBasedStateMachine):
        @initialize()
        def open_store(self) -> None:
            self.store = EventStore.from_url(url)
            self.offset = self.store.head()  # earlier examples share the database
            self.model = Model()
            self.stream_prefix = f"run{self.offset}-"
            self.last_batch: tuple[str, list[NewEvent], int] | None = None

        def teardown(self) -> None:
            if hasattr(self, "store"):
                self.store.close()

        def _stream(self, name: str) -> str:
            return self.stream_prefix + name

        @rule(
            stream=STREAMS,
            payloads=st.lists(PAYLOADS, min_size=1, max_size=3),
            how=st.sampled_from(["exact", "stale", "ahead", "no_stream", "any"]),
        )
        def append(self, stream, payloads, how):
            current = self.model.version(stream)
            expected = {
                "exact": current,
                "stale": current - 1,
                "ahead": current + 1,
                "no_stream": NO_STREAM,
                "any": ANY,
            }[how]
            if isinstance(expected, int) and expected < 0:
                expected = current + 2
            events = [NewEvent("Happened", payload) for payload in payloads]
            accepted = how in ("exact", "any") or (how == "no_stream" and current == 0)
            if accepted:
                recorded = self.store.append(self._stream(stream), events, expected)
                self.model.append(stream, events)
                assert [e.version for e in recorded] == list(
                    range(current + 1, current + 1 + len(events))
                )
                self.last_batch = (stream, events, current)
            else:
                try:
                    self.store.append(self._stream(stream), events, expected)
                except ConcurrencyError as error:
                    assert error.actual == current
                else:
                    raise AssertionError(f"append at {expected} on version {current} succeeded")

        @precondition(lambda self: self.last_batch is not None)
        @rule()
        def resend_last_batch(self):
            stream, events, version_before = self.last_batch
            again = self.store.append(self._stream(stream), events, version_before)
            assert [e.event_id for e in again] == [e.event_id for e in events]

        @precondition(lambda self: self.last_batch is not None)
        @rule(other=STREAMS)
        def reuse_an_event_id_elsewhere(self, other):
            stream, events, _ = self.last_batch
            if other == stream:
                return
            try:
                self.store.append(self._stream(other), [events[0]], ANY)
            except DuplicateEventError:
                pass
            else:
                raise AssertionError("an event id was stored twice")

        @rule(stream=STREAMS, from_version=st.integers(1, 6))
        def read_stream(self, stream, from_version):
            got = self.store.read_stream(self._stream(stream), from_version)
            want = [e for e in self.model.log if e[0] == stream and e[1] >= from_version]
            assert [(e.version, e.event_id, e.data) for e in got] == [
                (w[1], w[2], w[3]) for w in want
            ]

        @rule(after=st.integers(0, 30), limit=st.integers(1, 5))
        def read_all(self, after, limit):
            got = self.store.read_all(self.offset + after, limit)
            want = self.model.log[after : after + limit]
            assert [e.position for e in got] == [
                self.offset + after + i + 1 for i in range(len(want))
            ]
            assert [e.event_id for e in got] == [w[2] for w in want]

        @invariant()
        def head_matches(self):
            if hasattr(self, "store"):
                assert self.store.head() == self.offset + len(self.model.log)

    return EventStoreAgainstModel


@pytest.mark.slow
def test_the_store_behaves_like_the_in_memory_model(database_url, backend):
    machine = make_machine(database_url)
    machine.TestCase.settings = settings(
        max_examples=40 if backend == "sqlite" else 20,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine.TestCase().runTest()
