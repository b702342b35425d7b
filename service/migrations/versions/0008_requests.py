"""Footage requests: one row per request with its status.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canvass_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("canvass_id", sa.String(64), nullable=False, index=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("owner_id", sa.String(64), nullable=False, index=True),
        sa.Column("camera_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("answer", sa.String(16), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("canvass_requests")
    op.execute("DELETE FROM projection_positions WHERE name = 'canvass_requests'")
