"""The kinds of value a setting can hold, read from text or Python, and what is wrong."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geopy.exc import GeocoderNotFound
from geopy.geocoders import get_geocoder_for_service
from shapely.geometry import Polygon
from shapely.validation import explain_validity
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from .basemap import read_header

Parse = Callable[[Any], Any]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_WHOLE = re.compile(r"[+-]?[0-9]{1,30}")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class WrongValue(ValueError):
    """A value a setting cannot hold; the message says why and what a right one looks like."""


def optional(parse: Parse) -> Parse:
    """Nothing (unset, or empty in the environment) stays None; anything else is parsed."""
    return lambda value: None if value is None or value == "" else parse(value)


def anything(value: Any) -> Any:
    """A setting this service does not interpret (Flask's and extensions' own)."""
    return value


def whole_number(low: int, high: int, example: int) -> Parse:
    """An integer from `low` to `high`, written as digits in the environment."""
    use = f"use one from {low} to {high}, e.g. {example}."

    def parse(value: Any) -> int:
        number = value
        if isinstance(value, str) and _WHOLE.fullmatch(value.strip()):
            number = int(value)
        if isinstance(value, float) and value.is_integer():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise WrongValue(f"{_shown(value)} is not a whole number; {use}")
        if not low <= number <= high:
            raise WrongValue(f"{number} is out of range; use a whole number from {low} to {high}.")
        return number

    return parse


def switch(value: Any) -> bool:
    """On or off: true/false, 1/0 (also yes/no, on/off) in the environment."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise WrongValue(f"{_shown(value)} is not a yes or no; use true or false (or 1 or 0).")


def one_of(*choices: str) -> Parse:
    """One of a few words, in any case; the answer is spelt as in `choices`."""
    spelt = {choice.lower(): choice for choice in choices}

    def parse(value: Any) -> str:
        if isinstance(value, str) and value.strip().lower() in spelt:
            return spelt[value.strip().lower()]
        raise WrongValue(f"{_shown(value)} is not one of {', '.join(choices)}.")

    return parse


def text(value: Any) -> str:
    """One line of text."""
    if not isinstance(value, str):
        raise WrongValue(f"{_shown(value)} is not text.")
    if _CONTROL.search(value):
        raise WrongValue("it must be one line, with no control characters.")
    return value


def notice(value: Any) -> str:
    """A short text shown to people, such as a use notice: one line of at most 2000 characters."""
    shown = text(value)
    if not shown.strip():
        raise WrongValue("it is empty; write the notice, or leave the setting unset.")
    if len(shown) > 2000:
        raise WrongValue(f"it has {len(shown)} characters; keep it to 2000.")
    return shown.strip()


def secret(value: Any) -> str:
    """One line of text that is never repeated in a message."""
    if not isinstance(value, str) or not value or _CONTROL.search(value):
        raise WrongValue("it must be one line of text, with no control characters.")
    return value


def web_address(example: str, *, plain: bool = True) -> Parse:
    """An http(s) address with a host (`plain`: and no query or fragment)."""

    def parse(value: Any) -> str:
        parts = urlsplit(text(value)) if isinstance(value, str) else None
        if parts is None or parts.scheme not in ("http", "https"):
            raise WrongValue(
                f"{_shown(value)} is not a web address; use an address such as {example}"
            )
        if not parts.hostname:
            raise WrongValue(f"{_shown(value)} names no host; use an address such as {example}")
        if plain and (parts.query or parts.fragment):
            raise WrongValue(
                f"{_shown(value)} must not carry a query or a fragment, e.g. {example}"
            )
        return str(value)

    return parse


def public_address(value: Any) -> str:
    """The address people reach the service at, without a trailing slash (links add paths)."""
    return str(web_address("https://canvass.example.gov")(value)).rstrip("/")


def tile_address(value: Any) -> str:
    """A map tile server's address with {z}, {x} and {y} in it."""
    example = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    address = str(web_address(example, plain=False)(value))
    if not all(part in address for part in ("{z}", "{x}", "{y}")):
        raise WrongValue(f"{_shown(value)} needs {{z}}, {{x}} and {{y}} in it, e.g. {example}")
    return address


def pmtiles_file(value: Any) -> str:
    """A PMTiles v3 archive the service can read, such as the city's street basemap."""
    where = str(path("file")(value))
    try:
        read_header(where)
    except FileNotFoundError:
        raise WrongValue(f"{where!r} does not exist; name a .pmtiles file.") from None
    except PermissionError:
        raise WrongValue(f"{where!r} cannot be read by the service; allow it to.") from None
    except OSError as wrong:
        raise WrongValue(f"{where!r} cannot be read: {wrong.strerror or wrong}.") from None
    except ValueError as wrong:
        raise WrongValue(f"{wrong}.") from None
    return where


def time_zone(value: Any) -> str:
    """A time zone of the IANA database, by name."""
    try:
        ZoneInfo(text(value))
    except (ValueError, ZoneInfoNotFoundError, OSError):
        raise WrongValue(
            f"{_shown(value)} is not a time zone; use a name such as America/Detroit or UTC."
        ) from None
    return str(value)


def database_address(value: Any) -> str:
    """An SQLite file or a PostgreSQL database (never repeated: it may hold a password)."""
    use = "use sqlite:///<path of a file> or postgresql+psycopg://user:password@host:5432/name."
    try:
        url = make_url(secret(value))
    except (ArgumentError, ValueError, WrongValue):
        raise WrongValue(f"it is not a database address; {use}") from None
    if url.drivername in ("sqlite", "sqlite+pysqlite"):
        if not url.database or url.database == ":memory:" or "memory" in url.database:
            raise WrongValue(f"the SQLite database needs the path of a file; {use}")
    elif url.drivername not in ("postgresql", "postgresql+psycopg"):
        raise WrongValue(f"the service stores its log in SQLite or PostgreSQL only; {use}")
    elif not url.host and not url.query.get("host"):
        raise WrongValue(f"the PostgreSQL address names no host; {use}")
    return str(value)


def email_address(value: Any) -> str:
    """An address to send from: `Name <user@domain>` or `user@domain`."""
    address = parseaddr(text(value) if isinstance(value, str) else "")[1]
    local, _, domain = address.partition("@")
    if not local or ("." not in domain and domain != "localhost"):
        raise WrongValue(
            f"{_shown(value)} is not an email address; "
            "use one such as Camera registry <registry@city.example.gov>."
        )
    return str(value)


def path(kind: str) -> Parse:
    """Where a file or a folder is (or will be made); never the other kind."""

    def parse(value: Any) -> str:
        if not isinstance(value, str | os.PathLike) or not str(value) or "\0" in str(value):
            raise WrongValue(f"{_shown(value)} is not the path of a {kind}.")
        place = Path(value)
        if kind == "file" and place.is_dir():
            raise WrongValue(f"{str(place)!r} is a folder, not a file; name a file in it.")
        if kind == "folder" and place.exists() and not place.is_dir():
            raise WrongValue(f"{str(place)!r} is a file, not a folder.")
        return str(value)

    return parse


def json_value(value: Any) -> Any:
    """Structured settings are JSON in the environment, Python values from the caller."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError as wrong:
        raise WrongValue(f"it is not valid JSON ({wrong}).") from None


def json_object(value: Any) -> dict[str, Any]:
    """A JSON object (a Python dict)."""
    found = json_value(value)
    if not isinstance(found, dict):
        raise WrongValue('it must be a JSON object, e.g. {"timeout": 10}.')
    return found


def geocoder(value: Any) -> str:
    """The offline gazetteer, or a geocoder geopy knows by name."""
    name = text(value) if isinstance(value, str) else ""
    if name != "gazetteer":
        try:
            get_geocoder_for_service(name)
        except GeocoderNotFound:
            raise WrongValue(
                f"{_shown(value)} is not a geocoder geopy knows; use gazetteer (offline), "
                "or a geopy service name such as nominatim."
            ) from None
    return name


def log_origin(value: Any) -> str:
    """A name for the log in its checkpoints: no spaces or '+'."""
    name = text(value) if isinstance(value, str) else ""
    if not name or "+" in name or any(c.isspace() for c in name):
        raise WrongValue(
            f"{_shown(value)} cannot be the log's name: it cannot hold spaces or '+', and "
            "cannot be empty; e.g. canvass.example.gov/camera-registry-log."
        )
    return name


def service_area(value: Any) -> dict[str, Any]:
    """A GeoJSON Polygon, longitude then latitude, whose boundary never crosses itself."""
    area = json_value(value)
    rings = area.get("coordinates") if isinstance(area, dict) else None
    if not isinstance(area, dict) or area.get("type") != "Polygon" or not rings:
        raise WrongValue(
            'it must be a GeoJSON Polygon, e.g. {"type": "Polygon", "coordinates": '
            "[[[-83.29, 42.25], [-82.91, 42.25], [-82.91, 42.45], [-83.29, 42.45], "
            "[-83.29, 42.25]]]} (longitude, then latitude)."
        )
    if not isinstance(rings, list | tuple) or len(rings) != 1:
        raise WrongValue("a service area cannot have holes: give only its outer boundary.")
    ring = rings[0]
    if isinstance(ring, list | tuple):
        ring = [list(corner) if isinstance(corner, tuple) else corner for corner in ring]
    if not isinstance(ring, list) or len(ring) < 4:
        raise WrongValue("the boundary needs at least four corners, the last one the first.")
    for number, corner in enumerate(ring, start=1):
        _check_corner(number, corner)
    if ring[0] != ring[-1]:
        raise WrongValue("the boundary must end where it starts: repeat the first corner last.")
    shape = Polygon([(float(c[0]), float(c[1])) for c in ring])
    if not shape.is_valid:
        raise WrongValue(f"the boundary crosses itself near {_where(explain_validity(shape))}.")
    return area


def _check_corner(number: int, corner: Any) -> None:
    if not (
        isinstance(corner, list)
        and len(corner) in (2, 3)
        and all(isinstance(c, int | float) and not isinstance(c, bool) for c in corner)
        and all(math.isfinite(c) for c in corner)
        and -180 <= corner[0] <= 180
        and -90 <= corner[1] <= 90
    ):
        raise WrongValue(
            f"corner {number} ({json.dumps(corner)}) is not a longitude and latitude, "
            "e.g. [-83.04, 42.33]."
        )


def _where(explanation: str) -> str:
    found = re.search(r"\[(-?[0-9.e+-]+) (-?[0-9.e+-]+)\]", explanation)
    if not found:
        return "one of its corners"
    longitude, latitude = (float(found.group(n)) for n in (1, 2))
    return f"longitude {longitude:.5f}, latitude {latitude:.5f}"


def _shown(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 80 else shown[:77] + "..."
