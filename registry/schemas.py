"""What the registry API accepts and answers, with messages an owner understands."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from validation.fields import Number, Text, WholeNumber

from .decider import (
    CATEGORIES,
    LOCATION_SOURCES,
    MAX_ADDRESS,
    MAX_LABEL,
    MAX_RANGE_METRES,
    MAX_RETENTION_DAYS,
    PLACEMENTS,
    RECORDING_MODES,
    SITE_KINDS,
)

MAX_CAMERAS_IN_REQUEST = 64
CATEGORY_CHOICE = f"Choose 'all' or from: {', '.join(CATEGORIES)}."
NO_KIND = (
    "Tick at least one kind of incident under “Only these”, or choose “Any incident the law "
    "allows” ('all')."
)
TOO_MANY_KINDS = (
    f"Tick each kind of incident at most once (there are {len(CATEGORIES)}), or choose “Any "
    "incident the law allows” ('all')."
)
TOO_MANY_CAMERAS = f"A site may have at most {MAX_CAMERAS_IN_REQUEST} cameras."
ADDRESS_LENGTH = f"Use 3 to {MAX_ADDRESS} characters."
REQUIRED = {"required": "This field is required.", "null": "This field cannot be empty."}
YES_OR_NO = REQUIRED | {"invalid": "Answer yes (true) or no (false)."}


def _choice(options: tuple[str, ...], **kw: object) -> fields.String:
    return fields.String(
        validate=validate.OneOf(options, error=f"Choose one of: {', '.join(options)}."),
        error_messages=REQUIRED | {"invalid": "Choose one of the options."},
        **kw,
    )


def _label(example: str) -> Text:
    return Text(MAX_LABEL, 1, required=True, metadata={"example": example})


def _categories(**kw: object) -> fields.List:
    return fields.List(
        fields.String(validate=validate.OneOf(("all", *CATEGORIES), error=CATEGORY_CHOICE)),
        validate=[
            validate.Length(min=1, error=NO_KIND),
            validate.Length(max=len(CATEGORIES), error=TOO_MANY_KINDS),
        ],
        error_messages=REQUIRED | {"invalid": "Give a list of incident kinds."},
        **kw,
    )


class CameraSchema(Schema):
    camera_id = fields.String(dump_only=True)
    label = _label("Driveway")
    bearing_degrees = Number(
        0, 359.999999, "The direction must be from 0 (north) up to 360 degrees.", required=True
    )
    field_of_view_degrees = Number(
        1, 360, "The field of view must be from 1 to 360 degrees.", required=True
    )
    range_metres = Number(
        1,
        MAX_RANGE_METRES,
        f"The range must be from 1 to {MAX_RANGE_METRES} metres.",
        required=True,
    )
    placement = _choice(PLACEMENTS, load_default="outdoor")
    recording = _choice(RECORDING_MODES, load_default="continuous")
    retention_days = WholeNumber(
        1,
        MAX_RETENTION_DAYS,
        f"Enter how many days your recorder keeps footage: 1 to {MAX_RETENTION_DAYS}.",
        required=True,
        error_messages={"invalid": "Enter a whole number of days."},
    )


class ConsentSchema(Schema):
    """Every consent choice at once: what PUT replaces."""

    contact_for_requests = fields.Boolean(required=True, error_messages=YES_OR_NO)
    categories = _categories(required=True)
    share_exact_location = fields.Boolean(required=True, error_messages=YES_OR_NO)


class ConsentChangeSchema(Schema):
    """Some consent choices: what PATCH changes, leaving the others as they were."""

    contact_for_requests = fields.Boolean(error_messages=YES_OR_NO)
    categories = _categories()
    share_exact_location = fields.Boolean(error_messages=YES_OR_NO)


class SiteLocationSchema(Schema):
    label = _label("Home")
    address = Text(
        MAX_ADDRESS,
        allow_none=True,
        load_default=None,
        error_messages={"invalid": "Enter the street address as text."},
        metadata={"example": "1531 McKinnon Street, Salinas"},
    )
    latitude = Number(
        -90, 90, "Latitude must be a number from -90 to 90.", allow_none=True, load_default=None
    )
    longitude = Number(
        -180,
        180,
        "Longitude must be a number from -180 to 180.",
        allow_none=True,
        load_default=None,
    )

    @validates_schema
    def position_or_address(self, data: dict, **_: object) -> None:
        has_lat, has_lon = data.get("latitude") is not None, data.get("longitude") is not None
        if has_lat != has_lon:
            missing = "longitude" if has_lat else "latitude"
            raise ValidationError("Give both latitude and longitude, or neither.", missing)
        if not has_lat and not data.get("address"):
            raise ValidationError(
                "Give the street address, or drop a pin on the map (latitude and longitude).",
                "address",
            )


class NewSiteSchema(SiteLocationSchema):
    kind = _choice(SITE_KINDS, load_default="home")
    contact_for_requests = fields.Boolean(load_default=True, error_messages=YES_OR_NO)
    categories = _categories(load_default=lambda: ["all"])
    share_exact_location = fields.Boolean(load_default=False, error_messages=YES_OR_NO)
    cameras = fields.List(
        fields.Nested(CameraSchema),
        load_default=list,
        validate=validate.Length(max=MAX_CAMERAS_IN_REQUEST, error=TOO_MANY_CAMERAS),
    )


class SiteSchema(Schema):
    site_id = fields.String()
    kind = fields.String()
    label = fields.String()
    status = fields.String(metadata={"description": "active, paused or unregistered"})
    address = fields.String(allow_none=True)
    latitude = fields.Float(allow_none=True)
    longitude = fields.Float(allow_none=True)
    location_source = fields.String(metadata={"description": "address, pin or import"})
    contact_for_requests = fields.Boolean()
    categories = fields.List(fields.String())
    share_exact_location = fields.Boolean()
    cameras = fields.List(fields.Nested(CameraSchema))
    registered_at = fields.DateTime()
    updated_at = fields.DateTime()


class SiteListSchema(Schema):
    sites = fields.List(fields.Nested(SiteSchema))


class GeocodeQuerySchema(Schema):
    address = Text(MAX_ADDRESS, 3, required=True, length_error=ADDRESS_LENGTH)


class PlaceSchema(Schema):
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class GeocodeSchema(Schema):
    candidates = fields.List(fields.Nested(PlaceSchema))


__all__ = ["LOCATION_SOURCES"]
