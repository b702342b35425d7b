"""The registry REST API: an owner's sites, their cameras and consent; address lookup."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from accounts.auth import api_allows

from . import actions as a
from . import commands as c
from . import schemas as s
from .address_schemas import AddressSuggestionsSchema, AddressTypedSchema
from .queries import sites_of_owner

blp = Blueprint("registry", __name__, url_prefix="/api/v1", description="Sites and cameras")


@blp.get("/sites")
@api_allows("sites.manage")
@blp.response(200, s.SiteListSchema)
def list_sites() -> dict[str, Any]:
    """Your registered sites, newest first, with their cameras."""
    with a.read() as conn:
        return {
            "sites": [
                a.with_cameras(conn, r) for r in sites_of_owner(conn, a.vault(), a.owner_id())
            ]
        }


@blp.post("/sites")
@api_allows("sites.manage")
@blp.arguments(s.NewSiteSchema)
@blp.response(201, s.SiteSchema)
def register_site(body: dict[str, Any]) -> dict[str, Any]:
    """Register a site by street address or map pin, with its cameras and consent."""
    return a.register(body)


@blp.get("/sites/<site_id>")
@api_allows("sites.manage")
@blp.response(200, s.SiteSchema)
def get_site(site_id: str) -> dict[str, Any]:
    """One of your sites."""
    return a.site_view(site_id)


@blp.patch("/sites/<site_id>")
@api_allows("sites.manage")
@blp.arguments(s.SiteLocationSchema)
@blp.response(200, s.SiteSchema)
def change_site(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Change a site's name, address or position."""
    a.site_view(site_id)
    latitude, longitude, source = a.locate(body)
    a.execute(
        c.ChangeSiteDetails(
            site_id, a.owner_id(), body["label"], body["address"], latitude, longitude, source
        )
    )
    return a.site_view(site_id)


@blp.put("/sites/<site_id>/consent")
@api_allows("sites.manage")
@blp.arguments(s.ConsentSchema)
@blp.response(200, s.SiteSchema)
def set_consent(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Say whether and for what you may be asked for footage: every choice at once."""
    a.set_consent(site_id, body)
    return a.site_view(site_id)


@blp.patch("/sites/<site_id>/consent")
@api_allows("sites.manage")
@blp.arguments(s.ConsentChangeSchema)
@blp.response(200, s.SiteSchema)
def change_consent(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Change some consent choices; those not given stay as they were."""
    a.set_consent(site_id, a.site_view(site_id) | body)
    return a.site_view(site_id)


@blp.post("/sites/<site_id>/pause")
@api_allows("sites.manage")
@blp.response(200, s.SiteSchema)
def pause_site(site_id: str) -> dict[str, Any]:
    """Pause a site: no requests reach you until you resume it."""
    a.execute(c.PauseSite(site_id, a.owner_id()))
    return a.site_view(site_id)


@blp.post("/sites/<site_id>/resume")
@api_allows("sites.manage")
@blp.response(200, s.SiteSchema)
def resume_site(site_id: str) -> dict[str, Any]:
    """Resume a paused site."""
    a.execute(c.ResumeSite(site_id, a.owner_id()))
    return a.site_view(site_id)


@blp.delete("/sites/<site_id>")
@api_allows("sites.manage")
@blp.response(204)
def unregister_site(site_id: str) -> None:
    """Unregister a site: it leaves every search at once."""
    a.execute(c.UnregisterSite(site_id, a.owner_id()))


@blp.post("/sites/<site_id>/cameras")
@api_allows("sites.manage")
@blp.arguments(s.CameraSchema)
@blp.response(201, s.CameraSchema)
def add_camera(body: dict[str, Any], site_id: str) -> dict[str, Any]:
    """Add a camera to one of your sites."""
    return a.add_camera(site_id, body)


@blp.patch("/sites/<site_id>/cameras/<camera_id>")
@api_allows("sites.manage")
@blp.arguments(s.CameraSchema)
@blp.response(200, s.CameraSchema)
def change_camera(body: dict[str, Any], site_id: str, camera_id: str) -> dict[str, Any]:
    """Change how a camera is set up."""
    a.execute(c.ChangeCamera(site_id, a.owner_id(), camera_id, c.CameraSpec(**body)))
    return a.camera_of(site_id, camera_id)


@blp.delete("/sites/<site_id>/cameras/<camera_id>")
@api_allows("sites.manage")
@blp.response(204)
def remove_camera(site_id: str, camera_id: str) -> None:
    """Remove a camera from a site."""
    a.execute(c.RemoveCamera(site_id, a.owner_id(), camera_id))


@blp.get("/geocode")
@api_allows("address.lookup")
@blp.arguments(s.GeocodeQuerySchema, location="query")
@blp.response(200, s.GeocodeSchema)
def geocode(query: dict[str, Any]) -> dict[str, Any]:
    """The places an address may be: none, one, or several to choose from."""
    places = a.candidates(query["address"])
    return {
        "candidates": [
            {"address": p.address, "latitude": p.latitude, "longitude": p.longitude} for p in places
        ]
    }


@blp.get("/geocode/suggest")
@api_allows("address.lookup")
@blp.arguments(AddressTypedSchema, location="query")
@blp.response(200, AddressSuggestionsSchema)
def suggest_addresses(query: dict[str, Any]) -> dict[str, Any]:
    """Addresses for what has been typed so far, to pick from: at most eight.

    A house number the street lacks gives the nearest numbers on it, marked not exact.
    """
    return {"suggestions": address_suggestions(query["q"])}


def address_suggestions(typed: str) -> list[dict[str, Any]]:
    """From the offline gazetteer; a network geocoder suggests nothing as a person types."""
    suggest = getattr(current_app.extensions["canvass"].geocoder, "suggestions", None)
    return suggest(typed) if suggest else []
