"""The canvass's refusals, each with words an investigator understands."""

from __future__ import annotations


class CanvassError(Exception):
    """Base of the canvass domain errors."""


class InvalidCanvass(CanvassError):
    """Some fields are not acceptable, or break a rule no approval can lift."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("This canvass cannot go ahead as it stands.")


class CanvassNotFound(CanvassError):
    """No such canvass for this person."""

    def __init__(self, canvass_id: str) -> None:
        self.canvass_id = canvass_id
        super().__init__("There is no such canvass among yours.")


class NotAllowedNow(CanvassError):
    """The canvass is not in a state where this can be done."""
