"""Projections that failed on an event: which event, and why.

A projection that cannot apply an event stops just before it; its tracking row records the
event's position and type, the error's class and a short message free of personal data,
and when it happened, until a rebuild (or a retry) succeeds.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = ("failed_position", "failed_event_type", "failed_error", "failed_message", "failed_at")


def upgrade() -> None:
    with op.batch_alter_table("projection_positions") as table:
        table.add_column(sa.Column("failed_position", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("failed_event_type", sa.String(200), nullable=True))
        table.add_column(sa.Column("failed_error", sa.String(100), nullable=True))
        table.add_column(sa.Column("failed_message", sa.String(300), nullable=True))
        table.add_column(sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("projection_positions") as table:
        for column in reversed(COLUMNS):
            table.drop_column(column)
