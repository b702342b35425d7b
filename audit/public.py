"""The transparency report for the public: JSON under /api/v1/public and a page, no login."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_smorest import Blueprint as ApiBlueprint
from marshmallow import EXCLUDE, Schema, ValidationError, fields, pre_load, validate

from accounts.errors import TooManyAttempts
from events_store.database import UtcDateTime
from registry.geodesy import BoundingBox
from validation.fields import Number

from .coverage import published, release_for
from .transparency import (
    FEWER_THAN,
    THRESHOLD,
    WITHHELD,
    shown,
    transparency_report,
    years_with_figures,
)

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

# Public figures may be asked this often per client address, in fixed windows.
REQUESTS_PER_WINDOW = 60
WINDOW = timedelta(minutes=10)

request_counts = sa.Table(
    "public_request_counts",
    sa.MetaData(),
    # A keyed hash of the client's address (HMAC under the app's secret key), never the address.
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("window_start", UtcDateTime(), nullable=False),
    sa.Column("requests", sa.Integer, nullable=False),
)


class TooManyRequests(TooManyAttempts):
    """The public figures were asked for too often from one address."""

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        minutes = max(1, round(retry_after_seconds / 60))
        Exception.__init__(
            self,
            "These figures have been asked for very often from your address. They change only "
            f"once a month; please wait {minutes} minute{'s' if minutes != 1 else ''} and try "
            "again.",
        )


def count_request(engine: sa.Engine, secret: str | bytes, address: str, now: datetime) -> None:
    """Count one request from the address; raise `TooManyRequests` beyond the limit."""
    key = secret.encode() if isinstance(secret, str) else secret
    client = hmac.new(key, b"public-figures\0" + address.encode(), hashlib.sha256).hexdigest()
    c = request_counts.c
    for _ in range(3):  # a concurrent first request of a window may insert first
        try:
            with engine.begin() as conn:
                row = conn.execute(sa.select(request_counts).where(c.client == client)).first()
                if row is None or now - row.window_start >= WINDOW:
                    # Windows long over are forgotten, so no address lingers.
                    conn.execute(request_counts.delete().where(c.window_start < now - WINDOW))
                    conn.execute(request_counts.delete().where(c.client == client))
                    conn.execute(
                        request_counts.insert().values(client=client, window_start=now, requests=1)
                    )
                    return
                if row.requests >= REQUESTS_PER_WINDOW:
                    ends = row.window_start + WINDOW
                    raise TooManyRequests(int((ends - now).total_seconds()) + 1)
                conn.execute(
                    request_counts.update()
                    .where(c.client == client)
                    .values(requests=c.requests + 1)
                )
                return
        except sa.exc.IntegrityError:
            continue


def _limited() -> None:
    count_request(
        current_app.extensions["canvass"].engine,
        current_app.config["SECRET_KEY"],
        request.remote_addr or "unknown",
        datetime.now(UTC),
    )


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
    """A count the public may see: exact from 5 up and at 0, else the text "fewer than 5"
    (or "withheld", for an answer hidden so that no small one can be worked out)."""

    def __init__(self, description: str, *texts: str) -> None:
        one_of = [
            {"type": "integer", "minimum": 0},
            {"type": "string", "enum": [FEWER_THAN, *texts]},
        ]
        super().__init__(metadata={"description": description, "oneOf": one_of})
        self._texts = texts

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> int | str:
        # The report suppresses already; this keeps a small count from ever slipping out.
        if isinstance(value, str) and value in self._texts:
            return value
        return shown(value) if isinstance(value, int) else FEWER_THAN


class TransparencySizesSchema(Schema):
    median = fields.Float(allow_none=True, metadata={"description": "null when withheld"})
    maximum = fields.Float(allow_none=True, metadata={"description": "null when withheld"})


class TransparencyAnswersSchema(Schema):
    """The answers add up to the requests sent. When any answer is from 1 to 4, every answer
    that is not 0 reads "withheld"; when the requests are fewer than 5, every answer does."""

    share_now = Count("Owners who shared footage at once.", WITHHELD)
    will_bring = Count("Owners who said they would bring footage.", WITHHELD)
    no_footage = Count("Owners who said they had no footage of the time.", WITHHELD)
    did_not_provide = Count(
        "Requests declined or not answered in time: one figure, so that nobody can tell "
        "a decline from silence.",
        WITHHELD,
    )


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
    """Canvassing per agency and month, in aggregate, for months that have ended.

    A month appears once it has ended and every request sent in it has reached its
    deadline. Counts from 1 to 4 read "fewer than 5"; the area and window sizes of a group
    of fewer than 5 canvasses are withheld (null); answers are withheld together so that no
    small one can be worked out from the requests sent. Canvasses, sizes and overrides
    count in the month a canvass was opened, requests and their answers in the month they
    were sent, footage in the month it arrived; months are UTC.
    """
    _limited()
    with _read() as conn:
        return transparency_report(conn, query["year"])


class CoverageQuerySchema(Schema):
    """The part of the map to show; it only chooses squares, never what they count."""

    south = Number(-90, 90, "Latitude must be a number from -90 to 90.", load_default=-90)
    west = Number(-180, 180, "Longitude must be a number from -180 to 180.", load_default=-180)
    north = Number(-90, 90, "Latitude must be a number from -90 to 90.", load_default=90)
    east = Number(-180, 180, "Longitude must be a number from -180 to 180.", load_default=180)


class CoverageBlockSchema(Schema):
    south = fields.Float()
    west = fields.Float()
    north = fields.Float()
    east = fields.Float()
    owners = fields.Integer(
        metadata={"description": "Owners counted in the square, with noise added."}
    )
    cameras = fields.Integer(
        metadata={"description": "Their cameras (at most 4 each), with noise added."}
    )


class CoveragePrivacySchema(Schema):
    epsilon_per_release = fields.Float(
        metadata={"description": "The privacy cost of one month's release, for one owner."}
    )
    delta_per_release = fields.Float(
        metadata={"description": "The chance a square below the threshold slips through."}
    )
    releases_per_year = fields.Integer()
    epsilon_per_year = fields.Float(
        metadata={"description": "What a year of releases adds up to (at most)."}
    )
    delta_per_year = fields.Float()
    minimum_owners_shown = fields.Integer(
        metadata={"description": "Squares whose noisy owner count is lower are not shown."}
    )
    cameras_per_owner_counted = fields.Integer()
    owner_standing_days = fields.Integer(
        metadata={"description": "How long an account and its site must exist to count."}
    )
    block_cells = fields.Integer(
        metadata={"description": "A square is this many by this many cells of the grid."}
    )


class CoverageSchema(Schema):
    period = fields.String(metadata={"description": "The month of this release, YYYY-MM, UTC"})
    published_at = fields.DateTime()
    next_release_at = fields.DateTime()
    privacy = fields.Nested(CoveragePrivacySchema)
    blocks = fields.List(fields.Nested(CoverageBlockSchema))


@blp.get("/coverage")
@blp.arguments(CoverageQuerySchema, location="query")
@blp.response(200, CoverageSchema)
def coverage(query: dict[str, Any]) -> dict[str, Any]:
    """Registered owners and cameras per square of the map (about a kilometre), with noise.

    The squares are fixed on the map: the box asked for only chooses which to return. The
    figures are one release per month, the same for everyone; owners count once their
    verified account and site are 30 days old; squares with a noisy count of fewer than
    10 owners are left out.
    """
    _limited()
    box = BoundingBox(query["south"], query["west"], query["north"], query["east"])
    engine: sa.Engine = current_app.extensions["canvass"].engine
    return published(release_for(engine, datetime.now(UTC)), box)


@bp.get("/transparency")
def transparency() -> ResponseReturnValue:
    """The same figures as a page anyone can read, with what each one means."""
    _limited()
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
