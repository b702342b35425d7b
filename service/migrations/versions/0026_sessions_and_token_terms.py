"""Sessions kept on the server, each account's session epoch, and API tokens' scope and end.

`account_sessions` holds one row per signed-in browser (the hash of its cookie's secret);
`accounts_users.session_epoch` counts the times every session of an account was ended at
once. Tokens made before this revision keep full scope and no end.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_sessions",
        sa.Column("session_key", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("accounts_users") as table:
        table.add_column(
            sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("accounts_tokens") as table:
        table.add_column(sa.Column("scope", sa.String(8), nullable=False, server_default="full"))
        table.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("accounts_tokens") as table:
        table.drop_column("expires_at")
        table.drop_column("scope")
    with op.batch_alter_table("accounts_users") as table:
        table.drop_column("session_epoch")
    op.drop_table("account_sessions")
