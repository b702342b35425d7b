"""Address points for the offline geocoder.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gazetteer_addresses",
        sa.Column(
            "address_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("source_hash", sa.String(40), nullable=False, unique=True),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("street", sa.String(120), nullable=False),
        sa.Column("unit", sa.String(40), nullable=False),
        sa.Column("city", sa.String(80), nullable=False),
        sa.Column("postcode", sa.String(12), nullable=False),
        sa.Column("display", sa.String(250), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
    )
    op.create_index("gazetteer_street_number", "gazetteer_addresses", ["street", "number"])


def downgrade() -> None:
    op.drop_table("gazetteer_addresses")
