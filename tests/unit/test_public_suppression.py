"""No withheld transparency figure can be worked out from the published ones, even by someone
who knows exactly how the figures are withheld and tries every possible set of answers."""

from __future__ import annotations

import itertools
from collections import defaultdict

from audit.transparency import FEWER_THAN, PUBLISHED_ANSWERS, answers_shown, shown

MOST = 12  # every group whose answers are each from 0 to 12: 28,561 groups


def publication(answers: tuple[int, ...]) -> tuple[object, ...]:
    """What the public sees of a group: the requests sent and each answer."""
    total = sum(answers)
    published = answers_shown(total, dict(zip(PUBLISHED_ANSWERS, answers, strict=True)))
    return (shown(total), *(published[kind] for kind in PUBLISHED_ANSWERS))


def test_every_hidden_figure_has_at_least_two_possible_values_behind_what_is_published():
    behind: defaultdict[tuple[object, ...], set[tuple[int, ...]]] = defaultdict(set)
    for answers in itertools.product(range(MOST + 1), repeat=len(PUBLISHED_ANSWERS)):
        behind[publication(answers)].add((sum(answers), *answers))
    judged = 0
    for published, worlds in behind.items():
        for position, value in enumerate(published):
            possible = {world[position] for world in worlds}
            if isinstance(value, int):
                # An exact figure is the true one in every world that publishes it.
                assert possible == {value}
            elif not isinstance(published[0], int) or published[0] <= MOST:
                # (Beyond MOST requests the enumeration has cut some worlds off.)
                judged += 1
                assert len(possible) >= 2, (published, position, possible)
    assert judged > 200


def test_a_small_answer_is_never_shown_next_to_an_exact_total():
    for answers in itertools.product(range(MOST + 1), repeat=len(PUBLISHED_ANSWERS)):
        total, *published = publication(answers)
        if total == FEWER_THAN:
            assert published == ["withheld"] * len(answers), answers
        elif any(0 < n < 5 for n in answers):
            assert all(value in (0, "withheld") for value in published), answers
            assert all(
                (value == 0) == (n == 0) for value, n in zip(published, answers, strict=True)
            )
        else:
            assert published == list(answers) or total == FEWER_THAN


def test_a_decline_and_silence_are_the_same_published_figure():
    from audit.transparency import ANSWER_KINDS, DID_NOT_PROVIDE

    assert "decline" not in PUBLISHED_ANSWERS and DID_NOT_PROVIDE in PUBLISHED_ANSWERS
    assert set(ANSWER_KINDS) == {"share_now", "will_bring", "no_footage"}
