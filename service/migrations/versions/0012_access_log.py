"""The access log: every release of an owner's personal data, for auditors and the owner.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_access",
        sa.Column("position", sa.BigInteger(), primary_key=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("actor", sa.String(64), nullable=False, index=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(80), index=True),
        sa.Column("subject_id", sa.String(64), index=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("released", sa.Text(), nullable=False),
        sa.Column("purpose", sa.Text()),
        sa.Column("case_number", sa.String(40), index=True),
        sa.Column("legal_basis", sa.String(32)),
        sa.Column("canvass_id", sa.String(64), index=True),
        sa.Column("request_id", sa.String(64)),
    )


def downgrade() -> None:
    op.drop_table("audit_access")
