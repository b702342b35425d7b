"""Loading address points into the gazetteer from the files cities and OpenAddresses publish.

Two layouts are read, told apart by their header: OpenAddresses (`LON,LAT,NUMBER,STREET,
UNIT,CITY,...,HASH`) and San Francisco's Enterprise Addressing System export
(`address,number,number_suffix,street,lon,lat`). Loading is idempotent: every point has a
source hash, and a point already in the table is counted, not added again.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from .address_parsing import normalize_number, normalize_street, street_title
from .address_points import gazetteer, number_value
from .geodesy import Point

OPENADDRESSES_COLUMNS = {"LON", "LAT", "NUMBER", "STREET", "HASH"}
SF_EAS_COLUMNS = {"address", "number", "number_suffix", "street", "lon", "lat"}
SF_EAS_PLACE = ("San Francisco", "CA")


class UnknownAddressFile(ValueError):
    """A file whose header is neither layout the gazetteer reads."""


@dataclass
class GazetteerImport:
    """What loading an address file did."""

    added: int = 0
    already_present: int = 0
    skipped: int = 0


@dataclass(frozen=True)
class AddressRecord:
    """One line of an address file: its source hash, read first, and the row it makes,
    built only when the point is not loaded yet (so a second run is mostly reading)."""

    source_hash: str
    fields: dict[str, Any]
    make: Callable[[str, dict[str, Any]], dict[str, Any] | None]

    def row(self) -> dict[str, Any] | None:
        """The row for the table, or None without a house number, street or position."""
        return self.make(self.source_hash, self.fields) if self.source_hash else None


def read_openaddresses(path: Path) -> Iterator[AddressRecord]:
    """The lines of an OpenAddresses or a San Francisco EAS file, told apart by the header."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        records = csv.DictReader(file)
        columns = set(records.fieldnames or [])
        if columns >= SF_EAS_COLUMNS:
            for record in records:
                yield AddressRecord(_eas_hash(record), record, _eas_row)
        elif columns >= OPENADDRESSES_COLUMNS:
            for record in records:
                yield AddressRecord((record["HASH"] or "").strip(), record, _openaddresses_row)
        else:
            raise UnknownAddressFile(
                f"{path.name} is not an address file the gazetteer reads: its first line must "
                "name the OpenAddresses columns (LON,LAT,NUMBER,STREET,...,HASH) or San "
                "Francisco's (address,number,number_suffix,street,lon,lat)."
            )


def _eas_hash(record: dict[str, Any]) -> str:
    """EAS lines carry no id: the address and its position are the point."""
    fingerprint = f"sf-eas\x1f{record['address']}\x1f{record['lon']}\x1f{record['lat']}"
    return hashlib.sha1(fingerprint.encode(), usedforsecurity=False).hexdigest()


def _position(lat: Any, lon: Any) -> tuple[float, float] | None:
    try:
        point = Point(float(lat), float(lon))
    except (TypeError, ValueError):
        return None
    return point.latitude, point.longitude


def _openaddresses_row(source_hash: str, record: dict[str, Any]) -> dict[str, Any] | None:
    number = (record.get("NUMBER") or "").strip().upper()
    street = (record.get("STREET") or "").strip()
    position = _position(record.get("LAT"), record.get("LON"))
    if position is None or number in ("", "0") or not street:
        return None
    city = (record.get("CITY") or "").strip().title()
    unit = (record.get("UNIT") or "").strip()
    return _row(
        source_hash, number, normalize_street(street), position,
        unit=unit, city=city, region=(record.get("REGION") or "").strip().upper(),
        postcode=(record.get("POSTCODE") or "").strip(),
    )  # fmt: skip


def _eas_row(source_hash: str, record: dict[str, Any]) -> dict[str, Any] | None:
    """One EAS point. A number's suffix is written in front of the street there
    ('5026 A MISSION ST', '3309 ½ MISSION ST'): it moves to the number."""
    digits = (record.get("number") or "").strip()
    words = normalize_street(record.get("street") or "").split()
    position = _position(record.get("lat"), record.get("lon"))
    if position is None or not digits.isdecimal() or int(digits) == 0 or not words:
        return None
    suffix = (record.get("number_suffix") or "").strip()
    if len(words) > 1 and len(words[0]) == 1 and (words[0].isalpha() or words[0] == "½"):
        suffix, words = suffix + words[0], words[1:]
    city, region = SF_EAS_PLACE
    number = normalize_number(digits, suffix)
    return _row(source_hash, number, " ".join(words), position, city=city, region=region)


def _row(
    source_hash: str,
    number: str,
    street: str,
    position: tuple[float, float],
    *,
    unit: str = "",
    city: str = "",
    region: str = "",
    postcode: str = "",
) -> dict[str, Any]:
    place = ", ".join(part for part in (city, f"{region} {postcode}".strip()) if part)
    return {
        "source_hash": source_hash,
        "number": number,
        "number_value": number_value(number),
        "street": street,
        "unit": unit,
        "city": city,
        "region": region,
        "postcode": postcode,
        "display": f"{number} {street_title(street)}{' #' + unit if unit else ''}, {place}",
        "latitude": position[0],
        "longitude": position[1],
    }


def load_gazetteer(
    engine: sa.Engine,
    records: Iterable[AddressRecord],
    progress: Callable[[int], None] | None = None,
    batch_size: int = 5000,
) -> GazetteerImport:
    """Add address points not yet in the table (by source hash); idempotent."""
    report = GazetteerImport()
    batch: list[AddressRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            _insert_new(engine, batch, report)
            if progress:
                progress(len(batch))
            batch = []
    _insert_new(engine, batch, report)
    if progress and batch:
        progress(len(batch))
    return report


def _insert_new(engine: sa.Engine, batch: list[AddressRecord], report: GazetteerImport) -> None:
    unique = {record.source_hash: record for record in batch if record.source_hash}
    with engine.begin() as conn:
        known: set[str] = set()
        hashes = list(unique)
        for start in range(0, len(hashes), 1000):  # within every backend's parameter limit
            chunk = hashes[start : start + 1000]
            known.update(
                conn.execute(
                    sa.select(gazetteer.c.source_hash).where(gazetteer.c.source_hash.in_(chunk))
                ).scalars()
            )
        built = [record.row() for hash_, record in unique.items() if hash_ not in known]
        fresh = [row for row in built if row is not None]
        if fresh:
            conn.execute(gazetteer.insert(), fresh)
    unusable = sum(1 for record in batch if not record.source_hash) + len(built) - len(fresh)
    report.added += len(fresh)
    report.skipped += unusable
    report.already_present += len(batch) - len(fresh) - unusable
