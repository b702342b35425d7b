"""What owners (and agencies importing their registries) ask the registry to do."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteCommand:
    """Every command names the site and who is asking: the owner, or an import."""

    site_id: str
    owner_id: str


@dataclass(frozen=True)
class RegisterSite(SiteCommand):
    kind: str
    label: str
    address: str | None
    latitude: float
    longitude: float
    location_source: str = "pin"
    source_ref: str | None = None
    contact_for_requests: bool = True
    categories: tuple[str, ...] = ("all",)
    share_exact_location: bool = False
    cameras: tuple[NewCamera, ...] = ()  # registered with the site, in the same append


@dataclass(frozen=True)
class ChangeSiteDetails(SiteCommand):
    label: str
    address: str | None
    latitude: float
    longitude: float
    location_source: str = "pin"


@dataclass(frozen=True)
class CameraSpec:
    """How one camera is set up."""

    label: str
    bearing_degrees: float
    field_of_view_degrees: float
    range_metres: float
    placement: str = "outdoor"
    recording: str = "continuous"
    retention_days: int = 30


@dataclass(frozen=True)
class NewCamera:
    """A camera to register together with its site."""

    camera_id: str
    camera: CameraSpec


@dataclass(frozen=True)
class AddCamera(SiteCommand):
    camera_id: str
    camera: CameraSpec


@dataclass(frozen=True)
class ChangeCamera(SiteCommand):
    camera_id: str
    camera: CameraSpec


@dataclass(frozen=True)
class RemoveCamera(SiteCommand):
    camera_id: str


@dataclass(frozen=True)
class SetConsent(SiteCommand):
    contact_for_requests: bool
    categories: tuple[str, ...]
    share_exact_location: bool


@dataclass(frozen=True)
class PauseSite(SiteCommand):
    pass


@dataclass(frozen=True)
class ResumeSite(SiteCommand):
    pass


@dataclass(frozen=True)
class UnregisterSite(SiteCommand):
    pass
