"""Subject keys leave the database: only erasure tombstones stay in subject_keys.

Data keys now live in the key store (`events_store.keystore`), because a key deleted from a
database survives in its WAL, dead tuples and backups. The table keeps a row per forgotten
subject and no key material. Keys of subjects not forgotten are dropped, not moved: a key
that has been in the database cannot become erasable by being copied out, and no
deployment predates this revision (a development instance made before it is started
afresh). The table is rebuilt, not altered, on both backends: PostgreSQL then unlinks the
old relation files, and SQLite (secure_delete on) zeroes the freed pages.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM subject_keys WHERE erased_at IS NULL")
    with op.batch_alter_table("subject_keys", recreate="always") as table:
        table.drop_column("wrapped_key")
        table.drop_column("created_at")
        table.alter_column("erased_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("subject_keys") as table:
        table.add_column(sa.Column("wrapped_key", sa.LargeBinary(), nullable=True))
        table.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE subject_keys SET created_at = erased_at")
    with op.batch_alter_table("subject_keys") as table:
        table.alter_column("created_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        table.alter_column("erased_at", existing_type=sa.DateTime(timezone=True), nullable=True)
