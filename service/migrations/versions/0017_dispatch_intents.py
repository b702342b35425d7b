"""Dispatches recorded as intents that the scheduler can finish: which canvasses still have
planned requests to create.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("canvass_canvasses") as table:
        table.add_column(
            sa.Column(
                "dispatch_unfinished", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("canvass_canvasses") as table:
        table.drop_column("dispatch_unfinished")
