"""Canvasses: the read model of their details, status and approvals.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canvass_canvasses",
        sa.Column("canvass_id", sa.String(64), primary_key=True),
        sa.Column("agency", sa.String(80), nullable=False, index=True),
        sa.Column("investigator_id", sa.String(64), nullable=False, index=True),
        sa.Column("case_number", sa.String(40), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("incident_latitude", sa.Float(), nullable=False),
        sa.Column("incident_longitude", sa.Float(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("area_m2", sa.Float(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("exceedances", sa.Text(), nullable=False),
        sa.Column("approved_by", sa.String(64), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("canvass_canvasses")
    op.execute("DELETE FROM projection_positions WHERE name = 'canvass'")
