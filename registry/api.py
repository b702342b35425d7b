"""The registry REST API: an owner's sites, their cameras and consent; address lookup."""

from __future__ import annotations

import json
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app, g
from flask_smorest import Blueprint
from geopy.exc import GeopyError

from accounts.auth import api_login_required, current_user

from . import commands as c
from . import schemas as s
from .errors import InvalidSite, SiteNotFound
from .handlers import RegistryService
from .projection import sites
from .queries import cameras_of_site, sites_of_owner

blp = Blueprint("registry", __name__, url_prefix="/api/v1", description="Sites and cameras")
owner_only = api_login_required("owner")


def _registry() -> RegistryService:
    service: RegistryService = current_app.extensions["canvass"].registry
    return service


def _owner() -> str:
    user = current_user()
    assert user is not None
    return user.user_id


def _metadata() -> dict[str, Any]:
    user = current_user()
    assert user is not None
    return {"actor": user.user_id, "role": user.role, "request_id": g.get("request_id")}


@blp.get("/sites")
@blp.response(200, s.SiteListSchema)
@owner_only
def list_sites() -> dict[str, Any]:
    """Your registered sites, newest first, with their cameras."""
    with _read() as conn:
        return {"sites": [_with_cameras(conn, row) for row in sites_of_owner(conn, _owner())]}


@blp.post("/sites")
@blp.arguments(s.NewSiteSchema)
@blp.response(201, s.SiteSchema)
@owner_only
def register_site(body: dict[str, Any]) -> dict[str, Any]:
    """Register a site by street address or map pin, with its cameras and consent."""
    latitude, longitude, source = locate(body)
    site_id = str(uuid.uuid4())
    registry, owner = _registry(), _owner()
    registry.execute(
        c.RegisterSite(
            site_id,
            owner,
            body["kind"],
            body["label"],
            body["address"],
            latitude,
            longitude,
            location_source=source,
            contact_for_requests=body["contact_for_requests"],
            categories=tuple(body["categories"]),
            share_exact_location=body["share_exact_location"],
        ),
        _metadata(),
    )
    for camera in body["cameras"]:
        registry.execute(
            c.AddCamera(site_id, owner, str(uuid.uuid4()), c.CameraSpec(**camera)), _metadata()
        )
    return site_view(site_id)


@blp.get("/sites/<site_id>")
@blp.response(200, s.SiteSchema)
@owner_only
def get_site(site_id: str) -> dict[str, Any]:
    """One of your sites."""
    return site_view(site_id)


@blp.patch("/sites/<site_id>")
@blp.arguments(s.SiteLocationSchema)
@blp.response(200, s.SiteSchema)
@owner_only
def change_site(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Change a site's name, address or position."""
    site_view(site_id)
    latitude, longitude, source = locate(body)
    _registry().execute(
        c.ChangeSiteDetails(
            site_id, _owner(), body["label"], body["address"], latitude, longitude, source
        ),
        _metadata(),
    )
    return site_view(site_id)


@blp.put("/sites/<site_id>/consent")
@blp.arguments(s.ConsentSchema)
@blp.response(200, s.SiteSchema)
@owner_only
def set_consent(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Say whether and for what you may be asked for footage."""
    _registry().execute(
        c.SetConsent(
            site_id,
            _owner(),
            body["contact_for_requests"],
            tuple(body["categories"]),
            body["share_exact_location"],
        ),
        _metadata(),
    )
    return site_view(site_id)


@blp.post("/sites/<site_id>/pause")
@blp.response(200, s.SiteSchema)
@owner_only
def pause_site(site_id: str) -> dict[str, Any]:
    """Pause a site: no requests reach you until you resume it."""
    _registry().execute(c.PauseSite(site_id, _owner()), _metadata())
    return site_view(site_id)


@blp.post("/sites/<site_id>/resume")
@blp.response(200, s.SiteSchema)
@owner_only
def resume_site(site_id: str) -> dict[str, Any]:
    """Resume a paused site."""
    _registry().execute(c.ResumeSite(site_id, _owner()), _metadata())
    return site_view(site_id)


@blp.delete("/sites/<site_id>")
@blp.response(204)
@owner_only
def unregister_site(site_id: str) -> None:
    """Unregister a site: it leaves every search at once."""
    _registry().execute(c.UnregisterSite(site_id, _owner()), _metadata())


@blp.post("/sites/<site_id>/cameras")
@blp.arguments(s.CameraSchema)
@blp.response(201, s.CameraSchema)
@owner_only
def add_camera(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Add a camera to one of your sites."""
    camera_id = str(uuid.uuid4())
    _registry().execute(
        c.AddCamera(site_id, _owner(), camera_id, c.CameraSpec(**body)), _metadata()
    )
    return _camera(site_id, camera_id)


@blp.patch("/sites/<site_id>/cameras/<camera_id>")
@blp.arguments(s.CameraSchema)
@blp.response(200, s.CameraSchema)
@owner_only
def change_camera(body: dict[str, Any], site_id: str, camera_id: str) -> dict[str, Any]:
    """Change how a camera is set up."""
    _registry().execute(
        c.ChangeCamera(site_id, _owner(), camera_id, c.CameraSpec(**body)), _metadata()
    )
    return _camera(site_id, camera_id)


@blp.delete("/sites/<site_id>/cameras/<camera_id>")
@blp.response(204)
@owner_only
def remove_camera(site_id: str, camera_id: str) -> None:
    """Remove a camera from a site."""
    _registry().execute(c.RemoveCamera(site_id, _owner(), camera_id), _metadata())


@blp.get("/geocode")
@blp.arguments(s.GeocodeQuerySchema, location="query")
@blp.response(200, s.GeocodeSchema)
@api_login_required()
def geocode(query: dict[str, Any]) -> dict[str, Any]:
    """The places an address may be: none, one, or several to choose from."""
    return {"candidates": [_place(p) for p in _candidates(query["address"])]}


def locate(body: dict[str, Any]) -> tuple[float, float, str]:
    """The position to register: the pin if given, else the address's only match."""
    if body.get("latitude") is not None:
        return body["latitude"], body["longitude"], "pin"
    places = _candidates(body["address"])
    if not places:
        raise InvalidSite(
            {"address": ["We could not find this address. Check it, or drop a pin on the map."]}
        )
    if len(places) > 1:
        options = "; ".join(place.address for place in places[:5])
        raise InvalidSite(
            {
                "address": [
                    f"This address matches several places ({options}). Add the town "
                    "or postcode, or drop a pin on the map."
                ]
            }
        )
    return places[0].latitude, places[0].longitude, "address"


def site_view(site_id: str) -> dict[str, Any]:
    """A site of the current owner with its cameras; 404 for anyone else's."""
    with _read() as conn:
        row = conn.execute(
            sa.select(sites).where(
                sites.c.site_id == site_id,
                sites.c.owner_id == _owner(),
                sites.c.status != "unregistered",
            )
        ).first()
        if row is None:
            raise SiteNotFound(site_id)
        return _with_cameras(conn, dict(row._mapping))


def _with_cameras(conn: sa.Connection, row: dict[str, Any]) -> dict[str, Any]:
    return row | {
        "categories": json.loads(row["categories"]),
        "cameras": cameras_of_site(conn, row["site_id"]),
    }


def _camera(site_id: str, camera_id: str) -> dict[str, Any]:
    cameras = site_view(site_id)["cameras"]
    return next(camera for camera in cameras if camera["camera_id"] == camera_id)


def _candidates(address: str) -> list[Any]:
    try:
        found = current_app.extensions["canvass"].geocoder.geocode(address, exactly_one=False)
    except GeopyError:
        raise InvalidSite(
            {"address": ["The address service is not answering. Drop a pin on the map instead."]}
        ) from None
    return list(found or [])


def _place(location: Any) -> dict[str, Any]:
    return {
        "address": location.address,
        "latitude": location.latitude,
        "longitude": location.longitude,
    }


def _read() -> sa.Connection:
    engine: sa.Engine = current_app.extensions["canvass"].engine
    return engine.connect().execution_options(read_only=True)
