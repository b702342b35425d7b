"""The canvass's refusals, each with words an investigator understands."""

from __future__ import annotations

from events_store.errors import SubjectErasedError


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


class OwnerErased(SubjectErasedError):
    """The request's owner was erased: nothing of theirs can be received or kept."""

    def __init__(self) -> None:
        self.subject_id = ""
        Exception.__init__(
            self,
            "The owner this request was sent to has left the registry and their data was "
            "erased: nothing more can be received for it.",
        )
