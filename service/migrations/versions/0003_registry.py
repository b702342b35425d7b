"""The registry's read model: sites, cameras and a spatial index over sites.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_sites",
        # An integer key, because SQLite's R*Tree indexes rows by integer id.
        sa.Column(
            "site_key",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("site_id", sa.String(64), nullable=False, unique=True),
        sa.Column("owner_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        # Personal data, in clear for search; emptied when the owner is forgotten.
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("location_source", sa.String(16), nullable=False),
        sa.Column("source_ref", sa.String(200), nullable=True, unique=True),
        sa.Column("contact_for_requests", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("share_exact_location", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "registry_cameras",
        sa.Column("camera_id", sa.String(64), primary_key=True),
        sa.Column(
            "site_id",
            sa.String(64),
            sa.ForeignKey("registry_sites.site_id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("label", sa.String(100), nullable=False),
        sa.Column("bearing_degrees", sa.Float(), nullable=False),
        sa.Column("field_of_view_degrees", sa.Float(), nullable=False),
        sa.Column("range_metres", sa.Float(), nullable=False),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("recording", sa.String(16), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE registry_sites ADD COLUMN location point")
        op.execute("CREATE INDEX registry_sites_location ON registry_sites USING gist (location)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE registry_sites_rtree"
            " USING rtree(site_key, min_lat, max_lat, min_lon, max_lon)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TABLE registry_sites_rtree")
    op.drop_table("registry_cameras")
    op.drop_table("registry_sites")
    op.execute("DELETE FROM projection_positions WHERE name = 'registry'")
