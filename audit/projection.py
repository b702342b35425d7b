"""Monthly counts of events by type: the raw material of the public transparency figures."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa

from events_store import RecordedEvent

metadata = sa.MetaData()

event_counts = sa.Table(
    "event_counts",
    metadata,
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("type", sa.String(200), primary_key=True),
    sa.Column("count", sa.BigInteger(), nullable=False),
)

_ADD = sa.text(
    "INSERT INTO event_counts (month, type, count) VALUES (:month, :type, :count)"
    " ON CONFLICT (month, type) DO UPDATE SET count = event_counts.count + excluded.count"
)


class EventCounts:
    """Counts events per calendar month (UTC) and type; holds nothing personal."""

    name = "event_counts"
    event_types = None  # every event

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Add a batch to the running counts with one upsert per month and type."""
        counts = Counter(
            (event.recorded_at.year, event.recorded_at.month, event.type) for event in events
        )
        conn.execute(
            _ADD,
            [
                {"month": f"{year:04d}-{month:02d}", "type": kind, "count": n}
                for (year, month, kind), n in counts.items()
            ],
        )

    def clear(self, conn: sa.Connection) -> None:
        """Forget every count before a rebuild."""
        conn.execute(event_counts.delete())
