"""Marshmallow fields for every schema: text, whole numbers, numbers and times bounded by
what the domain means and what every column on both backends can hold."""

from __future__ import annotations

import math
import unicodedata
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import fields, validate

from .text import allowed_pattern, refused_character

# The event log's canonical encoding (RFC 8785) holds integers exactly only up to this.
LARGEST_EXACT_INTEGER = 2**53 - 1
# Positions, tree sizes and counts of the log; far beyond any real log, within every column.
MAX_POSITION = LARGEST_EXACT_INTEGER
MAX_PAGE = 100_000
# A recorder's clock that is wrong by more than a day is a different problem.
MAX_CLOCK_OFFSET_SECONDS = 86_400
# Times the service can represent in every zone: from 1970 to the end of 9998, in UTC.
EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
LATEST_TIME = datetime(9999, 1, 1, tzinfo=UTC)
TIME_RANGE = "Give a time from the year 1970 to the year 9998."
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(9998, 12, 31)
DAY_RANGE = "Give a date from the year 1970 to the year 9998."

REQUIRED = {"required": "This field is required.", "null": "This field cannot be empty."}


class Text(fields.String):
    """Text in NFC, trimmed, of a bounded length, without control characters.

    Single-line text (labels, names) also refuses line breaks and the characters that
    reverse how text is displayed; free text (notes, justifications) keeps newlines and tabs.
    """

    default_error_messages = {
        "invalid": "Enter text here.",
        "control": "Remove the invisible control character {code} from this text.",
    }

    def __init__(
        self,
        maximum: int,
        minimum: int = 0,
        *,
        single_line: bool = True,
        strip: bool = True,
        normalize: bool = True,
        length_error: str | None = None,
        **options: Any,
    ) -> None:
        if length_error is None:
            length_error = (
                f"Use {minimum} to {maximum} characters."
                if minimum
                else f"Use at most {maximum} characters."
            )
        extra = options.pop("validate", None)
        checks = [validate.Length(min=minimum, max=maximum, error=length_error)]
        checks += [extra] if callable(extra) else list(extra or [])
        options["error_messages"] = REQUIRED | dict(options.get("error_messages") or {})
        pattern = allowed_pattern(single_line, non_blank=minimum > 0 and strip)
        options["metadata"] = {"pattern": pattern} | dict(options.get("metadata") or {})
        super().__init__(validate=checks, **options)
        self.single_line = single_line
        self.strip = strip
        self.normalize = normalize

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        text = super()._deserialize(value, attr, data, **kwargs)
        if self.normalize:
            text = unicodedata.normalize("NFC", text)
        found = refused_character(text, self.single_line)
        if found is not None:
            raise self.make_error("control", code=f"U+{ord(found):04X}")
        return text.strip() if self.strip else text


class WholeNumber(fields.Integer):
    """A whole number within bounds; 7.5 and true are refused, "7" in a query is read."""

    default_error_messages = {
        "invalid": "Give a whole number.",
        "too_large": "Give a whole number.",
    }

    def __init__(
        self, minimum: int, maximum: int, error: str, above: str | None = None, **options: Any
    ) -> None:
        """`error` explains the range; `above`, when given, explains the upper bound alone."""
        if not -LARGEST_EXACT_INTEGER <= minimum <= maximum <= LARGEST_EXACT_INTEGER:
            raise ValueError("bounds beyond what the event log holds exactly")
        options["error_messages"] = REQUIRED | dict(options.get("error_messages") or {})
        checks = (
            [validate.Range(min=minimum, error=error), validate.Range(max=maximum, error=above)]
            if above
            else [validate.Range(minimum, maximum, error=error)]
        )
        super().__init__(validate=checks, **options)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return super()._validated(value)


class Number(fields.Float):
    """An ordinary (finite) number within bounds."""

    default_error_messages = {
        "invalid": "Enter a number.",
        "special": "Enter an ordinary number.",
        "too_large": "Enter an ordinary number.",
    }

    def __init__(self, minimum: float, maximum: float, error: str, **options: Any) -> None:
        options["error_messages"] = REQUIRED | dict(options.get("error_messages") or {})
        super().__init__(
            allow_nan=False, validate=validate.Range(minimum, maximum, error=error), **options
        )

    def _validated(self, value: Any) -> float:
        if isinstance(value, bool):
            raise self.make_error("invalid")
        number = super()._validated(value)
        if number is None or not math.isfinite(number):
            raise self.make_error("special")
        return number


class Moment(fields.AwareDateTime):
    """A date and time with its offset, in the years the service can represent."""

    default_error_messages = {
        "invalid": "Give a date and time like 2026-11-20T21:30:00-08:00.",
        "invalid_awareness": "Include the time zone, like -08:00 or Z.",
        "out_of_range": TIME_RANGE,
    }

    def __init__(self, **options: Any) -> None:
        options["error_messages"] = REQUIRED | dict(options.get("error_messages") or {})
        super().__init__(**options)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        if isinstance(value, str) and len(value) > 64:
            raise self.make_error("invalid")
        moment: datetime = super()._deserialize(value, attr, data, **kwargs)
        try:
            in_utc = moment.astimezone(UTC)
        except (OverflowError, ValueError):
            raise self.make_error("out_of_range") from None
        if not EARLIEST_TIME <= in_utc < LATEST_TIME:
            raise self.make_error("out_of_range")
        return moment


class Day(fields.Date):
    """A calendar date in the years the service can represent."""

    default_error_messages = {"invalid": "Give a date like 2026-11-28."}

    def __init__(self, **options: Any) -> None:
        options["error_messages"] = REQUIRED | dict(options.get("error_messages") or {})
        super().__init__(
            validate=validate.Range(EARLIEST_DAY, LATEST_DAY, error=DAY_RANGE), **options
        )
