"""Bulk import of registries that agencies already keep (business camera programmes), and
of OpenStreetMap's surveillance nodes.

Each row becomes a site with one camera, through the same commands and rules as sites
registered online. Site and camera ids are derived from the source's own row ids by a keyed
pseudonym (so a second run finds everything already there and adds nothing, while the log's
ids cannot be matched to the agency's public rows without the master key). Rows that
cannot be used are reported with their line number and the reason, and the import carries
on.
"""

from __future__ import annotations

import csv
import json
import math
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape

from events_store.vault import KeyVault

from . import commands as c
from .errors import InvalidSite, LimitReached, NotAllowedNow
from .handlers import RegistryService

IMPORT_PSEUDONYM = "registry-import-site"
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


@dataclass(frozen=True)
class SiteChoices:
    """What an owner chose for an imported site: its camera, its consent, and whose it is
    (no owner: the site is its own data subject, as a business of an agency's list is)."""

    camera: c.CameraSpec
    owner_id: str | None = None
    contact_for_requests: bool = True
    categories: tuple[str, ...] = ("all",)
    share_exact_location: bool = False


@dataclass
class ImportReport:
    """What an import did."""

    added: int = 0
    already_present: int = 0
    rejected: list[Rejected] = field(default_factory=list)


Row = ImportedSite | Rejected
Reader = Callable[[Iterable[dict[str, str]]], Iterator[Row]]
Register = Callable[[c.RegisterSite, Mapping[str, Any]], object]


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


class InvalidArea(ValueError):
    """A GeoJSON file that holds no usable area; the message says what is wrong."""


AREA_TYPES = ("Polygon", "MultiPolygon")


def read_boundary(path: Path) -> shapely.Geometry:
    """The area of a GeoJSON file (a polygon, a feature or a collection of features: their
    union), ready for `inside`; InvalidArea says why a file cannot be one."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as unreadable:
        raise InvalidArea(f"it is not JSON ({unreadable})") from None
    items = document.get("features") if isinstance(document, dict) else None
    if not isinstance(items, list):
        items = [document]
    area = shapely.union_all([_polygon(item) for item in items])
    if area.is_empty:
        raise InvalidArea("it holds no polygon")
    shapely.prepare(area)
    return area


def _polygon(item: object) -> shapely.Geometry:
    geometry = item.get("geometry") if isinstance(item, dict) else None
    geometry = geometry if isinstance(geometry, dict) else item
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in AREA_TYPES:
        raise InvalidArea(f"it holds a {kind or 'value'} where a Polygon or MultiPolygon belongs")
    try:
        return shape(geometry)
    except (ValueError, TypeError, IndexError, AttributeError):
        raise InvalidArea(f"a {kind}'s coordinates are not [longitude, latitude] pairs") from None


def inside(rows: Iterable[Row], area: shapely.Geometry) -> list[Row]:
    """The rejected rows, and the usable rows whose position lies inside `area`."""
    kept = list(rows)
    usable = [row for row in kept if isinstance(row, ImportedSite)]
    points = shapely.points([row.longitude for row in usable], [row.latitude for row in usable])
    outside = {
        id(row) for row, hit in zip(usable, shapely.contains(area, points), strict=True) if not hit
    }
    return [row for row in kept if id(row) not in outside]


def import_sites(
    service: RegistryService,
    rows: Iterable[Row],
    camera: c.CameraSpec | Callable[[ImportedSite], c.CameraSpec | SiteChoices],
    progress: Callable[[int], None] | None = None,
    register: Register | None = None,
) -> ImportReport:
    """Register each usable row as a site with one camera; idempotent. `camera` is the
    camera every site gets, or a function that gives each site its own (and, as
    `SiteChoices`, its owner and consent). `register` carries out each command (by default
    the service does, waiting for the read model every time)."""
    report = ImportReport()
    register = register or service.execute
    for row in rows:
        if isinstance(row, Rejected):
            report.rejected.append(row)
        else:
            chosen = camera if isinstance(camera, c.CameraSpec) else camera(row)
            if isinstance(chosen, c.CameraSpec):
                chosen = SiteChoices(chosen)
            _import_one(service.vault, register, row, chosen, report)
        if progress:
            progress(1)
    return report


def site_id_for(vault: KeyVault, source_ref: str) -> str:
    """The site id a source row always maps to (under this master key)."""
    return str(uuid.UUID(vault.pseudonym(IMPORT_PSEUDONYM, source_ref)))


def imported_owner_id(site_id: str) -> str:
    """The owner of an imported site that names none: the site itself (each business of an
    agency's list is its own data subject)."""
    return "import-" + site_id.replace("-", "")[:24]


def _import_one(
    vault: KeyVault,
    execute: Register,
    row: ImportedSite,
    chosen: SiteChoices,
    report: ImportReport,
) -> None:
    site_id = site_id_for(vault, row.source_ref)
    register = c.RegisterSite(
        site_id,
        chosen.owner_id or imported_owner_id(site_id),
        row.kind,
        row.label,
        row.address,
        row.latitude,
        row.longitude,
        location_source="import",
        source_ref=row.source_ref,
        contact_for_requests=chosen.contact_for_requests,
        categories=chosen.categories,
        share_exact_location=chosen.share_exact_location,
        # one append: the site with its camera
        cameras=(c.NewCamera(f"{site_id}-1", chosen.camera),),
    )
    try:
        execute(register, IMPORT_ACTOR)
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
