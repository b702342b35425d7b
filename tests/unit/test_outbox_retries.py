"""A refused message waits longer after each failure, and gives up only after a day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events_store.outbox_retries import gives_up, retry_delay

CREATED = datetime(2026, 12, 1, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempts", "minutes"),
    [(1, 1), (2, 2), (3, 4), (4, 8), (5, 16), (6, 32), (7, 60), (8, 60), (30, 60), (10**6, 60)],
)
def test_each_failure_doubles_the_wait_up_to_an_hour(attempts, minutes):
    assert retry_delay(attempts, jitter=0.5) == timedelta(minutes=minutes)


@pytest.mark.parametrize(("jitter", "seconds"), [(0.0, 54 * 60), (1.0, 66 * 60)])
def test_jitter_moves_a_wait_by_at_most_a_tenth(jitter, seconds):
    assert retry_delay(20, jitter) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("attempts", "after", "gives"),
    [
        (8, timedelta(hours=23, minutes=59), False),  # the old rule gave up after 8 attempts
        (30, timedelta(hours=23, minutes=59), False),
        (8, timedelta(days=1), True),
        (3, timedelta(days=3), False),  # a sender that was stopped for days tries again
        (8, timedelta(days=3), True),
    ],
)
def test_a_message_gives_up_only_after_a_day_of_refusals(attempts, after, gives):
    assert gives_up(attempts, CREATED, CREATED + after) is gives
