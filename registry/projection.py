"""The registry's read model: one row per site and per camera, and the spatial index."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from events_store import RecordedEvent
from events_store.database import UtcDateTime
from events_store.vault import KeyVault

from . import events as e
from .sealing import from_recorded
from .spatial import SpatialIndex, spatial_index_for

metadata = sa.MetaData()

sites = sa.Table(
    "registry_sites",
    metadata,
    sa.Column("site_key", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(64), nullable=False, unique=True),
    sa.Column("owner_id", sa.String(64), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("latitude", sa.Float),
    sa.Column("longitude", sa.Float),
    sa.Column("location_source", sa.String(16), nullable=False),
    sa.Column("source_ref", sa.String(200), unique=True),
    sa.Column("contact_for_requests", sa.Boolean, nullable=False),
    sa.Column("categories", sa.Text, nullable=False),
    sa.Column("share_exact_location", sa.Boolean, nullable=False),
    sa.Column("registered_at", UtcDateTime(), nullable=False),
    sa.Column("updated_at", UtcDateTime(), nullable=False),
)

cameras = sa.Table(
    "registry_cameras",
    metadata,
    sa.Column("camera_id", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(64), nullable=False),
    sa.Column("label", sa.String(100), nullable=False),
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
    """Keeps `registry_sites`, `registry_cameras` and the spatial index up to date."""

    name = "registry"
    event_types = frozenset({*e.EVENT_TYPES, OWNER_ERASED})

    def __init__(self, vault: KeyVault, dialect_name: str) -> None:
        self._vault = vault
        self._index: SpatialIndex = spatial_index_for(dialect_name)
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
        self._index.clear(conn)
        conn.execute(cameras.delete())
        conn.execute(sites.delete())

    def _registered(self, conn: sa.Connection, event: e.SiteRegistered, at: datetime) -> None:
        inserted = conn.execute(
            sites.insert()
            .returning(sites.c.site_key)
            .values(
                site_id=event.site_id,
                owner_id=event.owner_id,
                kind=event.kind,
                label=event.label,
                status="active",
                address=event.address,
                latitude=event.latitude,
                longitude=event.longitude,
                location_source=event.location_source,
                source_ref=event.source_ref,
                contact_for_requests=event.contact_for_requests,
                categories=json.dumps(event.categories),
                share_exact_location=event.share_exact_location,
                registered_at=at,
                updated_at=at,
            )
        )
        if event.latitude is not None and event.longitude is not None:
            self._index.put(conn, inserted.scalar_one(), event.latitude, event.longitude)

    def _details_changed(
        self, conn: sa.Connection, event: e.SiteDetailsChanged, at: datetime
    ) -> None:
        self._update_site(
            conn,
            event.site_id,
            at,
            label=event.label,
            address=event.address,
            latitude=event.latitude,
            longitude=event.longitude,
            location_source=event.location_source,
        )
        self._place(conn, event.site_id, event.latitude, event.longitude)

    def _camera_added(self, conn: sa.Connection, event: e.CameraAdded, at: datetime) -> None:
        conn.execute(cameras.insert().values(**_camera_row(event), updated_at=at))
        self._update_site(conn, event.site_id, at)

    def _camera_changed(self, conn: sa.Connection, event: e.CameraChanged, at: datetime) -> None:
        row = _camera_row(event)
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
        self._index.remove(conn, self._site_key(conn, event.site_id))
        # A site that has left needs no address or position any more.
        self._update_site(
            conn,
            event.site_id,
            at,
            status="unregistered",
            address=None,
            latitude=None,
            longitude=None,
        )

    def _forget_owner(self, conn: sa.Connection, owner_id: str) -> None:
        """An erased owner's sites and cameras leave the read model entirely."""
        owned = list(
            conn.execute(
                sa.select(sites.c.site_key, sites.c.site_id).where(sites.c.owner_id == owner_id)
            )
        )
        for site_key, site_id in owned:
            conn.execute(cameras.delete().where(cameras.c.site_id == site_id))
            self._index.remove(conn, site_key)
        conn.execute(sites.delete().where(sites.c.owner_id == owner_id))

    def _place(
        self, conn: sa.Connection, site_id: str, latitude: float | None, longitude: float | None
    ) -> None:
        key = self._site_key(conn, site_id)
        if latitude is None or longitude is None:
            self._index.remove(conn, key)
        else:
            self._index.put(conn, key, latitude, longitude)

    def _update_site(self, conn: sa.Connection, site_id: str, at: datetime, **values: Any) -> None:
        conn.execute(
            sites.update().where(sites.c.site_id == site_id).values(**values, updated_at=at)
        )

    @staticmethod
    def _site_key(conn: sa.Connection, site_id: str) -> int:
        return int(
            conn.execute(sa.select(sites.c.site_key).where(sites.c.site_id == site_id)).scalar_one()
        )


def _camera_row(event: e.CameraAdded) -> dict[str, Any]:
    return {
        "camera_id": event.camera_id,
        "site_id": event.site_id,
        "label": event.label,
        "bearing_degrees": event.bearing_degrees,
        "field_of_view_degrees": event.field_of_view_degrees,
        "range_metres": event.range_metres,
        "placement": event.placement,
        "recording": event.recording,
        "retention_days": event.retention_days,
    }
