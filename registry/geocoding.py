"""Addresses to positions: an offline gazetteer by default, any geopy geocoder by choice.

The gazetteer is a table of address points loaded from an OpenAddresses CSV. Matching
ignores case and punctuation, treats common abbreviations (St/Street, Ave/Avenue, N/North,
...) as the same word, and falls back from a unit ("#4", "Apt 4", "Suite 200") to its
building. An address that matches nothing, or matches places that are far apart, is
reported as such: the caller offers the map pin instead of guessing.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .geodesy import Point, distance_m

gazetteer = sa.Table(
    "gazetteer_addresses",
    sa.MetaData(),
    sa.Column("address_key", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("source_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("number", sa.String(20), nullable=False),
    sa.Column("street", sa.String(120), nullable=False),
    sa.Column("unit", sa.String(40), nullable=False),
    sa.Column("city", sa.String(80), nullable=False),
    sa.Column("postcode", sa.String(12), nullable=False),
    sa.Column("display", sa.String(250), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
)

SAME_BUILDING_METRES = 75

_ABBREVIATIONS = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "BOULEVARD": "BLVD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "CIRCLE": "CIR",
    "TERRACE": "TER",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "TRAIL": "TRL",
    "PLAZA": "PLZ",
    "SQUARE": "SQ",
    "CANYON": "CYN",
    "MOUNT": "MT",
    "SAINT": "ST",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
    "FIRST": "1ST",
    "SECOND": "2ND",
    "THIRD": "3RD",
    "FOURTH": "4TH",
    "FIFTH": "5TH",
    "SIXTH": "6TH",
    "SEVENTH": "7TH",
    "EIGHTH": "8TH",
    "NINTH": "9TH",
    "TENTH": "10TH",
}
_UNIT = re.compile(r"(?:#|\b(?:APT|APARTMENT|UNIT|STE|SUITE|SPC|SPACE|BLDG|RM)\b)\.?\s*(\S+)$")
_NUMBER_AND_STREET = re.compile(r"^(\d+[A-Z]?)\s+(.+)$")


def normalize_street(text: str) -> str:
    """Upper case, no punctuation, and every word in its abbreviated form."""
    words = re.sub(r"[^\w\s]", " ", text.upper()).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)


@dataclass(frozen=True)
class AddressQuery:
    """What a person typed, taken apart."""

    number: str
    street: str
    unit: str
    city: str
    postcode: str


def parse_address(text: str) -> AddressQuery | None:
    """'1531 McKinnon St #C, Salinas, CA 93906' into its parts; None without a number."""
    parts = [part.strip() for part in text.upper().split(",") if part.strip()]
    if not parts:
        return None
    first = re.sub(r"\s+-\s+\S+$", "", parts[0])  # "123 MAIN ST - BP" style suffixes
    unit = ""
    if match := _UNIT.search(first):
        unit, first = match.group(1), first[: match.start()].strip()
    match = _NUMBER_AND_STREET.match(first)
    if not match:
        return None
    postcode = ""
    city = ""
    for part in parts[1:]:
        if code := re.search(r"\b(\d{5})(?:-\d{4})?\b", part):
            postcode = code.group(1)
        elif not re.fullmatch(r"[A-Z]{2}", part) and not city:
            city = part
    return AddressQuery(match.group(1), normalize_street(match.group(2)), unit, city, postcode)


class GazetteerGeocoder(Geocoder):  # type: ignore[misc]
    """A geopy geocoder answered from the `gazetteer_addresses` table, without a network."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__()
        self._engine = engine

    def geocode(self, query: str, *, exactly_one: bool = True, **_: Any) -> Any:
        """The place for an address: one Location, or None when unknown or ambiguous.

        With `exactly_one=False`, every distinct place that matches, so a person can pick.
        """
        places = self.candidates(query)
        if exactly_one:
            return places[0] if len(places) == 1 else None
        return places or None

    def candidates(self, query: str) -> list[Location]:
        """Distinct places (buildings) that match the address."""
        parsed = parse_address(query)
        if parsed is None:
            return []
        rows = self._matching_rows(parsed)
        if parsed.unit:
            with_unit = [r for r in rows if r.unit.upper() == parsed.unit]
            rows = with_unit or rows
        return _buildings(rows)

    def _matching_rows(self, parsed: AddressQuery) -> list[Any]:
        query = sa.select(gazetteer).where(
            gazetteer.c.number == parsed.number, gazetteer.c.street == parsed.street
        )
        if parsed.postcode:
            query = query.where(gazetteer.c.postcode == parsed.postcode)
        if parsed.city:
            query = query.where(sa.func.upper(gazetteer.c.city) == parsed.city)
        with self._engine.connect().execution_options(read_only=True) as conn:
            return list(conn.execute(query.order_by(gazetteer.c.address_key)))


def _buildings(rows: list[Any]) -> list[Location]:
    """Rows grouped into places: units of one building close together count once."""
    places: list[tuple[Point, Any]] = []
    for row in rows:
        point = Point(row.latitude, row.longitude)
        if not any(
            row.city == other.city and distance_m(point, where) <= SAME_BUILDING_METRES
            for where, other in places
        ):
            places.append((point, row))
    return [
        Location(_display(row), (point.latitude, point.longitude), {"source": "gazetteer"})
        for point, row in places
    ]


def _display(row: Any) -> str:
    return f"{row.number} {row.street.title()}, {row.city}, {row.postcode}".rstrip(", ")


# --- loading ------------------------------------------------------------------------------


@dataclass
class GazetteerImport:
    """What loading an OpenAddresses file did."""

    added: int = 0
    already_present: int = 0
    skipped: int = 0


def read_openaddresses(path: Path) -> Iterator[dict[str, Any] | None]:
    """Rows ready for the table, or None for rows without a house number or street."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        for record in csv.DictReader(file):
            number = (record.get("NUMBER") or "").strip()
            street = (record.get("STREET") or "").strip()
            try:
                lat, lon = float(record["LAT"]), float(record["LON"])
                Point(lat, lon)
            except (KeyError, TypeError, ValueError):
                yield None
                continue
            if number in ("", "0") or not street or not record.get("HASH"):
                yield None
                continue
            city = (record.get("CITY") or "").strip().title()
            unit = (record.get("UNIT") or "").strip()
            yield {
                "source_hash": record["HASH"].strip(),
                "number": number.upper(),
                "street": normalize_street(street),
                "unit": unit,
                "city": city,
                "postcode": (record.get("POSTCODE") or "").strip(),
                "display": f"{number} {street.title()}{' #' + unit if unit else ''}, {city}",
                "latitude": lat,
                "longitude": lon,
            }


def load_gazetteer(
    engine: sa.Engine,
    rows: Iterable[dict[str, Any] | None],
    progress: Callable[[int], None] | None = None,
    batch_size: int = 2000,
) -> GazetteerImport:
    """Add address points not yet in the table (by OpenAddresses hash); idempotent."""
    report = GazetteerImport()
    batch: list[dict[str, Any]] = []
    for row in rows:
        if row is None:
            report.skipped += 1
        else:
            batch.append(row)
        if len(batch) >= batch_size:
            _insert_new(engine, batch, report)
            if progress:
                progress(len(batch))
            batch = []
    _insert_new(engine, batch, report)
    if progress and batch:
        progress(len(batch))
    return report


def _insert_new(engine: sa.Engine, batch: list[dict[str, Any]], report: GazetteerImport) -> None:
    unique = {row["source_hash"]: row for row in batch}
    with engine.begin() as conn:
        known = set(
            conn.execute(
                sa.select(gazetteer.c.source_hash).where(gazetteer.c.source_hash.in_(list(unique)))
            ).scalars()
        )
        fresh = [row for hash_, row in unique.items() if hash_ not in known]
        if fresh:
            conn.execute(gazetteer.insert(), fresh)
    report.added += len(fresh)
    report.already_present += len(batch) - len(fresh)
