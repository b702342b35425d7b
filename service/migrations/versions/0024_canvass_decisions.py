"""A supervisor's decision to deny a canvass or send it back: who decided and why, so that
the investigator reads the reason beside the canvass.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canvass_canvasses") as table:
        table.add_column(sa.Column("decided_by", sa.String(64), nullable=True))
        table.add_column(sa.Column("decision_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("canvass_canvasses") as table:
        table.drop_column("decision_reason")
        table.drop_column("decided_by")
