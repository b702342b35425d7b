"""The door-to-door log of canvasses.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canvass_visits",
        sa.Column("visit_id", sa.String(64), primary_key=True),
        sa.Column("canvass_id", sa.String(64), nullable=False, index=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=True),
        sa.Column("clock_offset_seconds", sa.Integer(), nullable=True),
        sa.Column("contact_made", sa.Boolean(), nullable=False),
        sa.Column("revisit_due", sa.String(10), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("canvass_visits")
