"""What the canvass API accepts and answers, with messages an investigator understands."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from validation.fields import MAX_CLOCK_OFFSET_SECONDS, Day, Moment, Number, Text, WholeNumber
from validation.geometry import polygon_problem

from .decider import (
    LEGAL_BASES,
    MAX_DECISION_REASON,
    MAX_JUSTIFICATION,
    MAX_POLYGON_CORNERS,
    MIN_DECISION_REASON,
    OUTCOMES,
)
from .policy import CATEGORIES, NEVER_ALLOWED, SQUARE_METRES_PER_SQUARE_MILE

Messages = dict[str, str | list[Any] | dict[Any, Any]]
REQUIRED: Messages = {
    "required": "This field is required.",
    "null": "This field cannot be empty.",
}
CLOCK_OFFSET = (
    f"Give the recorder's clock offset in whole seconds, within a day "
    f"(-{MAX_CLOCK_OFFSET_SECONDS:,} to {MAX_CLOCK_OFFSET_SECONDS:,})."
)


def _clock_offset(**options: Any) -> WholeNumber:
    return WholeNumber(
        -MAX_CLOCK_OFFSET_SECONDS,
        MAX_CLOCK_OFFSET_SECONDS,
        CLOCK_OFFSET,
        error_messages={"invalid": "Give whole seconds, e.g. -90 if the clock is 90 seconds slow."},
        **options,
    )


class IncidentPlaceSchema(Schema):
    latitude = Number(-90, 90, "From -90 to 90.", required=True)
    longitude = Number(-180, 180, "From -180 to 180.", required=True)


class AreaSchema(Schema):
    radius_m = Number(1, 50_000, "From 1 to 50,000 metres.")
    polygon = fields.List(
        fields.List(
            Number(-180, 180, "A corner is a latitude and a longitude, in degrees."),
            validate=validate.Length(equal=2, error="A corner is a latitude and a longitude."),
            error_messages={"invalid": "A corner is a latitude and a longitude."},
        ),
        validate=validate.Length(
            min=3, max=MAX_POLYGON_CORNERS, error=f"Draw 3 to {MAX_POLYGON_CORNERS} corners."
        ),
        error_messages={"invalid": "Give the corners as a list of [latitude, longitude]."},
    )

    @validates_schema
    def one_shape(self, data: dict[str, Any], **_: object) -> None:
        if ("radius_m" in data) == ("polygon" in data):
            raise ValidationError("Give either a radius in metres or a polygon.", "radius_m")
        if "polygon" in data and (problem := polygon_problem(data["polygon"])):
            raise ValidationError(problem, "polygon")


class NewCanvassSchema(Schema):
    case_number = Text(40, required=True)
    category = fields.String(
        required=True,
        error_messages=REQUIRED,
        validate=validate.OneOf(
            (*CATEGORIES, *NEVER_ALLOWED), error=f"Choose one of: {', '.join(CATEGORIES)}."
        ),
    )
    incident = fields.Nested(IncidentPlaceSchema, required=True, error_messages=REQUIRED)
    window_start = Moment(required=True)
    window_end = Moment(
        required=True,
        error_messages={"invalid": "Give a date and time like 2026-11-20T23:00:00-08:00."},
    )
    area = fields.Nested(AreaSchema, required=True, error_messages=REQUIRED)
    justification = Text(MAX_JUSTIFICATION, 1, single_line=False, required=True)
    legal_basis = fields.String(
        required=True,
        error_messages=REQUIRED,
        validate=validate.OneOf(LEGAL_BASES, error=f"Choose one of: {', '.join(LEGAL_BASES)}."),
    )


def canvass_details(body: dict[str, Any]) -> dict[str, Any]:
    """A loaded NewCanvassSchema body as the details of an OpenCanvass command."""
    details = dict(body)
    incident = details.pop("incident")
    area = details.pop("area")
    return details | {
        "incident_latitude": incident["latitude"],
        "incident_longitude": incident["longitude"],
        "area": {"circle": {"radius_m": area["radius_m"]}}
        if "radius_m" in area
        else {"polygon": area["polygon"]},
    }


class PolicyCheckSchema(Schema):
    within_limits = fields.Boolean(
        metadata={"description": "true: the investigator may send it out without approval"}
    )
    refusals = fields.Dict(metadata={"description": "field by field, what no approval can lift"})
    exceedances = fields.Dict(
        metadata={"description": "field by field, the limits a supervisor must approve"}
    )
    area_square_miles = fields.Float(allow_none=True)


class ReasonSchema(Schema):
    reason = Text(2000, 1, single_line=False, required=True)


class DecisionSchema(Schema):
    reason = Text(
        MAX_DECISION_REASON,
        MIN_DECISION_REASON,
        single_line=False,
        required=True,
        length_error=(
            f"Write the reason in {MIN_DECISION_REASON} to {MAX_DECISION_REASON} characters: "
            "the investigator reads it and the log keeps it."
        ),
        metadata={"description": "why, for the investigator and the log"},
    )


class CloseSchema(Schema):
    outcomes = fields.Dict(
        keys=Text(64, 1),
        values=fields.String(
            validate=validate.OneOf(OUTCOMES, error=f"Choose one of: {', '.join(OUTCOMES)}.")
        ),
        load_default=dict,
        metadata={
            "description": "what became of each site's offered footage, by site id: used, "
            "not_needed or returned (a site left out counts as not_needed); each owner who "
            "offered footage is emailed the outcome"
        },
    )


class CanvassSchema(Schema):
    canvass_id = fields.String()
    agency = fields.String()
    case_number = fields.String()
    category = fields.String()
    incident_latitude = fields.Float()
    incident_longitude = fields.Float()
    window_start = fields.DateTime()
    window_end = fields.DateTime()
    area = fields.Dict()
    area_square_miles = fields.Method("square_miles")
    justification = fields.String()
    legal_basis = fields.String()
    status = fields.String(
        metadata={
            "description": "draft, submitted, sent_back, approved, denied, dispatched, closed, "
            "cancelled or expired"
        }
    )
    exceedances = fields.Dict(metadata={"description": "limits exceeded, field by field"})
    approved_by = fields.String(allow_none=True)
    override_reason = fields.String(allow_none=True)
    decided_by = fields.String(
        allow_none=True, metadata={"description": "the supervisor who denied or sent it back"}
    )
    decision_reason = fields.String(
        allow_none=True, metadata={"description": "their reason, for the investigator"}
    )
    opened_at = fields.DateTime()

    def square_miles(self, canvass: dict[str, Any]) -> float:
        return round(float(canvass["area_m2"]) / SQUARE_METRES_PER_SQUARE_MILE, 4)


class CanvassListSchema(Schema):
    canvasses = fields.List(fields.Nested(CanvassSchema))


class CandidateSchema(Schema):
    site_id = fields.String(metadata={"description": "a reference, not the owner's identity"})
    camera_id = fields.String()
    exact_location = fields.Boolean(
        metadata={
            "description": "whether the owner lets the exact place be used; if not, every "
            "figure is worked out from the site's cell of about 100 m"
        }
    )
    cell = fields.Function(
        lambda candidate: None if candidate.exact_location else _cell_box(candidate.cell),
        metadata={"description": "for a site known by its cell: the cell's edges"},
    )
    distance_m = fields.Integer(
        attribute="about_distance_m",
        metadata={
            "description": "from the incident, to the nearest 10 m (100 m from a cell's centre)"
        },
    )
    bearing_from_incident = fields.Integer(
        attribute="about_bearing",
        metadata={
            "description": "from the incident, degrees from north to the nearest 5 "
            "(to the nearest 45, from a cell's centre)"
        },
    )
    direction = fields.String(metadata={"description": "e.g. north-east, or 25°"})
    view_covers_incident = fields.Boolean()
    bearing_degrees = fields.Float()
    field_of_view_degrees = fields.Float()
    range_metres = fields.Float()
    retention_days = fields.Integer()
    footage_expires_at = fields.DateTime()


def _cell_box(cell: Any) -> dict[str, float]:
    box = cell.box
    return {
        "south": round(box.south, 6),
        "west": round(box.west, 6),
        "north": round(box.north, 6),
        "east": round(box.east, 6),
    }


class CandidateListSchema(Schema):
    ranked = fields.List(fields.Nested(CandidateSchema))
    likely_overwritten = fields.List(fields.Nested(CandidateSchema))


class DispatchSchema(Schema):
    canvass = fields.Nested(CanvassSchema)
    requests = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "requested (emails then go out from the outbox), "
            "weekly_cap_reached, no_contact_on_file"
        },
    )


class RequestSummarySchema(Schema):
    requests = fields.Integer()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    sites_offering_footage = fields.List(fields.String())
    sites_without_footage = fields.List(fields.String())
    delivery = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={
            "description": "requests whose email the mail server has not accepted: "
            "not_yet_delivered, could_not_be_delivered"
        },
    )


class AnswerSchema(Schema):
    token = Text(1000, 1, required=True, length_error="Use the emailed link.")
    answer = fields.String(
        required=True,
        error_messages=REQUIRED,
        validate=validate.OneOf(
            ("share_now", "will_bring", "no_footage", "decline"),
            error="Choose share_now, will_bring, no_footage or decline.",
        ),
    )
    note = Text(1000, single_line=False, load_default=None, allow_none=True)


class AnswerRecordedSchema(Schema):
    message = fields.String()


class UploadQuerySchema(Schema):
    token = Text(1000, 1, required=True, length_error="Use the emailed link.")
    sha256 = fields.String(
        validate=validate.Regexp(
            r"^[0-9a-fA-F]{64}$", error="A SHA-256 is 64 hexadecimal characters."
        )
    )
    clock_offset_seconds = _clock_offset()
    statement = Text(2000, single_line=False)


class StoredFootageSchema(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    container = fields.String()


class FootageSchema(Schema):
    sha256 = fields.String()
    size = fields.Integer()
    container = fields.String()
    clock_offset_seconds = fields.Integer(allow_none=True)
    site_id = fields.String()
    received_at = fields.DateTime()


class FootageListSchema(Schema):
    files = fields.List(fields.Nested(FootageSchema))


class NewVisitSchema(IncidentPlaceSchema):
    """A visited place: the same position fields as an incident, and what was found."""

    address = Text(200, load_default=None, allow_none=True)
    result = fields.String(
        required=True,
        error_messages=REQUIRED,
        validate=validate.OneOf(
            ("no_answer", "no_camera", "camera_present"),
            error="Choose no_answer, no_camera or camera_present.",
        ),
    )
    retention_days = WholeNumber(
        1, 365, "From 1 to 365 days.", strict=True, load_default=None, allow_none=True
    )
    clock_offset_seconds = _clock_offset(strict=True, load_default=None, allow_none=True)
    contact_made = fields.Boolean(load_default=False)
    revisit_due = Day(load_default=None, allow_none=True)
    note = Text(1000, single_line=False, load_default=None, allow_none=True)
    site_id = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=64),
        metadata={
            "description": "the candidate site visited, if it is one: the visit is then "
            "sealed for that site's owner, and erased with them"
        },
    )


class VisitSchema(Schema):
    visit_id = fields.String()
    site_id = fields.String(allow_none=True)
    latitude = fields.Float(
        allow_none=True, metadata={"description": "none once the visit's details are erased"}
    )
    longitude = fields.Float(allow_none=True)
    address = fields.String(allow_none=True)
    result = fields.String()
    retention_days = fields.Integer(allow_none=True)
    clock_offset_seconds = fields.Integer(allow_none=True)
    contact_made = fields.Boolean()
    revisit_due = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.DateTime()


class VisitListSchema(Schema):
    visits = fields.List(fields.Nested(VisitSchema))


def upload_details(values: dict[str, str]) -> dict[str, Any]:
    """The clock offset and statement typed on the upload page, checked as the API checks
    them; ValidationError field by field otherwise."""
    given = {
        key: values[key].strip()
        for key in ("clock_offset_seconds", "statement")
        if values.get(key, "").strip()
    }
    loaded: dict[str, Any] = UploadQuerySchema(partial=("token",)).load(given)
    return loaded


def answer_note(text: str | None) -> str | None:
    """A note typed on the answer page, checked as the API checks it (ValidationError)."""
    note: str | None = AnswerSchema().fields["note"].deserialize(text or None)
    return note
