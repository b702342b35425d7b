"""Door-to-door visits sealed: positions, addresses and notes, in one sealed column, and
the registered site a visit names.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No deployment holds visits yet: the clear columns go without being carried over (a
    # rebuild of the canvass projection seals them again from the log).
    with op.batch_alter_table("canvass_visits") as table:
        for name in ("latitude", "longitude", "address", "note"):
            table.drop_column(name)
        table.add_column(sa.Column("site_id", sa.String(64)))
        table.add_column(sa.Column("private", sa.Text()))


def downgrade() -> None:
    op.execute("DELETE FROM canvass_visits")
    with op.batch_alter_table("canvass_visits") as table:
        table.drop_column("private")
        table.drop_column("site_id")
        table.add_column(sa.Column("latitude", sa.Float(), nullable=False))
        table.add_column(sa.Column("longitude", sa.Float(), nullable=False))
        table.add_column(sa.Column("address", sa.Text()))
        table.add_column(sa.Column("note", sa.Text()))
