"""The registry's refusals, each with words an owner understands."""

from __future__ import annotations


class RegistryError(Exception):
    """Base of the registry's domain errors."""


class SiteNotFound(RegistryError):
    """No such site for this owner: the same answer whether it exists for someone else."""

    def __init__(self, site_id: str) -> None:
        self.site_id = site_id
        super().__init__("There is no such site among yours.")


class CameraNotFound(RegistryError):
    """The site has no camera with that id."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        super().__init__("This site has no such camera.")


class InvalidSite(RegistryError):
    """Some fields are not acceptable; `errors` names each with its reasons."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("Some of what you entered could not be accepted.")


class NotAllowedNow(RegistryError):
    """The site is not in a state where this can be done (for example, already paused)."""


class LimitReached(RegistryError):
    """A limit on counts (sites per owner, cameras per site) would be exceeded."""
