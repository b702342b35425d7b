"""Pages for owners: their sites on a map, adding and editing sites and cameras, consent."""

from __future__ import annotations

import json
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from marshmallow import ValidationError

from accounts.auth import page_allows

from . import actions as a
from . import commands as c
from .address_pages import placed_by_address
from .decider import PLACEMENTS, RECORDING_MODES, SITE_KINDS
from .errors import CameraNotFound, InvalidSite, LimitReached, NotAllowedNow
from .queries import sites_of_owner
from .schemas import CameraSchema, ConsentSchema, NewSiteSchema, SiteLocationSchema

bp = Blueprint("owner_pages", __name__, template_folder="templates")
public = Blueprint("public_pages", __name__, template_folder="templates")

CATEGORY_LABELS = {
    "violent_crime": "Violent crime (assault, robbery, shootings)",
    "property_crime": "Property crime (burglary, theft, vandalism)",
    "missing_person": "A missing person",
    "traffic": "Traffic collisions and hit-and-run",
}


@bp.context_processor
def choices() -> dict[str, Any]:
    return {
        "site_kinds": [(k, k.title()) for k in SITE_KINDS],
        "placements": [(p, p.title()) for p in PLACEMENTS],
        "recording_modes": [(m, "All the time" if m == "continuous" else "When it sees motion")
                            for m in RECORDING_MODES],
        "category_labels": CATEGORY_LABELS,
        "map_settings": {
            "tiles": current_app.config.get("MAP_TILE_URL"),
            "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
        },
    }  # fmt: skip


@public.get("/map")
def coverage_map() -> ResponseReturnValue:
    """The public map: counts per area, never a point."""
    settings = {"tiles": current_app.config.get("MAP_TILE_URL"),
                "attribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or ""}  # fmt: skip
    return render_template("registry/coverage.html", map_settings=settings)


@bp.get("/dashboard")
@page_allows("sites.manage")
def dashboard() -> ResponseReturnValue:
    """The owner's sites, on a map and in a list."""
    with a.read() as conn:
        sites = [a.with_cameras(conn, row) for row in sites_of_owner(conn, a.vault(), a.owner_id())]
    return render_template("registry/dashboard.html", sites=sites, sites_json=_map_data(sites))


@bp.get("/my-sites.json")
@page_allows("sites.manage")
def download_sites() -> ResponseReturnValue:
    """The owner's sites and cameras as a file to keep: what they take along when they go."""
    with a.read() as conn:
        sites = [a.with_cameras(conn, row) for row in sites_of_owner(conn, a.vault(), a.owner_id())]
    document = {"sites": [_site_to_keep(site) for site in sites]}
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="my-sites-and-cameras.json"'},
    )


@bp.route("/sites/new", methods=["GET", "POST"])
@page_allows("sites.manage")
def new_site() -> ResponseReturnValue:
    """Register a site by address or by a pin on the map."""
    values: dict[str, Any] = {"kind": "home", "contact_for_requests": "yes", "categories": ["all"]}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _site_form()
        try:
            body = NewSiteSchema().load(_site_payload(values))
            site = a.register(placed_by_address(body))
        except ValidationError as invalid:
            errors = _flatten(invalid.messages)
        except (InvalidSite, LimitReached) as refused:
            errors = getattr(refused, "errors", None) or {"label": [str(refused)]}
        else:
            flash("Your site is registered. Now add its cameras.")
            return redirect(url_for("owner_pages.site", site_id=site["site_id"]))
    return _render_site_form("registry/new_site.html", values, errors)


@bp.get("/sites/<site_id>")
@page_allows("sites.manage")
def site(site_id: str) -> ResponseReturnValue:
    """One site: its map, cameras, consent and status."""
    return _render_site(a.site_view(site_id))


@bp.route("/sites/<site_id>/edit", methods=["GET", "POST"])
@page_allows("sites.manage")
def edit_site(site_id: str) -> ResponseReturnValue:
    """Change a site's name, address or position."""
    current = a.site_view(site_id)
    values: dict[str, Any] = dict(current)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = current | _site_form()
        try:
            body = SiteLocationSchema().load(_site_payload(values, location_only=True))
            latitude, longitude, source = a.locate(placed_by_address(body))
            a.execute(c.ChangeSiteDetails(site_id, a.owner_id(), body["label"], body["address"],
                                         latitude, longitude, source))  # fmt: skip
        except ValidationError as invalid:
            errors = _flatten(invalid.messages)
        except InvalidSite as refused:
            errors = refused.errors
        else:
            flash("Your changes are saved.")
            return redirect(url_for("owner_pages.site", site_id=site_id))
    return _render_site_form("registry/edit_site.html", values, errors)


@bp.post("/sites/<site_id>/consent")
@page_allows("sites.manage")
def set_consent(site_id: str) -> ResponseReturnValue:
    """Save what the owner agrees to be asked for."""
    form = _consent_form()
    try:
        body = ConsentSchema().load(form)
        a.execute(c.SetConsent(site_id, a.owner_id(), body["contact_for_requests"],
                              tuple(body["categories"]), body["share_exact_location"]))  # fmt: skip
    except (ValidationError, InvalidSite) as invalid:
        errors = (
            _flatten(invalid.messages) if isinstance(invalid, ValidationError) else invalid.errors
        )
        return _render_site(a.site_view(site_id), consent_errors=errors, consent=form), 422
    flash("Your choices are saved.")
    return redirect(url_for("owner_pages.site", site_id=site_id))


@bp.post("/sites/<site_id>/cameras")
@page_allows("sites.manage")
def add_camera(site_id: str) -> ResponseReturnValue:
    """Add a camera."""
    form = _camera_form()
    try:
        camera = CameraSchema().load(_camera_payload(form))
        a.add_camera(site_id, camera)
    except ValidationError as invalid:
        return _render_site(a.site_view(site_id), camera_errors=_flatten(invalid.messages),
                            camera=form), 422  # fmt: skip
    except (InvalidSite, LimitReached, NotAllowedNow) as refused:
        errors = getattr(refused, "errors", None) or {"label": [str(refused)]}
        return _render_site(a.site_view(site_id), camera_errors=errors, camera=form), 422
    flash(f"Camera “{camera['label']}” added.")
    # To the top of the page, where the confirmation is: the form's own anchor would leave a
    # phone showing the emptied form.
    return redirect(url_for("owner_pages.site", site_id=site_id, _anchor="content"))


@bp.route("/sites/<site_id>/cameras/<camera_id>/edit", methods=["GET", "POST"])
@page_allows("sites.manage")
def edit_camera(site_id: str, camera_id: str) -> ResponseReturnValue:
    """Change a camera: its name, view (typed, or turned on the map), recording and retention."""
    current = a.site_view(site_id)
    found = next((cam for cam in current["cameras"] if cam["camera_id"] == camera_id), None)
    if found is None:
        raise CameraNotFound(camera_id)
    values = {name: _shown(found[name]) for name in CAMERA_FIELDS}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = _camera_form()
        try:
            body = CameraSchema().load(_camera_payload(values))
            a.execute(c.ChangeCamera(site_id, a.owner_id(), camera_id, c.CameraSpec(**body)))
        except ValidationError as invalid:
            errors = _flatten(invalid.messages)
        except (InvalidSite, NotAllowedNow) as refused:
            errors = getattr(refused, "errors", None) or {"label": [str(refused)]}
        else:
            flash(f"Camera “{body['label']}” saved.")
            return redirect(url_for("owner_pages.site", site_id=site_id, _anchor="content"))
    page = render_template(
        "registry/edit_camera.html",
        site=current,
        camera=values,
        camera_id=camera_id,
        camera_errors=errors,
        sites_json=_map_data([current]),
    )
    return page, 422 if errors else 200


@bp.post("/sites/<site_id>/cameras/<camera_id>/remove")
@page_allows("sites.manage")
def remove_camera(site_id: str, camera_id: str) -> ResponseReturnValue:
    """Remove a camera."""
    a.execute(c.RemoveCamera(site_id, a.owner_id(), camera_id))
    flash("The camera is removed.")
    return redirect(url_for("owner_pages.site", site_id=site_id))


@bp.post("/sites/<site_id>/pause")
@page_allows("sites.manage")
def pause(site_id: str) -> ResponseReturnValue:
    """Pause requests for a site."""
    a.execute(c.PauseSite(site_id, a.owner_id()))
    flash("Paused: no requests will reach you for this site until you resume it.")
    return redirect(url_for("owner_pages.site", site_id=site_id))


@bp.post("/sites/<site_id>/resume")
@page_allows("sites.manage")
def resume(site_id: str) -> ResponseReturnValue:
    """Resume a paused site."""
    a.execute(c.ResumeSite(site_id, a.owner_id()))
    flash("Resumed: detectives may ask you for footage again.")
    return redirect(url_for("owner_pages.site", site_id=site_id))


@bp.route("/sites/<site_id>/unregister", methods=["GET", "POST"])
@page_allows("sites.manage")
def unregister(site_id: str) -> ResponseReturnValue:
    """Ask to confirm, then unregister a site."""
    current = a.site_view(site_id)
    if request.method == "GET":
        return render_template("registry/unregister.html", site=current)
    a.execute(c.UnregisterSite(site_id, a.owner_id()))
    flash(f"“{current['label']}” is unregistered and no longer appears in any search.")
    return redirect(url_for("owner_pages.dashboard"))


# --- helpers --------------------------------------------------------------------------------


def _site_form() -> dict[str, Any]:
    form = request.form
    return {
        "label": form.get("label", ""),
        "kind": form.get("kind", "home"),
        "address": form.get("address", ""),
        "latitude": form.get("latitude", ""),
        "longitude": form.get("longitude", ""),
    } | _consent_form()


def _consent_form() -> dict[str, Any]:
    """The consent choices the form sent; a choice it left out stays out (and is asked for),
    rather than defaulting to yes: an owner who said no is never opted in by omission."""
    form = request.form
    given: dict[str, Any] = {"share_exact_location": form.get("share_exact_location") == "yes"}
    if "contact_for_requests" in form:
        given["contact_for_requests"] = form["contact_for_requests"]
    if "scope" in form:
        given["categories"] = ["all"] if form["scope"] == "all" else form.getlist("categories")
    return given


def _site_payload(values: dict[str, Any], location_only: bool = False) -> dict[str, Any]:
    payload: dict[str, Any] = {"label": values["label"], "address": values["address"] or None}
    for key in ("latitude", "longitude"):
        if str(values.get(key) or "").strip():
            payload[key] = values[key]
    if location_only:
        return payload
    return payload | {
        "kind": values["kind"],
        "contact_for_requests": values.get("contact_for_requests", "yes") != "no",
        "categories": values.get("categories", ["all"]),
        "share_exact_location": values["share_exact_location"],
    }


CAMERA_FIELDS = ("label", "bearing_degrees", "field_of_view_degrees", "range_metres",
                 "placement", "recording", "retention_days")  # fmt: skip


def _camera_form() -> dict[str, str]:
    return {name: request.form.get(name, "").strip() for name in CAMERA_FIELDS}


def _shown(value: Any) -> Any:
    """A stored number as a person would type it: 180, not 180.0."""
    return f"{value:g}" if isinstance(value, float) else value


def _camera_payload(form: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {k: v for k, v in form.items() if v != ""}
    days = payload.get("retention_days", "")
    if days.isdecimal() and len(days) <= 4000:  # beyond, int() refuses to read it
        payload["retention_days"] = int(days)
    return payload


def _render_site_form(
    template: str, values: dict[str, Any], errors: dict[str, list[str]]
) -> ResponseReturnValue:
    return render_template(template, values=values, errors=errors), 422 if errors else 200


def _render_site(site: dict[str, Any], **extra: Any) -> str:
    extra.setdefault("camera", {"placement": "outdoor", "recording": "continuous"})
    extra.setdefault("consent", site)
    return render_template("registry/site.html", site=site, sites_json=_map_data([site]), **extra)


def _site_to_keep(site: dict[str, Any]) -> dict[str, Any]:
    return {
        "label": site["label"], "kind": site["kind"], "status": site["status"],
        "address": site["address"], "latitude": site["latitude"],
        "longitude": site["longitude"], "placed_by": site["location_source"],
        "consent": {k: site[k] for k in ("contact_for_requests", "categories",
                                         "share_exact_location")},
        "cameras": [{k: cam[k] for k in ("label", *CAMERA_FIELDS[1:])} for cam in site["cameras"]],
    }  # fmt: skip


def _map_data(sites: list[dict[str, Any]]) -> str:
    return json.dumps([
        {"label": s["label"], "status": s["status"], "latitude": s["latitude"],
         "longitude": s["longitude"], "url": url_for("owner_pages.site", site_id=s["site_id"]),
         "cameras": [{"id": cam["camera_id"], "label": cam["label"],
                      "bearing": cam["bearing_degrees"], "fov": cam["field_of_view_degrees"],
                      "range": cam["range_metres"]}
                     for cam in s["cameras"]]}
        for s in sites if s["latitude"] is not None
    ])  # fmt: skip


def _flatten(messages: Any) -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in dict(messages).items():
        if isinstance(value, dict):
            flat[key] = [
                m
                for inner in value.values()
                for m in (inner if isinstance(inner, list) else [inner])
            ]
        else:
            flat[key] = value if isinstance(value, list) else [str(value)]
    return flat
