"""Erasures tracked until every step is done: one mutable row per erased account, with the
steps done so far and, in plain words, what the rest waits for. Nothing personal: the
account's pseudonymous id, times, step names, and the hashes of files still to delete.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps_done", sa.Text(), nullable=False, server_default=""),
        sa.Column("files_pending", sa.Text(), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempt_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("waiting_on", sa.String(300), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("erasures_unfinished", "erasures", ["finished_at", "started_at"])


def downgrade() -> None:
    op.drop_index("erasures_unfinished", table_name="erasures")
    op.drop_table("erasures")
