"""The registry's sealed site rows opened for a test: what the owner's key protects."""

from __future__ import annotations

import sqlalchemy as sa

from registry.projection import opened_site, sites


def site_places(services) -> list[tuple[str, str | None, float, float]]:
    """Every site whose place is still readable: (owner id, label, latitude, longitude)."""
    with services.engine.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(sa.select(sites))]
    opened = [opened_site(services.vault, row) for row in rows]
    return [
        (site["owner_id"], site["label"], site["latitude"], site["longitude"])
        for site in opened
        if site["latitude"] is not None
    ]
