"""A process forked from one that has appended writes through connections of its own."""

from __future__ import annotations

import os

from events_store import NO_STREAM, EventStore, NewEvent

APPENDS = 40


def event(n: int) -> NewEvent:
    return NewEvent("CameraRegistered", {"n": n}, {"actor": "test"})


def append_each(store: EventStore, prefix: str) -> None:
    for n in range(APPENDS):
        store.append(f"{prefix}-{n}", [event(n)], NO_STREAM)


def test_a_forked_child_and_its_parent_append_at_once_and_every_position_is_kept_once(
    store: EventStore,
) -> None:
    store.append("before-the-fork", [event(-1)], NO_STREAM)
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child, which reports by its exit code
        code = 1
        try:
            append_each(store, "child")
            code = 0
        finally:
            os._exit(code)
    append_each(store, "parent")
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    logged = list(store.iter_all())
    assert [event.position for event in logged] == list(range(1, 2 * APPENDS + 2))
    streams = {event.stream_id for event in logged}
    assert {f"child-{n}" for n in range(APPENDS)} <= streams
    assert {f"parent-{n}" for n in range(APPENDS)} <= streams
