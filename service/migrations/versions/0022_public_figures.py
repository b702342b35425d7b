"""Public coverage releases with calibrated noise, and their rate limits.

One row per month holds the noisy figures everyone is served that month (audit.coverage);
the rate limits of the public figures count requests per pseudonymous client address, in
fixed windows (audit.public).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "public_coverage_releases",
        sa.Column("period", sa.String(7), primary_key=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("epsilon", sa.Float, nullable=False),
        sa.Column("delta", sa.Float, nullable=False),
        sa.Column("blocks", sa.Text, nullable=False),
    )
    op.create_table(
        "public_request_counts",
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("public_request_counts")
    op.drop_table("public_coverage_releases")
