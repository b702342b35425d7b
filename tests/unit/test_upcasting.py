"""Upcasters upgrade old payload shapes step by step, and say clearly when a step is missing."""

from __future__ import annotations

import pytest

from events_store import Upcasters


def test_an_event_is_upgraded_through_every_step_in_order():
    upcasters = Upcasters()
    upcasters.register("SiteRegistered", 1)(lambda d: {**d, "steps": ["1->2"]})
    upcasters.register("SiteRegistered", 2)(lambda d: {**d, "steps": [*d["steps"], "2->3"]})

    assert upcasters.latest_version("SiteRegistered") == 3
    assert upcasters.upcast("SiteRegistered", 1, {}) == (3, {"steps": ["1->2", "2->3"]})
    assert upcasters.upcast("SiteRegistered", 2, {"steps": []}) == (3, {"steps": ["2->3"]})
    assert upcasters.needs_upcasting("SiteRegistered", 2)
    assert not upcasters.needs_upcasting("SiteRegistered", 3)
    assert not upcasters.needs_upcasting("OtherEvent", 1)


def test_a_gap_in_the_chain_is_reported_with_the_missing_step():
    upcasters = Upcasters()
    upcasters.register("SiteRegistered", 2)(lambda d: d)
    with pytest.raises(LookupError, match="SiteRegistered from schema version 1"):
        upcasters.upcast("SiteRegistered", 1, {})


def test_a_step_cannot_be_registered_twice():
    upcasters = Upcasters()
    upcasters.register("SiteRegistered", 1)(lambda d: d)
    with pytest.raises(ValueError, match="already has an upcaster"):
        upcasters.register("SiteRegistered", 1)(lambda d: d)
