"""The registry's read model: one row per site and per camera, nothing personal in clear.

A site row keeps in clear only what searches and counts need: ids, the owner's pseudonymous
id, kind, status, consent, timestamps and the coarse cell (about a hundred metres) the site
lies in. Its label, address and exact position are sealed together for the owner in one
`private` column, and a camera's label for the site's owner: deleting the owner's key erases
them in live rows, dead tuples and write-ahead logs alike.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.errors import SubjectErasedError
from events_store.sealing import open_row, seal_row
from events_store.vault import KeyVault

from . import events as e
from .cells import cell_of
from .sealing import from_recorded

metadata = sa.MetaData()

SITES = "registry_sites"
CAMERAS = "registry_cameras"
SITE_PRIVATE = ("label", "address", "latitude", "longitude", "location_source")
SOURCE_PSEUDONYM = "registry-source"  # the vault's pseudonym purpose for import references

sites = sa.Table(
    SITES,
    metadata,
    sa.Column("site_id", sa.String(64), primary_key=True),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("cell_row", sa.Integer),
    sa.Column("cell_col", sa.Integer),
    # Sealed for the owner: label, address, latitude, longitude, location_source.
    sa.Column("private", sa.Text),
    # A keyed pseudonym of an import's source reference, so that it stays unique.
    sa.Column("source_key", sa.String(64), unique=True),
    sa.Column("contact_for_requests", sa.Boolean, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("share_exact_location", sa.Boolean, nullable=False),
    sa.Column("registered_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
    sa.Index("registry_sites_cell", "cell_row", "cell_col"),
)

cameras = sa.Table(
    CAMERAS,
    metadata,
    sa.Column("camera_id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    # Sealed for the site's owner: the camera's label.
    sa.Column("private", sa.Text),
    sa.Column("bearing_degrees", sa.Float, nullable=False),
    sa.Column("field_of_view_degrees", sa.Float, nullable=False),
    sa.Column("range_metres", sa.Float, nullable=False),
    sa.Column("placement", sa.String(16), nullable=False),
    sa.Column("recording", sa.String(16), nullable=False),
    sa.Column("retention_days", sa.Integer, nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

Handler = Callable[[sa.Connection, Any, datetime], None]


# The accounts' tombstone (accounts.events.AccountErased), known here by its stored name.
OWNER_ERASED = "AccountErased"


class RegistryProjection:
    """Keeps `registry_sites` and `registry_cameras` up to date, their personal columns sealed."""

    name = "registry"
    event_types = frozenset({*e.EVENT_TYPES, OWNER_ERASED})

    def __init__(self, vault: KeyVault, dialect_name: str = "") -> None:
        self._vault = vault
        self._handlers: dict[type, Handler] = {
            e.SiteRegistered: self._registered,
            e.SiteDetailsChanged: self._details_changed,
            e.CameraAdded: self._camera_added,
            e.CameraChanged: self._camera_changed,
            e.CameraRemoved: self._camera_removed,
            e.ConsentChanged: self._consent_changed,
            e.SitePaused: self._status("paused"),
            e.SiteResumed: self._status("active"),
            e.SiteUnregistered: self._unregistered,
        }

    def apply(self, conn: sa.Connection, events: Sequence[RecordedEvent]) -> None:
        """Apply the registry's events of a batch; other events pass by."""
        for recorded in events:
            if recorded.type in e.EVENT_TYPES:
                event = from_recorded(self._vault, recorded)
                self._handlers[type(event)](conn, event, recorded.recorded_at)
            elif recorded.type == OWNER_ERASED:
                self._forget_owner(conn, recorded.data["user_id"])

    def clear(self, conn: sa.Connection) -> None:
        """Empty the read model before a rebuild."""
        conn.execute(cameras.delete())
        conn.execute(sites.delete())

    def _registered(self, conn: sa.Connection, event: e.SiteRegistered, at: datetime) -> None:
        conn.execute(
            sites.insert().values(
                site_id=event.site_id,
                owner_id=event.owner_id,
                kind=event.kind,
                status="active",
                **self._place(event.owner_id, event.site_id, event),
                source_key=(
                    self._vault.pseudonym(SOURCE_PSEUDONYM, event.source_ref)
                    if event.source_ref
                    else None
                ),
                contact_for_requests=event.contact_for_requests,
                categories=json.dumps(event.categories),
                share_exact_location=event.share_exact_location,
                registered_at=at,
                updated_at=at,
            )
        )

    def _details_changed(
        self, conn: sa.Connection, event: e.SiteDetailsChanged, at: datetime
    ) -> None:
        owner_id = self._owner_of(conn, event.site_id)
        if owner_id is not None:
            self._update_site(
                conn, event.site_id, at, **self._place(owner_id, event.site_id, event)
            )

    def _camera_added(self, conn: sa.Connection, event: e.CameraAdded, at: datetime) -> None:
        owner_id = self._owner_of(conn, event.site_id)
        conn.execute(cameras.insert().values(**self._camera_row(owner_id, event), updated_at=at))
        self._update_site(conn, event.site_id, at)

    def _camera_changed(self, conn: sa.Connection, event: e.CameraChanged, at: datetime) -> None:
        row = self._camera_row(self._owner_of(conn, event.site_id), event)
        conn.execute(
            cameras.update()
            .where(cameras.c.camera_id == row.pop("camera_id"))
            .values(**row, updated_at=at)
        )
        self._update_site(conn, event.site_id, at)

    def _camera_removed(self, conn: sa.Connection, event: e.CameraRemoved, at: datetime) -> None:
        conn.execute(cameras.delete().where(cameras.c.camera_id == event.camera_id))
        self._update_site(conn, event.site_id, at)

    def _consent_changed(self, conn: sa.Connection, event: e.ConsentChanged, at: datetime) -> None:
        self._update_site(
            conn,
            event.site_id,
            at,
            contact_for_requests=event.contact_for_requests,
            categories=json.dumps(event.categories),
            share_exact_location=event.share_exact_location,
        )

    def _status(self, status: str) -> Handler:
        def set_status(conn: sa.Connection, event: e.RegistryEvent, at: datetime) -> None:
            self._update_site(conn, event.site_id, at, status=status)

        return set_status

    def _unregistered(self, conn: sa.Connection, event: e.SiteUnregistered, at: datetime) -> None:
        conn.execute(cameras.delete().where(cameras.c.site_id == event.site_id))
        # A site that has left keeps no name, address, position or cell any more.
        self._update_site(
            conn, event.site_id, at, status="unregistered", private=None, cell_row=None,
            cell_col=None,
        )  # fmt: skip

    def _forget_owner(self, conn: sa.Connection, owner_id: str) -> None:
        """An erased owner's sites and cameras leave the read model entirely."""
        owned = sa.select(sites.c.site_id).where(sites.c.owner_id == owner_id)
        conn.execute(cameras.delete().where(cameras.c.site_id.in_(owned)))
        conn.execute(sites.delete().where(sites.c.owner_id == owner_id))

    def _place(
        self,
        owner_id: str,
        site_id: str,
        event: e.SiteRegistered | e.SiteDetailsChanged,
    ) -> dict[str, Any]:
        """The sealed and the coarse columns of a site's name and place."""
        if event.latitude is None or event.longitude is None:
            return {"private": None, "cell_row": None, "cell_col": None}  # the owner is erased
        cell = cell_of(event.latitude, event.longitude)
        personal = {
            "label": event.label,
            "address": event.address,
            "latitude": event.latitude,
            "longitude": event.longitude,
            "location_source": event.location_source,
        }
        sealed = self._seal(owner_id, SITES, site_id, personal)
        return {"private": sealed, "cell_row": cell.row, "cell_col": cell.col}

    def _camera_row(self, owner_id: str | None, event: e.CameraAdded) -> dict[str, Any]:
        private = None
        if owner_id is not None and event.label is not None:
            private = self._seal(owner_id, CAMERAS, event.camera_id, {"label": event.label})
        return {
            "camera_id": event.camera_id,
            "site_id": event.site_id,
            "private": private,
            "bearing_degrees": event.bearing_degrees,
            "field_of_view_degrees": event.field_of_view_degrees,
            "range_metres": event.range_metres,
            "placement": event.placement,
            "recording": event.recording,
            "retention_days": event.retention_days,
        }

    def _seal(self, owner_id: str, table: str, row_id: str, values: dict[str, Any]) -> str | None:
        # An owner forgotten after this event was stored (a rebuild, or a late catch-up):
        # there is nothing left to keep, and the erasure's own event removes the row.
        with contextlib.suppress(SubjectErasedError):
            return seal_row(self._vault, owner_id, table, row_id, values)
        return None

    def _update_site(self, conn: sa.Connection, site_id: str, at: datetime, **values: Any) -> None:
        conn.execute(
            sites.update().where(sites.c.site_id == site_id).values(**values, updated_at=at)
        )

    @staticmethod
    def _owner_of(conn: sa.Connection, site_id: str) -> str | None:
        owner = conn.execute(sa.select(sites.c.owner_id).where(sites.c.site_id == site_id))
        return owner.scalar()


def opened_site(vault: KeyVault, row: dict[str, Any]) -> dict[str, Any]:
    """A site row with its sealed columns opened in their place (None once erased)."""
    opened = open_row(vault, row.get("private"), SITES, row["site_id"]) or {}
    return {k: v for k, v in row.items() if k != "private"} | {
        name: opened.get(name) for name in SITE_PRIVATE
    }


def opened_camera(vault: KeyVault, row: dict[str, Any]) -> dict[str, Any]:
    """A camera row with its label opened in its place (None once erased)."""
    opened = open_row(vault, row.get("private"), CAMERAS, row["camera_id"]) or {}
    return {k: v for k, v in row.items() if k != "private"} | {"label": opened.get("label")}
