"""What the registry API accepts and answers, with messages an owner understands."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

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
TOO_MANY_CAMERAS = f"A site may have at most {MAX_CAMERAS_IN_REQUEST} cameras."
ADDRESS_LENGTH = f"Use 3 to {MAX_ADDRESS} characters."
REQUIRED = {"required": "This field is required.", "null": "This field cannot be empty."}
NUMBER = REQUIRED | {"invalid": "Enter a number.", "special": "Enter an ordinary number."}


def _choice(options: tuple[str, ...], **kw: object) -> fields.String:
    return fields.String(
        validate=validate.OneOf(options, error=f"Choose one of: {', '.join(options)}."),
        error_messages=REQUIRED | {"invalid": "Choose one of the options."},
        **kw,
    )


def _number(low: float, high: float, message: str, **kw: object) -> fields.Float:
    return fields.Float(
        allow_nan=False,
        validate=validate.Range(min=low, max=high, error=message),
        error_messages=NUMBER,
        **kw,
    )


class CameraSchema(Schema):
    camera_id = fields.String(dump_only=True)
    label = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_LABEL, error=f"Use 1 to {MAX_LABEL} characters."),
        error_messages=REQUIRED | {"invalid": "Enter text here."},
        metadata={"example": "Driveway"},
    )
    bearing_degrees = _number(
        0, 359.999999, "The direction must be from 0 (north) up to 360 degrees.", required=True
    )
    field_of_view_degrees = _number(
        1, 360, "The field of view must be from 1 to 360 degrees.", required=True
    )
    range_metres = _number(
        1,
        MAX_RANGE_METRES,
        f"The range must be from 1 to {MAX_RANGE_METRES} metres.",
        required=True,
    )
    placement = _choice(PLACEMENTS, load_default="outdoor")
    recording = _choice(RECORDING_MODES, load_default="continuous")
    retention_days = fields.Integer(
        strict=True,
        required=True,
        validate=validate.Range(
            min=1,
            max=MAX_RETENTION_DAYS,
            error=f"Enter how many days your recorder keeps footage: 1 to {MAX_RETENTION_DAYS}.",
        ),
        error_messages=REQUIRED | {"invalid": "Enter a whole number of days."},
    )


class ConsentSchema(Schema):
    contact_for_requests = fields.Boolean(
        load_default=True, error_messages={"invalid": "Answer yes (true) or no (false)."}
    )
    categories = fields.List(
        fields.String(validate=validate.OneOf(("all", *CATEGORIES), error=CATEGORY_CHOICE)),
        load_default=lambda: ["all"],
        validate=validate.Length(min=1, max=len(CATEGORIES), error="Choose 'all' or 1 to 4 kinds."),
        error_messages={"invalid": "Give a list of incident kinds."},
    )
    share_exact_location = fields.Boolean(
        load_default=False, error_messages={"invalid": "Answer yes (true) or no (false)."}
    )


class SiteLocationSchema(Schema):
    label = fields.String(
        required=True,
        validate=validate.Length(min=1, max=MAX_LABEL, error=f"Use 1 to {MAX_LABEL} characters."),
        error_messages=REQUIRED | {"invalid": "Enter text here."},
        metadata={"example": "Home"},
    )
    address = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=MAX_ADDRESS, error=f"Use at most {MAX_ADDRESS} characters."),
        error_messages={"invalid": "Enter the street address as text."},
        metadata={"example": "1531 McKinnon Street, Salinas"},
    )
    latitude = _number(
        -90, 90, "Latitude must be a number from -90 to 90.", allow_none=True, load_default=None
    )
    longitude = _number(
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


class NewSiteSchema(SiteLocationSchema, ConsentSchema):
    kind = _choice(SITE_KINDS, load_default="home")
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
    address = fields.String(
        required=True,
        validate=validate.Length(min=3, max=MAX_ADDRESS, error=ADDRESS_LENGTH),
        error_messages=REQUIRED,
    )


class PlaceSchema(Schema):
    address = fields.String()
    latitude = fields.Float()
    longitude = fields.Float()


class GeocodeSchema(Schema):
    candidates = fields.List(fields.Nested(PlaceSchema))


__all__ = ["LOCATION_SOURCES"]


class CoverageQuerySchema(Schema):
    south = fields.Float(load_default=-90, validate=validate.Range(-90, 90), allow_nan=False)
    west = fields.Float(load_default=-180, validate=validate.Range(-180, 180), allow_nan=False)
    north = fields.Float(load_default=90, validate=validate.Range(-90, 90), allow_nan=False)
    east = fields.Float(load_default=180, validate=validate.Range(-180, 180), allow_nan=False)


class CoverageCellSchema(Schema):
    south = fields.Float()
    west = fields.Float()
    size_degrees = fields.Float(attribute="size")
    sites = fields.Integer()
    cameras = fields.Integer()


class CoverageSchema(Schema):
    cell_degrees = fields.Float()
    minimum_sites = fields.Integer()
    cells = fields.List(fields.Nested(CoverageCellSchema))
