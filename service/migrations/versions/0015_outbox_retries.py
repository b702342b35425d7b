"""Outbox retries with backoff: when a message is next tried, and whether it gave up.

A message the mail server refused waits until `next_attempt_at` before it is tried again;
one that kept failing for a day has `gave_up_at` set and is tried only when an operator asks
(`flask outbox send --retry-failed`). Messages that gave up under the old rule (eight quick
attempts) simply become due again.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as table:
        table.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("gave_up_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index("outbox_gave_up", "outbox", ["gave_up_at"])


def downgrade() -> None:
    op.drop_index("outbox_gave_up", table_name="outbox")
    with op.batch_alter_table("outbox") as table:
        table.drop_column("gave_up_at")
        table.drop_column("next_attempt_at")
