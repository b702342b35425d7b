"""The registry's rules, as pure functions: decide(command, state) and evolve(state, event)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from validation.text import refused_character

from . import commands as c
from . import events as e
from .errors import CameraNotFound, InvalidSite, LimitReached, NotAllowedNow, SiteNotFound
from .geodesy import Polygon

SITE_KINDS = ("home", "business")
LOCATION_SOURCES = ("address", "pin", "import")
PLACEMENTS = ("indoor", "outdoor")
RECORDING_MODES = ("continuous", "motion")
CATEGORIES = ("violent_crime", "property_crime", "missing_person", "traffic")
MAX_LABEL = 100
MAX_ADDRESS = 200
MAX_RANGE_METRES = 500
MAX_RETENTION_DAYS = 365
CONTROL_CHARACTER = "Remove the invisible control characters from this text."


@dataclass(frozen=True)
class RegistryPolicy:
    """Limits the city sets: counts, and the area it serves."""

    max_sites_per_owner: int = 50
    max_cameras_per_site: int = 64
    service_area: Polygon | None = None


@dataclass(frozen=True)
class SiteState:
    """What the rules need to know of a site: who owns it, its status, its cameras."""

    owner_id: str | None = None
    status: str = "none"  # none, active, paused, unregistered
    cameras: frozenset[str] = field(default_factory=frozenset)


def decide(
    command: c.SiteCommand,
    state: SiteState,
    policy: RegistryPolicy,
    owner_site_count: int = 0,
) -> list[e.RegistryEvent]:
    """The events a command causes, or a typed refusal."""
    if isinstance(command, c.RegisterSite):
        return _register(command, state, policy, owner_site_count)
    if state.status in ("none", "unregistered") or state.owner_id != command.owner_id:
        raise SiteNotFound(command.site_id)
    return _RULES[type(command)](command, state, policy)


def evolve(state: SiteState, event: e.RegistryEvent) -> SiteState:
    """The site after an event."""
    if isinstance(event, e.SiteRegistered):
        return SiteState(owner_id=event.owner_id, status="active")
    if isinstance(event, e.CameraChanged):
        return state
    if isinstance(event, e.CameraAdded):
        return replace(state, cameras=state.cameras | {event.camera_id})
    if isinstance(event, e.CameraRemoved):
        return replace(state, cameras=state.cameras - {event.camera_id})
    if isinstance(event, e.SitePaused):
        return replace(state, status="paused")
    if isinstance(event, e.SiteResumed):
        return replace(state, status="active")
    if isinstance(event, e.SiteUnregistered):
        return replace(state, status="unregistered", cameras=frozenset())
    return state


def _register(
    command: c.RegisterSite, state: SiteState, policy: RegistryPolicy, owner_site_count: int
) -> list[e.RegistryEvent]:
    if state.status != "none":
        raise NotAllowedNow("This site is already registered.")
    errors = _site_errors(command, policy)
    errors.update(_consent_errors(command.categories))
    if command.kind not in SITE_KINDS:
        errors.setdefault("kind", []).append(f"Choose one of: {', '.join(SITE_KINDS)}.")
    errors.update(_new_camera_errors(command.cameras, policy))
    if errors:
        raise InvalidSite(errors)
    if owner_site_count >= policy.max_sites_per_owner:
        raise LimitReached(
            f"You already have {owner_site_count} sites; the limit is "
            f"{policy.max_sites_per_owner}. Unregister one to add another."
        )
    cameras: list[e.RegistryEvent] = [
        e.CameraAdded(command.site_id, new.camera_id, **_camera_fields(new.camera))
        for new in command.cameras
    ]
    return [
        e.SiteRegistered(
            site_id=command.site_id,
            owner_id=command.owner_id,
            kind=command.kind,
            label=command.label.strip(),
            address=_clean(command.address),
            latitude=command.latitude,
            longitude=command.longitude,
            location_source=command.location_source,
            source_ref=command.source_ref,
            contact_for_requests=command.contact_for_requests,
            categories=list(command.categories),
            share_exact_location=command.share_exact_location,
        ),
        *cameras,
    ]


def _new_camera_errors(
    cameras: tuple[c.NewCamera, ...], policy: RegistryPolicy
) -> dict[str, list[str]]:
    """Problems with the cameras registered with a site, under `cameras`, each by number."""
    if len(cameras) > policy.max_cameras_per_site:
        return {"cameras": [f"A site may have at most {policy.max_cameras_per_site} cameras."]}
    if len({new.camera_id for new in cameras}) != len(cameras):
        return {"cameras": ["Each camera needs its own id."]}
    problems = [
        f"Camera {number}, {field}: {message}"
        for number, new in enumerate(cameras, 1)
        for field, messages in camera_errors(new.camera).items()
        for message in messages
    ]
    return {"cameras": problems} if problems else {}


def _change_details(
    command: c.ChangeSiteDetails, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    errors = _site_errors(command, policy)
    if errors:
        raise InvalidSite(errors)
    return [
        e.SiteDetailsChanged(
            site_id=command.site_id,
            label=command.label.strip(),
            address=_clean(command.address),
            latitude=command.latitude,
            longitude=command.longitude,
            location_source=command.location_source,
        )
    ]


def _add_camera(
    command: c.AddCamera, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    if command.camera_id in state.cameras:
        raise NotAllowedNow("This site already has a camera with that id.")
    if len(state.cameras) >= policy.max_cameras_per_site:
        raise LimitReached(f"A site may have at most {policy.max_cameras_per_site} cameras.")
    return [e.CameraAdded(command.site_id, command.camera_id, **_camera_fields(command.camera))]


def _change_camera(
    command: c.ChangeCamera, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    if command.camera_id not in state.cameras:
        raise CameraNotFound(command.camera_id)
    return [e.CameraChanged(command.site_id, command.camera_id, **_camera_fields(command.camera))]


def _remove_camera(
    command: c.RemoveCamera, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    if command.camera_id not in state.cameras:
        raise CameraNotFound(command.camera_id)
    return [e.CameraRemoved(command.site_id, command.camera_id)]


def _set_consent(
    command: c.SetConsent, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    errors = _consent_errors(command.categories)
    if errors:
        raise InvalidSite(errors)
    return [
        e.ConsentChanged(
            command.site_id,
            command.contact_for_requests,
            list(command.categories),
            command.share_exact_location,
        )
    ]


def _pause(command: c.PauseSite, state: SiteState, policy: RegistryPolicy) -> list[e.RegistryEvent]:
    if state.status != "active":
        raise NotAllowedNow("This site is already paused.")
    return [e.SitePaused(command.site_id)]


def _resume(
    command: c.ResumeSite, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    if state.status != "paused":
        raise NotAllowedNow("This site is not paused.")
    return [e.SiteResumed(command.site_id)]


def _unregister(
    command: c.UnregisterSite, state: SiteState, policy: RegistryPolicy
) -> list[e.RegistryEvent]:
    return [e.SiteUnregistered(command.site_id)]


_RULES: dict[type, Callable[..., list[e.RegistryEvent]]] = {
    c.ChangeSiteDetails: _change_details,
    c.AddCamera: _add_camera,
    c.ChangeCamera: _change_camera,
    c.RemoveCamera: _remove_camera,
    c.SetConsent: _set_consent,
    c.PauseSite: _pause,
    c.ResumeSite: _resume,
    c.UnregisterSite: _unregister,
}


def _site_errors(
    command: c.RegisterSite | c.ChangeSiteDetails, policy: RegistryPolicy
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    label = (command.label or "").strip()
    if not label:
        errors["label"] = ["Give the site a name, such as 'Home' or the shop's name."]
    elif len(label) > MAX_LABEL:
        errors["label"] = [f"Use at most {MAX_LABEL} characters."]
    elif refused_character(label, single_line=True):
        errors["label"] = [CONTROL_CHARACTER]
    if command.address is not None and len(command.address) > MAX_ADDRESS:
        errors["address"] = [f"Use at most {MAX_ADDRESS} characters."]
    elif command.address is not None and refused_character(command.address, single_line=True):
        errors["address"] = [CONTROL_CHARACTER]
    if command.location_source not in LOCATION_SOURCES:
        errors["location_source"] = [f"Choose one of: {', '.join(LOCATION_SOURCES)}."]
    errors.update(_location_errors(command.latitude, command.longitude, policy))
    return errors


def _location_errors(
    latitude: float, longitude: float, policy: RegistryPolicy
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not _finite(latitude) or not -90 <= latitude <= 90:
        errors["latitude"] = ["Latitude must be a number from -90 to 90."]
    if not _finite(longitude) or not -180 <= longitude <= 180:
        errors["longitude"] = ["Longitude must be a number from -180 to 180."]
    if not errors and policy.service_area and not policy.service_area.contains(latitude, longitude):
        errors["location"] = ["This place is outside the area the registry serves."]
    return errors


def _consent_errors(categories: tuple[str, ...] | list[str]) -> dict[str, list[str]]:
    chosen = list(categories)
    if chosen == ["all"]:
        return {}
    if not chosen:
        return {"categories": ["Choose 'all', or at least one kind of incident."]}
    unknown = [category for category in chosen if category not in CATEGORIES]
    if unknown or len(set(chosen)) != len(chosen):
        return {"categories": [f"Choose 'all', or from: {', '.join(CATEGORIES)}."]}
    return {}


def camera_errors(camera: c.CameraSpec) -> dict[str, list[str]]:
    """Every problem with a camera's settings, by field."""
    errors: dict[str, list[str]] = {}
    label = (camera.label or "").strip()
    if not label or len(label) > MAX_LABEL:
        errors["label"] = [f"Give the camera a name of 1 to {MAX_LABEL} characters."]
    elif refused_character(label, single_line=True):
        errors["label"] = [CONTROL_CHARACTER]
    if not _finite(camera.bearing_degrees) or not 0 <= camera.bearing_degrees < 360:
        errors["bearing_degrees"] = ["The direction must be from 0 (north) up to 360 degrees."]
    if not _finite(camera.field_of_view_degrees) or not 1 <= camera.field_of_view_degrees <= 360:
        errors["field_of_view_degrees"] = ["The field of view must be from 1 to 360 degrees."]
    if not _finite(camera.range_metres) or not 1 <= camera.range_metres <= MAX_RANGE_METRES:
        errors["range_metres"] = [f"The range must be from 1 to {MAX_RANGE_METRES} metres."]
    if camera.placement not in PLACEMENTS:
        errors["placement"] = [f"Choose one of: {', '.join(PLACEMENTS)}."]
    if camera.recording not in RECORDING_MODES:
        errors["recording"] = [f"Choose one of: {', '.join(RECORDING_MODES)}."]
    days = camera.retention_days
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_RETENTION_DAYS:
        errors["retention_days"] = [
            f"Enter how many days your recorder keeps footage: 1 to {MAX_RETENTION_DAYS}."
        ]
    return errors


def _camera_fields(camera: c.CameraSpec) -> dict[str, Any]:
    errors = camera_errors(camera)
    if errors:
        raise InvalidSite(errors)
    return {
        "label": camera.label.strip(),
        "bearing_degrees": float(camera.bearing_degrees),
        "field_of_view_degrees": float(camera.field_of_view_degrees),
        "range_metres": float(camera.range_metres),
        "placement": camera.placement,
        "recording": camera.recording,
        "retention_days": camera.retention_days,
    }


def _finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _clean(address: str | None) -> str | None:
    return address.strip() or None if address is not None else None
