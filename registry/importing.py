"""Bulk import of registries that agencies already keep (business camera programmes), and
of OpenStreetMap's surveillance nodes.

Each row becomes a site with one camera, through the same commands and rules as sites
registered online. Site and camera ids are derived from the source's own row ids, so a
second run finds everything already there and adds nothing. Rows that cannot be used are
reported with their line number and the reason, and the import carries on.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import commands as c
from .errors import InvalidSite, LimitReached, NotAllowedNow
from .handlers import RegistryService

NAMESPACE = uuid.UUID("5d1c7c2e-8a43-4c1b-9a57-3f6f0f7a2b10")
IMPORT_ACTOR = {"actor": "registry-import", "role": "admin"}


@dataclass(frozen=True)
class ImportedSite:
    """One usable row: a site and what is known of its camera."""

    line: int
    source_ref: str
    kind: str
    label: str
    address: str | None
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Rejected:
    """A row that could not be used, and why."""

    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did."""

    added: int = 0
    already_present: int = 0
    rejected: list[Rejected] = field(default_factory=list)


Row = ImportedSite | Rejected
Reader = Callable[[Iterable[dict[str, str]]], Iterator[Row]]


def read_detroit_green_light(records: Iterable[dict[str, str]]) -> Iterator[Row]:
    """Detroit Project Green Light: X (longitude), Y (latitude), address, business name."""
    for line, record in enumerate(records, start=2):
        yield _site(
            line,
            f"detroit-green-light:{record.get('ObjectId', '').strip()}",
            "home" if record.get("business_type", "").strip() == "Residential" else "business",
            record.get("business_name", ""),
            record.get("address"),
            record.get("Y", ""),
            record.get("X", ""),
        )


def read_baltimore_citiwatch(records: Iterable[dict[str, str]]) -> Iterator[Row]:
    """Baltimore CitiWatch: ID, CameraName, Latitude, Longitude."""
    for line, record in enumerate(records, start=2):
        yield _site(
            line,
            f"baltimore-citiwatch:{record.get('ID', '').strip()}",
            "business",
            record.get("CameraName", ""),
            None,
            record.get("Latitude", ""),
            record.get("Longitude", ""),
        )


def read_osm_surveillance(records: Iterable[dict[str, str]]) -> Iterator[Row]:
    """OpenStreetMap surveillance nodes: a JSON list of {id, lat, lon, type}."""
    for line, record in enumerate(records, start=1):
        kind = str(record.get("type") or "camera").replace("_", " ")
        yield _site(
            line,
            f"osm:{str(record.get('id', '')).strip()}",
            "business",
            f"{kind} (OpenStreetMap)",
            None,
            str(record.get("lat", "")),
            str(record.get("lon", "")),
        )


FORMATS: dict[str, Reader] = {
    "detroit-green-light": read_detroit_green_light,
    "baltimore-citiwatch": read_baltimore_citiwatch,
    "osm-surveillance": read_osm_surveillance,
}
JSON_FORMATS = ("osm-surveillance",)


def read_file(
    path: Path, file_format: str, within: tuple[float, float, float, float] | None = None
) -> list[Row]:
    """Every row of a file in a known format, usable or rejected; with `within` (south,
    west, north, east), only the usable rows inside that box."""
    with path.open(newline="", encoding="utf-8-sig") as file:
        records = json.load(file) if file_format in JSON_FORMATS else csv.DictReader(file)
        rows = list(_without_duplicates(FORMATS[file_format](records)))
    if within is None:
        return rows
    south, west, north, east = within
    return [
        row
        for row in rows
        if isinstance(row, Rejected)
        or (south <= row.latitude <= north and west <= row.longitude <= east)
    ]


def import_sites(
    service: RegistryService,
    rows: Iterable[Row],
    camera: c.CameraSpec | Callable[[ImportedSite], c.CameraSpec],
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Register each usable row as a site with one camera; idempotent. `camera` is the
    camera every site gets, or a function that gives each site its own."""
    report = ImportReport()
    for row in rows:
        if isinstance(row, Rejected):
            report.rejected.append(row)
        else:
            spec = camera if isinstance(camera, c.CameraSpec) else camera(row)
            _import_one(service, row, spec, report)
        if progress:
            progress(1)
    return report


def site_id_for(source_ref: str) -> str:
    """The site id a source row always maps to."""
    return str(uuid.uuid5(NAMESPACE, source_ref))


def _import_one(
    service: RegistryService, row: ImportedSite, camera: c.CameraSpec, report: ImportReport
) -> None:
    site_id = site_id_for(row.source_ref)
    owner_id = "import-" + site_id.replace("-", "")[:24]  # each business is its own subject
    register = c.RegisterSite(
        site_id,
        owner_id,
        row.kind,
        row.label,
        row.address,
        row.latitude,
        row.longitude,
        location_source="import",
        source_ref=row.source_ref,
        cameras=(c.NewCamera(f"{site_id}-1", camera),),  # one append: the site with its camera
    )
    try:
        service.execute(register, IMPORT_ACTOR)
        report.added += 1
    except NotAllowedNow:
        report.already_present += 1
    except (InvalidSite, LimitReached) as refused:
        report.rejected.append(Rejected(row.line, _reason(refused)))


def _site(
    line: int,
    source_ref: str,
    kind: str,
    label: str,
    address: str | None,
    latitude: str,
    longitude: str,
) -> Row:
    if source_ref.endswith(":"):
        return Rejected(line, "the row has no id")
    try:
        lat, lon = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return Rejected(line, f"the position ({latitude!r}, {longitude!r}) is not a number")
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        return Rejected(line, f"the position ({lat}, {lon}) is not on Earth")
    label = " ".join(label.split())[:100]
    if not label:
        return Rejected(line, "the row has no name")
    return ImportedSite(line, source_ref, kind, label, (address or "").strip() or None, lat, lon)


def _without_duplicates(rows: Iterable[Row]) -> Iterator[Row]:
    seen: set[str] = set()
    for row in rows:
        if isinstance(row, ImportedSite):
            if row.source_ref in seen:
                yield Rejected(row.line, f"{row.source_ref} appears more than once in the file")
                continue
            seen.add(row.source_ref)
        yield row


def _reason(error: Exception) -> str:
    errors: Any = getattr(error, "errors", None)
    if isinstance(errors, dict):
        return "; ".join(f"{name}: {' '.join(texts)}" for name, texts in errors.items())
    return str(error)
