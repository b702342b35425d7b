"""When an append's expectation holds, and where a re-sent append must be found."""

from __future__ import annotations

import pytest

from events_store import ANY, NO_STREAM
from events_store.recorders.base import expected_matches, place_of


@pytest.mark.parametrize(
    ("expected", "current", "holds"),
    [
        (NO_STREAM, 0, True),
        (NO_STREAM, 1, False),
        (ANY, 0, True),
        (ANY, 9, True),
        (0, 0, True),
        (3, 3, True),
        (3, 2, False),
        (3, 4, False),
    ],
)
def test_an_expectation_holds_only_for_the_stream_version_it_names(expected, current, holds):
    assert expected_matches(expected, current) is holds


@pytest.mark.parametrize(
    ("expected", "first_stored_version", "same_place"),
    [(NO_STREAM, 1, True), (NO_STREAM, 2, False), (4, 5, True), (4, 4, False), (ANY, 7, True)],
)
def test_a_resent_append_is_recognised_only_at_the_place_it_was_sent_to(
    expected, first_stored_version, same_place
):
    assert place_of(expected, first_stored_version) is same_place
