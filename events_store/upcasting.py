"""Upcasters: stored events are never rewritten, so old payload shapes are upgraded on read.

They also repair: when a projection stops at an event it cannot apply, a step from the
stored schema version that corrects the bad value (and leaves good payloads as they are)
makes every reader see the corrected event, and a rebuild then applies it. A step sees the
stored payload, so it can correct public fields only: personal ones are sealed, and those
are corrected in the projection's code instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Payload = dict[str, Any]
Upcaster = Callable[[Payload], Payload]


class Upcasters:
    """A registry of functions that turn schema version n of an event type into n + 1."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._latest: dict[str, int] = {}

    def register(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        """Decorator: the function upgrades `event_type` payloads from `from_version`."""

        def add(step: Upcaster) -> Upcaster:
            key = (event_type, from_version)
            if key in self._steps:
                raise ValueError(f"{event_type} v{from_version} already has an upcaster")
            self._steps[key] = step
            self._latest[event_type] = max(self._latest.get(event_type, 1), from_version + 1)
            return step

        return add

    def has_any(self) -> bool:
        """Whether any event type has more than one schema version."""
        return bool(self._steps)

    def latest_version(self, event_type: str) -> int:
        """The schema version that readers of `event_type` receive."""
        return self._latest.get(event_type, 1)

    def needs_upcasting(self, event_type: str, schema_version: int) -> bool:
        """Whether an event stored at `schema_version` is older than what readers receive."""
        return schema_version < self._latest.get(event_type, 0)

    def upcast(self, event_type: str, schema_version: int, data: Payload) -> tuple[int, Payload]:
        """Apply every step from `schema_version` up to the latest, in order."""
        latest = self.latest_version(event_type)
        while schema_version < latest:
            step = self._steps.get((event_type, schema_version))
            if step is None:
                raise LookupError(
                    f"no upcaster for {event_type} from schema version {schema_version}"
                )
            data = step(data)
            schema_version += 1
        return schema_version, data
