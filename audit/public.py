"""The transparency report for the public: JSON under /api/v1/public and a page, no login."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from .transparency import FEWER_THAN, THRESHOLD, shown, transparency_report, years_with_figures

blp = ApiBlueprint(
    "transparency",
    __name__,
    url_prefix="/api/v1/public",
    description="Public transparency figures: aggregate numbers only",
)
bp = Blueprint("transparency_pages", __name__, template_folder="templates")

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")  # fmt: skip
YEAR = "Give a year as four digits, for example 2025."


class TransparencyQuery(Schema):
    """Which figures to show: one calendar year (UTC), or every year when none is given."""

    class Meta:
        unknown = EXCLUDE

    year = fields.Integer(
        load_default=None,
        error_messages={"invalid": YEAR},
        validate=validate.Range(1970, 9999, error=YEAR),
        metadata={"description": "Only this calendar year (UTC), e.g. 2025."},
    )

    @pre_load
    def _blank_means_every_year(self, data: Any, **kwargs: Any) -> Any:
        # The page's "All years" choice sends `year=`.
        if data.get("year", None) == "":
            return {k: v for k, v in data.items() if k != "year"}
        return data


class Count(fields.Field[int | str]):
    """A count the public may see: exact from 5 up and at 0, else the text "fewer than 5"."""

    def __init__(self, description: str) -> None:
        one_of = [{"type": "integer", "minimum": 0}, {"type": "string", "enum": [FEWER_THAN]}]
        super().__init__(metadata={"description": description, "oneOf": one_of})

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | str:
        # The report suppresses already; this keeps a small count from ever slipping out.
        return shown(value) if isinstance(value, int) else FEWER_THAN


class TransparencySizesSchema(Schema):
    median = fields.Float(allow_none=True, metadata={"description": "null when withheld"})
    maximum = fields.Float(allow_none=True, metadata={"description": "null when withheld"})


class TransparencyAnswersSchema(Schema):
    share_now = Count("Owners who shared footage at once.")
    will_bring = Count("Owners who said they would bring footage.")
    no_footage = Count("Owners who said they had no footage of the time.")
    decline = Count("Owners who declined.")
    expired_or_unanswered = Count("Requests not answered yet, or not answered in time.")


class TransparencyAgencyMonthSchema(Schema):
    agency = fields.String()
    month = fields.String(metadata={"description": "YYYY-MM, UTC"})
    canvasses_opened = Count("Canvasses the agency opened in the month.")
    area_square_miles = fields.Nested(
        TransparencySizesSchema,
        metadata={"description": f"Search areas; withheld below {THRESHOLD} canvasses."},
    )
    window_hours = fields.Nested(
        TransparencySizesSchema,
        metadata={"description": f"Incident time windows; withheld below {THRESHOLD} canvasses."},
    )
    overrides = Count("Canvasses a supervisor approved beyond the policy limits.")
    requests_sent = Count("Requests for footage emailed to owners in the month.")
    answers = fields.Nested(
        TransparencyAnswersSchema, metadata={"description": "Of the requests sent."}
    )
    footage_received = Count("Footage files owners uploaded in the month.")


class TransparencyCityMonthSchema(Schema):
    month = fields.String(metadata={"description": "YYYY-MM, UTC"})
    owner_erasures = Count("Owners' accounts erased, city-wide.")


class TransparencySchema(Schema):
    year = fields.Integer(allow_none=True)
    threshold = fields.Integer(metadata={"description": "Counts below this are not exact."})
    agency_months = fields.List(fields.Nested(TransparencyAgencyMonthSchema))
    city_months = fields.List(fields.Nested(TransparencyCityMonthSchema))


@blp.get("/transparency")
@blp.arguments(TransparencyQuery, location="query")
@blp.response(200, TransparencySchema)
def transparency_figures(query: dict[str, Any]) -> dict[str, Any]:
    """Canvassing per agency and month, in aggregate.

    Counts from 1 to 4 read "fewer than 5"; the area and window sizes of a group of fewer
    than 5 canvasses are withheld (null). Canvasses, sizes and overrides count in the month
    a canvass was opened, requests and their answers in the month they were sent, footage
    in the month it arrived; months are UTC.
    """
    with _read() as conn:
        return transparency_report(conn, query["year"])


@bp.get("/transparency")
def transparency() -> ResponseReturnValue:
    """The same figures as a page anyone can read, with what each one means."""
    try:
        year = TransparencyQuery().load(request.args)["year"]
    except ValidationError:
        return _page(None, {"year": [YEAR]}), 422
    return _page(year, {})


def _page(year: int | None, errors: dict[str, list[str]]) -> str:
    with _read() as conn:
        years = set(years_with_figures(conn)) | ({year} if year else set())
        months = [] if errors else _by_month(transparency_report(conn, year))
    return render_template(
        "audit/transparency.html",
        year=year,
        years=sorted(years, reverse=True),
        months=months,
        errors=errors,
    )


def _by_month(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report as the page shows it: one section per month, its agencies inside."""
    return [
        {
            "month": city["month"],
            "name": f"{MONTH_NAMES[int(city['month'][5:]) - 1]} {city['month'][:4]}",
            "owner_erasures": city["owner_erasures"],
            "agencies": [g for g in report["agency_months"] if g["month"] == city["month"]],
        }
        for city in report["city_months"]
    ]


def _read() -> sa.Connection:
    engine: sa.Engine = current_app.extensions["canvass"].engine
    return engine.connect().execution_options(read_only=True)
