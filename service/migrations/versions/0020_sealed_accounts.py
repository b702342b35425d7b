"""Accounts found by a keyed pseudonym of the email in a mutable index; personal columns
and outbox messages sealed.

`account_emails` maps the pseudonym of an address to its account's random id; erasure
deletes the row. It is not a projection and nothing rebuilds it from the log. In
`accounts_users` the email, name and password hash move into one sealed `private` column:
the read model is emptied and its tracking reset, so the projection refills it, sealed,
from the log. Accounts opened before this revision had ids derived from their address and
no index row; they are not found by email any more (there is no deployment to carry over).
The outbox keeps its columns, which now hold sealed recipients and bodies; messages already
sent before this revision held them in clear and are deleted.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

PERSONAL = ("email", "display_name", "password_hash")


def upgrade() -> None:
    op.create_table(
        "account_emails",
        sa.Column("email_key", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(64), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    _reset_accounts()
    with op.batch_alter_table("accounts_users") as table:
        table.add_column(sa.Column("private", sa.Text(), nullable=True))
        for column in PERSONAL:
            table.drop_column(column)
    op.execute("DELETE FROM outbox WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    _reset_accounts()
    with op.batch_alter_table("accounts_users") as table:
        table.add_column(sa.Column("email", sa.String(254), nullable=True))
        table.add_column(sa.Column("display_name", sa.String(80), nullable=True))
        table.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        table.drop_column("private")
    op.drop_table("account_emails")


def _reset_accounts() -> None:
    """Empty the accounts' read model so that it is projected again in its new shape."""
    op.execute("DELETE FROM accounts_tokens")
    op.execute("DELETE FROM accounts_users")
    op.execute("DELETE FROM projection_positions WHERE name = 'accounts'")
