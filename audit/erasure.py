"""Erasing an owner: what leaving with one's data taken along means, in one place.

1. Their sites leave the registry (an event per site, as if they had unregistered each).
2. Every file they sent is deleted, each deletion recorded in the file's chain of custody.
3. The account's tombstone is appended; every read model forgets the person when it sees it
   (accounts, sites and cameras; requests keep only statuses and a pseudonymous id).
4. Their data key is deleted: the personal fields of their past events, sealed with it, are
   unreadable for good, while the events' hashes and every proof still verify.
5. Every email about them leaves the outbox.
6. On SQLite, the write-ahead log is emptied, so no old page with their data stays in it
   (deleted rows are overwritten with zeros as they go: `secure_delete` is on).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from accounts.handlers import AccountService
from accounts.projection import users
from canvass.intake import FootageDesk
from canvass.projection import requests
from events_store.database import checkpoint_sqlite_wal
from events_store.outbox import Outbox
from events_store.projections import ProjectionRunner
from events_store.vault import KeyVault
from registry import commands as rc
from registry.handlers import RegistryService
from registry.projection import sites


@dataclass(frozen=True)
class Erasure:
    """What an erasure did."""

    user_id: str
    sites_unregistered: int
    files_deleted: int
    newly_erased: bool


class Eraser:
    """Erases owners for good, on their request or after long inactivity."""

    def __init__(
        self,
        engine: sa.Engine,
        vault: KeyVault,
        projections: ProjectionRunner,
        accounts: AccountService,
        registry: RegistryService,
        footage: FootageDesk,
        outbox: Outbox,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._projections = projections
        self._accounts = accounts
        self._registry = registry
        self._footage = footage
        self._outbox = outbox

    def erase_owner(self, user_id: str, reason: str, actor: str) -> Erasure:
        """Erase an owner and everything personal about them; safe to run again."""
        left = self._unregister_sites(user_id, actor)
        files = self._footage.purge_owner(user_id)
        newly = self._accounts.erase(user_id, reason, actor)
        self._vault.forget(user_id)
        with self._engine.begin() as conn:
            self._outbox.forget_subject(conn, user_id)
        self._projections.catch_up()
        checkpoint_sqlite_wal(self._engine, "TRUNCATE")
        return Erasure(user_id, left, files, newly)

    def apply_retention(
        self, now: datetime, inactive: timedelta, notice: timedelta
    ) -> tuple[int, int]:
        """Owners inactive for `inactive` are told they will be erased after `notice`; those
        still inactive when it has passed are erased. Returns (told, erased)."""
        told = erased = 0
        for owner in self._owners():
            active = max(filter(None, (owner.updated_at, owner.site_at, owner.answered_at)))
            if owner.erase_after is None:
                if active <= now - inactive:
                    self._accounts.send_erasure_notice(owner.user_id, now + notice)
                    told += 1
            elif owner.erase_after <= now:
                if active > owner.erase_after - notice:
                    self._accounts.keep(owner.user_id)  # they came back since the notice
                else:
                    self.erase_owner(owner.user_id, "inactive", "retention")
                    erased += 1
        return told, erased

    def _owners(self) -> list[Any]:
        site_at = (
            sa.select(sa.func.max(sites.c.updated_at))
            .where(sites.c.owner_id == users.c.user_id)
            .scalar_subquery()
        )
        answered_at = (
            sa.select(sa.func.max(requests.c.answered_at))
            .where(requests.c.owner_id == users.c.user_id)
            .scalar_subquery()
        )
        query = sa.select(
            users.c.user_id,
            users.c.updated_at,
            users.c.erase_after,
            site_at.label("site_at"),
            answered_at.label("answered_at"),
        ).where(users.c.role == "owner")
        with self._engine.connect().execution_options(read_only=True) as conn:
            return list(conn.execute(query))

    def _unregister_sites(self, owner_id: str, actor: str) -> int:
        query = sa.select(sites.c.site_id).where(
            sites.c.owner_id == owner_id, sites.c.status != "unregistered"
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            site_ids = list(conn.execute(query).scalars())
        for site_id in site_ids:
            self._registry.execute(rc.UnregisterSite(site_id, owner_id), {"actor": actor})
        return len(site_ids)
