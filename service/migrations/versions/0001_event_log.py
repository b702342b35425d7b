"""The event log, the key vault and projection tracking.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

REFUSAL = "the event log is append-only"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER events_refuse_{verb.lower()} BEFORE {verb} ON events
        BEGIN SELECT RAISE(ABORT, '{REFUSAL}: {verb} is refused'); END"""
    for verb in ("UPDATE", "DELETE")
]

POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION '{REFUSAL}: % is refused', TG_OP
                USING ERRCODE = 'restrict_violation';
        END $$""",
    """CREATE TRIGGER events_refuse_update_delete BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION events_refuse_change()""",
    """CREATE TRIGGER events_refuse_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change()""",
]


def upgrade() -> None:
    op.create_table(
        "events",
        # On SQLite an INTEGER primary key is the rowid: the cheapest ordered index there is.
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("stream_id", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "event_id",
            sa.String(36).with_variant(postgresql.UUID(as_uuid=False), "postgresql"),
            nullable=False,
        ),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        # PostgreSQL's json (not jsonb) keeps the canonical text exactly as hashed.
        sa.Column("data", sa.Text().with_variant(postgresql.JSON(), "postgresql"), nullable=False),
        sa.Column(
            "metadata", sa.Text().with_variant(postgresql.JSON(), "postgresql"), nullable=False
        ),
        sa.Column(
            "recorded_at",
            sa.Text().with_variant(sa.DateTime(timezone=True), "postgresql"),
            nullable=False,
        ),
        sa.Column("leaf_hash", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
        sa.UniqueConstraint("event_id", name="events_event_id_key"),
        sa.CheckConstraint("position >= 1", name="events_position_positive"),
        sa.CheckConstraint("version >= 1", name="events_version_positive"),
    )
    triggers = POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS
    for statement in triggers:
        op.execute(statement)

    op.create_table(
        "subject_keys",
        sa.Column("subject_id", sa.String(64), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "projection_positions",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    raise RuntimeError(
        "the event log is never dropped by a migration: take a backup and drop it by hand"
    )
