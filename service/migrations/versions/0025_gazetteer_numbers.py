"""The gazetteer's house numbers as numbers and its points' state, for tolerant matching.

A mistyped number is answered with the nearest numbers on its street: an index on the
street and the number's digits makes that two short range reads on both backends.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("gazetteer_addresses") as table:
        table.add_column(sa.Column("number_value", sa.BigInteger(), nullable=True))
        table.add_column(sa.Column("region", sa.String(40), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE gazetteer_addresses SET number_value = "
            "CAST(substring(number from '^[0-9]{1,15}') AS BIGINT)"
        )
    else:
        op.execute(
            "UPDATE gazetteer_addresses SET number_value = CAST(substr(number, 1, 15) AS INTEGER) "
            "WHERE substr(number, 1, 1) BETWEEN '0' AND '9'"
        )
    op.create_index(
        "gazetteer_street_number_value", "gazetteer_addresses", ["street", "number_value"]
    )


def downgrade() -> None:
    op.drop_index("gazetteer_street_number_value", "gazetteer_addresses")
    with op.batch_alter_table("gazetteer_addresses") as table:
        table.drop_column("region")
        table.drop_column("number_value")
