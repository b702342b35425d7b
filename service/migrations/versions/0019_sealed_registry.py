"""The registry's personal columns sealed; sites searched by their coarse cell.

The read model is rebuilt from the log rather than altered in place: the old tables held
labels, addresses and positions in clear, and a copy of them (or of their index) is exactly
what must not survive. The R*Tree (SQLite) and the GiST index of points (PostgreSQL) go;
sites are found by a B-tree on their cell, and their exact positions are sealed.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS registry_sites_location")
    else:
        op.execute("DROP TABLE IF EXISTS registry_sites_rtree")
    op.drop_table("registry_cameras")
    op.drop_table("registry_sites")
    op.create_table(
        "registry_sites",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("owner_id", sa.String(64), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        # The coarse cell (registry.cells, about 111 m): the only position in clear.
        sa.Column("cell_row", sa.Integer(), nullable=True),
        sa.Column("cell_col", sa.Integer(), nullable=True),
        # Label, address, latitude, longitude, location source: sealed for the owner.
        sa.Column("private", sa.Text(), nullable=True),
        # A keyed pseudonym of an agency import's reference, unique as the reference was.
        sa.Column("source_key", sa.String(64), nullable=True, unique=True),
        sa.Column("contact_for_requests", sa.Boolean(), nullable=False),
        sa.Column("categories", sa.Text(), nullable=False),
        sa.Column("share_exact_location", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("registry_sites_cell", "registry_sites", ["cell_row", "cell_col"])
    _create_cameras(private_label=True)
    # Rebuilt from the log the next time projections catch up.
    op.execute("DELETE FROM projection_positions WHERE name = 'registry'")


def downgrade() -> None:
    op.drop_table("registry_cameras")
    op.drop_table("registry_sites")
    op.create_table(
        "registry_sites",
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
    _create_cameras(private_label=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE registry_sites ADD COLUMN location point")
        op.execute("CREATE INDEX registry_sites_location ON registry_sites USING gist (location)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE registry_sites_rtree"
            " USING rtree(site_key, min_lat, max_lat, min_lon, max_lon)"
        )
    op.execute("DELETE FROM projection_positions WHERE name = 'registry'")


def _create_cameras(private_label: bool) -> None:
    label = (
        sa.Column("private", sa.Text(), nullable=True)  # the label, sealed for the owner
        if private_label
        else sa.Column("label", sa.String(100), nullable=False)
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
        label,
        sa.Column("bearing_degrees", sa.Float(), nullable=False),
        sa.Column("field_of_view_degrees", sa.Float(), nullable=False),
        sa.Column("range_metres", sa.Float(), nullable=False),
        sa.Column("placement", sa.String(16), nullable=False),
        sa.Column("recording", sa.String(16), nullable=False),
        sa.Column("retention_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
