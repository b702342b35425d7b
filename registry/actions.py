"""What the API and the pages both do for an owner: find, show, register, add a camera."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from geopy.exc import GeopyError

from accounts.auth import current_user
from events_store.vault import KeyVault

from . import commands as c
from .errors import InvalidSite, SiteNotFound
from .handlers import RegistryService
from .projection import opened_site, sites
from .queries import cameras_of_site


def registry() -> RegistryService:
    """The current app's registry service."""
    service: RegistryService = current_app.extensions["canvass"].registry
    return service


def vault() -> KeyVault:
    """The current app's key vault: an owner's own labels and places open with it."""
    opened: KeyVault = current_app.extensions["canvass"].vault
    return opened


def owner_id() -> str:
    """The id of the owner making this request."""
    user = current_user()
    assert user is not None
    return user.user_id


def metadata() -> dict[str, Any]:
    """Who did it, for the events."""
    user = current_user()
    assert user is not None
    return {"actor": user.user_id, "role": user.role, "request_id": g.get("request_id")}


def execute(command: c.SiteCommand) -> None:
    """Carry out a command as the current owner."""
    registry().execute(command, metadata())


def register(body: dict[str, Any]) -> dict[str, Any]:
    """Register a site (and its cameras) from a validated body; return it."""
    latitude, longitude, source = locate(body)
    site_id = str(uuid.uuid4())
    cameras = tuple(
        c.NewCamera(str(uuid.uuid4()), c.CameraSpec(**camera)) for camera in body.get("cameras", [])
    )
    execute(
        c.RegisterSite(
            site_id, owner_id(), body["kind"], body["label"], body["address"], latitude,
            longitude, location_source=source, contact_for_requests=body["contact_for_requests"],
            categories=tuple(body["categories"]),
            share_exact_location=body["share_exact_location"], cameras=cameras,
        )
    )  # fmt: skip
    return site_view(site_id)


def set_consent(site_id: str, choices: dict[str, Any]) -> None:
    """Record every consent choice of a site, from a validated body (or the site merged
    with a partial one)."""
    execute(
        c.SetConsent(
            site_id, owner_id(), choices["contact_for_requests"], tuple(choices["categories"]),
            choices["share_exact_location"],
        )
    )  # fmt: skip


def add_camera(site_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Add a camera from a validated body; return it."""
    camera_id = str(uuid.uuid4())
    execute(c.AddCamera(site_id, owner_id(), camera_id, c.CameraSpec(**body)))
    return camera_of(site_id, camera_id)


def locate(body: dict[str, Any]) -> tuple[float, float, str]:
    """The position to register: the pin if given, else the address's only match."""
    if body.get("latitude") is not None:
        return body["latitude"], body["longitude"], "pin"
    places = candidates(body["address"])
    if not places:
        raise InvalidSite(
            {"address": ["We could not find this address. Check it, or drop a pin on the map."]}
        )
    if len(places) > 1:
        options = "; ".join(place.address for place in places[:5])
        raise InvalidSite(
            {"address": [f"This address matches several places ({options}). Add the town "
                         "or postcode, or drop a pin on the map."]}
        )  # fmt: skip
    return places[0].latitude, places[0].longitude, "address"


def site_view(site_id: str) -> dict[str, Any]:
    """A site of the current owner with its cameras; SiteNotFound for anyone else's."""
    with read() as conn:
        row = conn.execute(
            sa.select(sites).where(
                sites.c.site_id == site_id,
                sites.c.owner_id == owner_id(),
                sites.c.status != "unregistered",
            )
        ).first()
        if row is None:
            raise SiteNotFound(site_id)
        return with_cameras(conn, opened_site(vault(), dict(row._mapping)))


def with_cameras(conn: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    """An opened site row with its consent decoded and its cameras attached."""
    return row | {
        "categories": json.loads(row["categories"]),
        "cameras": cameras_of_site(conn, vault(), row["site_id"]),
    }


def camera_of(site_id: str, camera_id: str) -> dict[str, Any]:
    """One camera of one of the owner's sites."""
    cameras = site_view(site_id)["cameras"]
    return next(camera for camera in cameras if camera["camera_id"] == camera_id)


def candidates(address: str) -> list[Any]:
    """The places an address may be, from the configured geocoder."""
    try:
        found = current_app.extensions["canvass"].geocoder.geocode(address, exactly_one=False)
    except GeopyError:
        raise InvalidSite(
            {"address": ["The address service is not answering. Drop a pin on the map instead."]}
        ) from None
    return list(found or [])


def read() -> sa.Connection:
    """A read-only connection to the read models."""
    engine: sa.Engine = current_app.extensions["canvass"].engine
    return engine.connect().execution_options(read_only=True)
