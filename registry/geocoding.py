"""Addresses to positions: an offline gazetteer by default, any geopy geocoder by choice.

The gazetteer is a table of address points loaded from a city's or an OpenAddresses file.
Matching forgives what people do when they type an address: no commas, "Street" for "St",
case, ordinals in words or zero-padded, a unit ("#4", "Apt 4"), the town and postcode given
or not, and a letter or two wrong in the street's name. The house number must be right: a
number the street does not have is answered with the nearest numbers on that street, as
suggestions for the person to pick, never as a silent guess. An address that matches
places far apart is reported as several, and the caller asks which.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from geopy.geocoders.base import Geocoder
from geopy.location import Location

from .address_import import GazetteerImport, load_gazetteer, read_openaddresses
from .address_parsing import AddressQuery, normalize_street, parse_address, street_title
from .address_points import gazetteer, number_value
from .address_streets import StreetIndex
from .geodesy import Point, distance_m

SAME_BUILDING_METRES = 75
MAX_SUGGESTIONS = 8

__all__ = [
    "GazetteerGeocoder",
    "GazetteerImport",
    "gazetteer",
    "load_gazetteer",
    "normalize_street",
    "parse_address",
    "read_openaddresses",
]


class GazetteerGeocoder(Geocoder):  # type: ignore[misc]
    """A geopy geocoder answered from the `gazetteer_addresses` table, without a network."""

    def __init__(self, engine: sa.Engine) -> None:
        super().__init__()
        self._engine = engine
        self._index: StreetIndex | None = None
        self._index_version: Any = None

    def geocode(self, query: str, *, exactly_one: bool = True, **_: Any) -> Any:
        """The place for an address: one Location, or None when unknown or ambiguous.

        With `exactly_one=False`, every distinct place that matches, so a person can pick.
        """
        places = self.candidates(query)
        if exactly_one:
            return places[0] if len(places) == 1 else None
        return places or None

    def candidates(self, query: str) -> list[Location]:
        """Distinct places (buildings) that match the address, its number exactly."""
        parsed = parse_address(query)
        if parsed is None:
            return []
        with self._connect() as conn:
            streets, city = self._streets_and_town(conn, parsed)
            if not streets or city == "":
                return []
            rows = self._rows(conn, parsed, streets, city)
        if parsed.unit:
            with_unit = [r for r in rows if r.unit.upper() == parsed.unit]
            rows = with_unit or rows
        return _buildings(rows)

    def suggestions(self, typed: str) -> list[dict[str, Any]]:
        """Up to eight addresses for what a person has typed so far: those with the number
        on the streets they may mean, else the nearest numbers on the street they named."""
        parsed = parse_address(typed)
        if parsed is None:
            return []
        with self._connect() as conn:
            index = self._streets(conn)
            city = index.town(parsed.city) if parsed.city else None
            streets = index.completions(parsed.street)
            rank = {street: place for place, street in enumerate(streets)}
            rows = self._rows(conn, parsed, streets, city) if streets else []
            rows.sort(key=lambda row: rank[row.street])
            exact = True
            if not rows and (named := index.resolve(parsed.street).streets):
                rows, exact = self._nearest_numbers(conn, parsed.number, named[0], city), False
        places = _buildings(rows)[:MAX_SUGGESTIONS]
        return [
            {"address": p.address, "latitude": p.latitude, "longitude": p.longitude, "exact": exact}
            for p in places
        ]

    def _connect(self) -> sa.Connection:
        return self._engine.connect().execution_options(read_only=True)

    def _streets(self, conn: sa.Connection) -> StreetIndex:
        """The known streets, read again only after an import added address points."""
        version = conn.execute(sa.select(sa.func.max(gazetteer.c.address_key))).scalar()
        if self._index is None or version != self._index_version:
            streets = conn.execute(sa.select(gazetteer.c.street).distinct()).scalars()
            towns = conn.execute(sa.select(gazetteer.c.city).distinct()).scalars()
            self._index, self._index_version = StreetIndex(streets, towns), version
        return self._index

    def _streets_and_town(
        self, conn: sa.Connection, parsed: AddressQuery
    ) -> tuple[list[str], str | None]:
        """The streets meant and the town named ('' for a town the gazetteer lacks)."""
        index = self._streets(conn)
        match = index.resolve(parsed.street)
        named = parsed.city or match.rest
        return match.streets, (index.town(named) or "") if named else None

    def _rows(
        self, conn: sa.Connection, parsed: AddressQuery, streets: list[str], city: str | None
    ) -> list[Any]:
        query = sa.select(gazetteer).where(
            gazetteer.c.number == parsed.number, gazetteer.c.street.in_(streets)
        )
        query = _in_place(query, city, parsed.postcode)
        return list(conn.execute(query.order_by(gazetteer.c.address_key)))

    def _nearest_numbers(
        self, conn: sa.Connection, number: str, street: str, city: str | None
    ) -> list[Any]:
        """The numbers either side of `number` on the street, nearest first."""
        value = number_value(number)
        if value is None:
            return []
        on_street = _in_place(sa.select(gazetteer).where(gazetteer.c.street == street), city, "")
        below = on_street.where(gazetteer.c.number_value <= value)
        above = on_street.where(gazetteer.c.number_value > value)
        rows = list(conn.execute(below.order_by(gazetteer.c.number_value.desc()).limit(8)))
        rows += conn.execute(above.order_by(gazetteer.c.number_value).limit(8))
        return sorted(rows, key=lambda row: (abs(row.number_value - value), row.number_value))


def _in_place(query: sa.Select[Any], city: str | None, postcode: str) -> sa.Select[Any]:
    """Only points in the town and postcode named; points without a postcode stay in."""
    if city:
        query = query.where(gazetteer.c.city == city)
    if postcode:
        query = query.where(sa.or_(gazetteer.c.postcode == postcode, gazetteer.c.postcode == ""))
    return query


def _buildings(rows: list[Any]) -> list[Location]:
    """Rows grouped into places: units of one building close together count once."""
    places: list[tuple[Point, Any]] = []
    for row in rows:
        point = Point(row.latitude, row.longitude)
        if not any(
            row.city == other.city
            and row.number == other.number
            and row.street == other.street
            and distance_m(point, where) <= SAME_BUILDING_METRES
            for where, other in places
        ):
            places.append((point, row))
    return [
        Location(_display(row), (point.latitude, point.longitude), {"source": "gazetteer"})
        for point, row in places
    ]


def _display(row: Any) -> str:
    """'1 Dr Carlton B Goodlett Pl, San Francisco, CA 94102', without the parts unknown."""
    place = f"{row.region} {row.postcode}".strip()
    parts = [f"{row.number} {street_title(row.street)}", row.city, place]
    return ", ".join(part for part in parts if part)
