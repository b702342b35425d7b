"""Monthly counts of events by type, for the public figures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "event_counts",
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("type", sa.String(200), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("event_counts")
    op.execute("DELETE FROM projection_positions WHERE name = 'event_counts'")
