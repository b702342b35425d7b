"""The public coverage map: how many owners, and about how many cameras, per fixed square.

What an attacker could use to find a home is closed off in four ways:

* Counts are per block (registry.cells.Block: ten by ten cells, about a kilometre), a square
  fixed on the map. The box a caller asks for only chooses which blocks to return; a block's
  figures never depend on it, so sliding a box edge teaches nothing.
* What is counted is owners, not sites: distinct owners of some standing (an account verified
  and older than `STANDING`, a site registered longer ago than that), each counted once, in
  the block of their first such site, with at most `CAMERAS_PER_OWNER` of their cameras there.
  Sites imported by staff from an agency's public list count as one owner each at once (the
  public cannot plant them). Planted accounts without standing change nothing.
* Counts carry noise from OpenDP: the owners per block through its Laplace threshold mechanism
  (discrete Laplace noise, blocks whose noisy count is below `THRESHOLD` left out), the cameras
  of the blocks shown through its discrete Laplace mechanism. One owner changes one block by at
  most one owner and `CAMERAS_PER_OWNER` cameras, so one release costs EPSILON (and DELTA, the
  chance the threshold lets a tiny block through); k releases cost at most k times as much.
* One release per calendar month (UTC), made by the first request of the month and stored, is
  served to everyone until the next: asking again never gives fresh noise to average away.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import opendp.prelude as dp
import sqlalchemy as sa

from accounts.projection import users
from events_store.database import UtcDateTime
from registry.cells import BLOCK, Block, Cell, cell_of
from registry.geodesy import BoundingBox
from registry.projection import cameras, sites

dp.enable_features("contrib")

STANDING = timedelta(days=30)
THRESHOLD = 10  # blocks whose noisy owner count is below this are not shown
CAMERAS_PER_OWNER = 4  # at most this many of one owner's cameras count
EPSILON_OWNERS = 1.0
EPSILON_CAMERAS = 0.5
RELEASES_PER_YEAR = 12
IMPORTED_OWNER_PREFIX = "import-"  # registry.importing: each imported business its own owner

metadata = sa.MetaData()

releases = sa.Table(
    "public_coverage_releases",
    metadata,
    sa.Column("period", sa.String(7), primary_key=True),  # "YYYY-MM", UTC
    sa.Column("published_at", UtcDateTime(), nullable=False),
    sa.Column("epsilon", sa.Float, nullable=False),
    sa.Column("delta", sa.Float, nullable=False),
    sa.Column("blocks", sa.Text, nullable=False),  # JSON [[row, col, owners, cameras], ...]
)


@dataclass(frozen=True, slots=True)
class BlockFigure:
    """One square of the public map and its noisy counts."""

    block: Block
    owners: int
    cameras: int

    @property
    def box(self) -> BoundingBox:
        return self.block.box


@dataclass(frozen=True, slots=True)
class Release:
    """The figures everyone sees for one month."""

    period: str
    published_at: datetime
    epsilon: float
    delta: float
    blocks: tuple[BlockFigure, ...]

    def in_box(self, box: BoundingBox) -> list[BlockFigure]:
        """The blocks that overlap the box: the box chooses blocks, never what they count."""
        return [
            f
            for f in self.blocks
            if f.box.south <= box.north
            and f.box.north >= box.south
            and f.box.west <= box.east
            and f.box.east >= box.west
        ]


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one owner adds to the map before noise: one block, a bounded number of cameras."""

    block: Block
    cameras: int


def period_of(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m}"


def period_start(period: str) -> datetime:
    return datetime(int(period[:4]), int(period[5:]), 1, tzinfo=UTC)


def next_period_start(period: str) -> datetime:
    year, month = int(period[:4]), int(period[5:])
    return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)


def contributions(conn: sa.Connection, period: str) -> dict[str, Contribution]:
    """Each counted owner's contribution for the month's release (the mechanism's input).

    An owner counts when their account is verified and was opened, and their site registered,
    at least `STANDING` before the month began; an imported business counts as its own owner.
    """
    cutoff = period_start(period) - STANDING
    per_site = (
        sa.select(cameras.c.site_id, sa.func.count().label("n"))
        .group_by(cameras.c.site_id)
        .subquery()
    )
    position = (
        [sites.c.cell_row, sites.c.cell_col]
        if "cell_row" in sites.c
        else [sites.c.latitude, sites.c.longitude]
    )
    imported = sa.and_(
        users.c.user_id.is_(None), sites.c.owner_id.startswith(IMPORTED_OWNER_PREFIX)
    )
    of_standing = sa.and_(
        users.c.verified.is_(True),
        users.c.created_at <= cutoff,
        sites.c.registered_at <= cutoff,
    )
    query = (
        sa.select(
            sites.c.owner_id, *position, sa.func.coalesce(per_site.c.n, 0), sites.c.registered_at
        )
        .join_from(sites, users, users.c.user_id == sites.c.owner_id, isouter=True)
        .join(per_site, per_site.c.site_id == sites.c.site_id, isouter=True)
        .where(sites.c.status == "active", sa.or_(imported, of_standing))
        .order_by(sites.c.owner_id, sites.c.registered_at, sites.c.site_id)
    )
    found: dict[str, Contribution] = {}
    for row in conn.execute(query):
        owner_id, first, second, n = row[0], row[1], row[2], row[3]
        if first is None or second is None:
            continue
        cell = Cell(first, second) if "cell_row" in sites.c else cell_of(first, second)
        block = cell.block
        counted = found.get(owner_id)
        if counted is None:
            found[owner_id] = Contribution(block, min(int(n), CAMERAS_PER_OWNER))
        elif counted.block == block:  # the owner's other sites in the same block
            found[owner_id] = Contribution(block, min(counted.cameras + int(n), CAMERAS_PER_OWNER))
    return found


def _owners_mechanism() -> dp.Measurement:
    domain = dp.map_domain(dp.atom_domain(T=str), dp.atom_domain(T=int))
    metric = dp.l01inf_distance(dp.absolute_distance(T=int))
    return dp.m.make_laplace_threshold(
        domain, metric, scale=1.0 / EPSILON_OWNERS, threshold=THRESHOLD
    )


def _cameras_mechanism() -> dp.Measurement:
    domain = dp.vector_domain(dp.atom_domain(T=int))
    return dp.m.make_laplace(
        domain, dp.l1_distance(T=int), scale=CAMERAS_PER_OWNER / EPSILON_CAMERAS
    )


def budget() -> tuple[float, float]:
    """(epsilon, delta) of one release, as OpenDP's privacy maps state them for one owner:
    one block changed by one owner and by at most `CAMERAS_PER_OWNER` cameras."""
    epsilon_owners, delta = _owners_mechanism().map((1, 1, 1))  # type: ignore[no-untyped-call]
    epsilon_cameras = _cameras_mechanism().map(CAMERAS_PER_OWNER)  # type: ignore[no-untyped-call]
    return float(epsilon_owners) + float(epsilon_cameras), float(delta)


def noisy_blocks(counted: dict[str, Contribution]) -> list[BlockFigure]:
    """One draw of the mechanism: noisy owners per block above the threshold, their cameras."""
    owners: defaultdict[str, int] = defaultdict(int)
    camera_totals: defaultdict[str, int] = defaultdict(int)
    for contribution in counted.values():
        key = f"{contribution.block.row}:{contribution.block.col}"
        owners[key] += 1
        camera_totals[key] += contribution.cameras
    kept: dict[str, int] = _owners_mechanism()(dict(owners)) if owners else {}
    keys = sorted(kept)
    noisy_cameras = _cameras_mechanism()([camera_totals[k] for k in keys]) if keys else []
    figures = []
    for key, n_cameras in zip(keys, noisy_cameras, strict=True):
        row, col = key.split(":")
        # Post-processing: a count shown is never negative, and never fewer cameras than owners.
        shown_owners = max(0, int(kept[key]))
        figures.append(
            BlockFigure(Block(int(row), int(col)), shown_owners, max(shown_owners, int(n_cameras)))
        )
    return sorted(figures, key=lambda f: f.block)


def release_for(engine: sa.Engine, now: datetime) -> Release:
    """The month's release: the stored one, or a new one made and stored now (the first
    request of the month makes it; when two race, both serve the one that was stored)."""
    period = period_of(now)
    with engine.connect() as conn:
        stored = _stored(conn, period)
    if stored is not None:
        return stored
    with engine.connect() as conn:
        figures = noisy_blocks(contributions(conn, period))
    epsilon, delta = budget()
    row = {
        "period": period,
        "published_at": now,
        "epsilon": epsilon,
        "delta": delta,
        "blocks": json.dumps([[f.block.row, f.block.col, f.owners, f.cameras] for f in figures]),
    }
    try:
        with engine.begin() as conn:
            conn.execute(releases.insert().values(**row))
    except sa.exc.IntegrityError:
        pass  # another request stored the month's release first: serve that one
    with engine.connect() as conn:
        stored = _stored(conn, period)
    assert stored is not None
    return stored


def _stored(conn: sa.Connection, period: str) -> Release | None:
    row = conn.execute(sa.select(releases).where(releases.c.period == period)).first()
    if row is None:
        return None
    blocks = tuple(
        BlockFigure(Block(r, c), owners, n_cameras)
        for r, c, owners, n_cameras in json.loads(row.blocks)
    )
    return Release(row.period, row.published_at, row.epsilon, row.delta, blocks)


def published(release: Release, box: BoundingBox) -> dict[str, Any]:
    """The public answer for a box: the release's blocks in it, and what the numbers mean."""
    return {
        "period": release.period,
        "published_at": release.published_at,
        "next_release_at": next_period_start(release.period),
        "privacy": {
            "epsilon_per_release": round(release.epsilon, 6),
            "delta_per_release": release.delta,
            "releases_per_year": RELEASES_PER_YEAR,
            "epsilon_per_year": round(release.epsilon * RELEASES_PER_YEAR, 6),
            "delta_per_year": release.delta * RELEASES_PER_YEAR,
            "minimum_owners_shown": THRESHOLD,
            "cameras_per_owner_counted": CAMERAS_PER_OWNER,
            "owner_standing_days": STANDING.days,
            "block_cells": BLOCK,
        },
        "blocks": [
            {
                "south": f.box.south,
                "west": f.box.west,
                "north": f.box.north,
                "east": f.box.east,
                "owners": f.owners,
                "cameras": f.cameras,
            }
            for f in release.in_box(box)
        ],
    }
