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
    """A file the gazetteer cannot read: missing, not CSV text, or without the columns of
    either layout; its message names the file and what is wrong, in one line."""


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


def address_lines(path: Path) -> int:
    """How many address lines the file holds, once it is known to be CSV text of a layout
    the gazetteer reads (read to its end, so a bad byte anywhere is found before loading)."""
    count = 0
    for _ in read_openaddresses(path):
        count += 1
    return count


def read_openaddresses(path: Path) -> Iterator[AddressRecord]:
    """The lines of an OpenAddresses or a San Francisco EAS file, told apart by the header."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as file:
            records = csv.DictReader(_text_lines(path, file))
            try:
                columns = set(records.fieldnames or [])
                yield from _records(path, columns, records)
            except csv.Error as broken:
                raise UnknownAddressFile(
                    f"{path} is not a CSV file: line {records.line_num}: {broken}."
                ) from None
    except FileNotFoundError:
        raise UnknownAddressFile(f"{path}: there is no such file.") from None
    except IsADirectoryError:
        raise UnknownAddressFile(f"{path} is a folder; give an address file (CSV).") from None
    except PermissionError:
        raise UnknownAddressFile(f"{path} cannot be read: permission denied.") from None
    except UnicodeDecodeError as binary:
        raise UnknownAddressFile(
            f"{path} is not a CSV text file: byte {binary.start + 1} is not UTF-8 text."
        ) from None


def _text_lines(path: Path, file: Iterable[str]) -> Iterator[str]:
    """The file's lines; a NUL character, which no CSV text holds, means it is binary."""
    for number, line in enumerate(file, start=1):
        if "\x00" in line:
            raise UnknownAddressFile(
                f"{path} is not a CSV text file: line {number} holds NUL bytes."
            )
        yield line


def _records(
    path: Path, columns: set[str], records: csv.DictReader[str]
) -> Iterator[AddressRecord]:
    if columns >= SF_EAS_COLUMNS:
        for record in records:
            yield AddressRecord(_eas_hash(record), record, _eas_row)
    elif columns >= OPENADDRESSES_COLUMNS:
        for record in records:
            yield AddressRecord((record["HASH"] or "").strip(), record, _openaddresses_row)
    elif not columns:
        raise UnknownAddressFile(f"{path} is empty: it has no line of column names.")
    else:
        raise UnknownAddressFile(
            f"{path} is not an address file the gazetteer reads: its first line must name the "
            "OpenAddresses columns (LON,LAT,NUMBER,STREET,...,HASH) or San Francisco's "
            f"(address,number,number_suffix,street,lon,lat); missing: {_missing(columns)}."
        )


def _missing(columns: set[str]) -> str:
    """The columns of the layout the header comes nearest to that it lacks."""
    layouts = (SF_EAS_COLUMNS, OPENADDRESSES_COLUMNS)
    nearest = max(layouts, key=lambda layout: len(layout & columns) / len(layout))
    return ", ".join(sorted(nearest - columns, key=str.lower))


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
