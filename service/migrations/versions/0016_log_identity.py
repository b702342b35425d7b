"""The log's identity (checkpoint origin and key name), fixed when it is first signed.

One row: the origin and key name every checkpoint carries, the verifier key that signs
them, and when they were fixed. A log already signed takes them from its oldest checkpoint
(its key is recorded at the next signature), so old checkpoints keep verifying whatever
the public address is today.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

SIGNATURE_PREFIX = "\u2014 "


def upgrade() -> None:
    op.create_table(
        "log_identity",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("key_name", sa.Text(), nullable=False),
        sa.Column("verifier_key", sa.Text(), nullable=True),
        sa.Column("fixed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name="log_identity_one_row"),
    )
    oldest = (
        op.get_bind()
        .execute(sa.text("SELECT note, issued_at FROM audit_checkpoints ORDER BY tree_size"))
        .first()
    )
    if oldest is not None:
        origin, key_name = _identity_of(oldest.note)
        op.get_bind().execute(
            sa.text(
                "INSERT INTO log_identity (id, origin, key_name, fixed_at)"
                " VALUES (1, :origin, :key_name, :fixed_at)"
            ),
            {"origin": origin, "key_name": key_name, "fixed_at": oldest.issued_at},
        )


def downgrade() -> None:
    op.drop_table("log_identity")


def _identity_of(note: str) -> tuple[str, str]:
    """The origin (first line) and the signer's key name (the first signature line)."""
    origin = note.split("\n", 1)[0]
    signatures = note[note.rfind("\n\n") + 2 :].split("\n")
    key_name = signatures[0].removeprefix(SIGNATURE_PREFIX).split(" ", 1)[0]
    return origin, key_name
