"""When the outbox tries a refused message again, and when it stops trying.

Waits double from a minute to an hour, so a mail server that is down for a moment costs a
minute and one down for a day costs about thirty attempts; jitter spreads a backlog out so
that it does not return all at once. A message gives up only after a day of refusals (and a
few attempts at least), so an outage overnight loses nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

FIRST_RETRY_AFTER = timedelta(minutes=1)
LONGEST_RETRY_AFTER = timedelta(hours=1)
KEEP_TRYING_FOR = timedelta(days=1)
MIN_ATTEMPTS_BEFORE_GIVING_UP = 8


def retry_delay(attempts: int, jitter: float) -> timedelta:
    """How long to wait after the `attempts`-th failure: doubling from a minute to an hour,
    then scaled by 0.9 to 1.1 as `jitter` goes from 0 to 1."""
    doubled: timedelta = FIRST_RETRY_AFTER * 2 ** min(max(attempts - 1, 0), 16)
    capped: timedelta = min(doubled, LONGEST_RETRY_AFTER)
    return capped * (0.9 + 0.2 * jitter)


def gives_up(attempts: int, created_at: datetime, now: datetime) -> bool:
    """Whether a message that just failed for the `attempts`-th time stops being tried."""
    trying_for = now - created_at
    return attempts >= MIN_ATTEMPTS_BEFORE_GIVING_UP and trying_for >= KEEP_TRYING_FOR
