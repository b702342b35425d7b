"""San Francisco as the demo city: its OpenStreetMap cameras as owners' sites, and real
December 2018 police incidents for the demo canvasses, read from the shared data files.

Everything here is deterministic: a camera's view, range, retention and its owner's consent
follow from the OpenStreetMap node id, so every load of the demo builds the same city.
"""

from __future__ import annotations

import csv
import hashlib
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from registry.commands import CameraSpec
from registry.importing import ImportedSite, Rejected, inside, read_boundary, read_file

CAMERAS_FILE = "osm_surveillance_nodes_us_west.json"
BOUNDARY_FILE = "sf_boundary.geojson"
INCIDENTS_FILE = "sf_police_incidents_2018-12.csv"
ADDRESSES_FILE = "sf_eas_addresses.csv"
# The incidents file gives San Francisco's wall-clock time, whatever zone the service speaks.
INCIDENT_ZONE = ZoneInfo("America/Los_Angeles")
OWNER_DOMAIN = "example.org"  # reserved (RFC 2606): demo mail can never reach a real person

# (type in the file, what the site is called, camera label, fields of view, ranges in metres)
_CAMERA_TYPES: dict[str, tuple[str, str, tuple[int, ...], tuple[int, ...]]] = {
    "cctv": ("Security camera", "Entrance camera", (60, 90, 110, 130, 180, 360), (20, 30, 45, 60)),
    "alpr": ("License plate reader", "Plate reader", (30, 40), (40, 60)),
    "traffic_camera": ("Traffic camera", "Traffic camera", (60, 90), (80, 120)),
    "speed_camera": ("Speed camera", "Speed camera", (30,), (80,)),
}
_OTHER = ("Camera", "Camera", (90,), (30,))
RETENTION_DAYS = (3, 7, 14, 14, 30, 30, 30, 60, 90)
CATEGORY_CHOICES = (
    ("all",),
    ("all",),
    ("violent_crime", "missing_person"),
    ("violent_crime", "property_crime", "traffic"),
)


@dataclass(frozen=True)
class DemoCamera:
    """One OpenStreetMap node as a demo site: the row to import, its camera and its owner's
    choices."""

    site: ImportedSite
    camera: CameraSpec
    contact_for_requests: bool
    categories: tuple[str, ...]
    share_exact_location: bool

    @property
    def node_id(self) -> str:
        """The OpenStreetMap node id."""
        return self.site.source_ref.removeprefix("osm:")

    @property
    def owner_email(self) -> str:
        """The demo owner's address, at a reserved domain."""
        return f"owner.{self.node_id}@{OWNER_DOMAIN}"


def city_cameras(data: Path) -> list[DemoCamera]:
    """The camera nodes of the cameras file that lie inside the city's boundary."""
    rows = read_file(data / CAMERAS_FILE, "osm-surveillance")
    kept = inside(
        [row for row in rows if not isinstance(row, Rejected)], read_boundary(data / BOUNDARY_FILE)
    )
    return [_demo_camera(row) for row in kept if isinstance(row, ImportedSite)]


def _demo_camera(row: ImportedSite) -> DemoCamera:
    seed = hashlib.sha256(row.source_ref.encode()).digest()
    node_type = row.label.removesuffix(" (OpenStreetMap)").replace(" ", "_")
    name, label, views, ranges = _CAMERA_TYPES.get(node_type, _OTHER)
    is_home = node_type == "cctv" and seed[6] % 3 == 0
    camera = CameraSpec(
        label,
        bearing_degrees=(seed[0] % 72) * 5,
        field_of_view_degrees=views[seed[1] % len(views)],
        range_metres=ranges[seed[2] % len(ranges)],
        placement="outdoor",
        recording="motion" if seed[3] % 4 == 0 else "continuous",
        retention_days=RETENTION_DAYS[seed[4] % len(RETENTION_DAYS)],
    )
    node_id = row.source_ref.removeprefix("osm:")
    site = replace(
        row,
        kind="home" if is_home else "business",
        label=f"{name} at OpenStreetMap node {node_id}",
    )
    return DemoCamera(
        site,
        camera,
        contact_for_requests=seed[5] % 10 != 0,
        categories=CATEGORY_CHOICES[seed[7] % len(CATEGORY_CHOICES)],
        share_exact_location=seed[8] % 2 == 0,
    )


def nearest_first(cameras: list[DemoCamera], places: list[tuple[float, float]]) -> list[DemoCamera]:
    """The cameras, those nearest to any of `places` (latitude, longitude) first."""

    def distance(camera: DemoCamera) -> float:
        return min(_metres(camera.site.latitude, camera.site.longitude, *p) for p in places)

    return sorted(cameras, key=lambda camera: (distance(camera), camera.node_id))


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Only for choosing a subset near the incidents: an equirectangular approximation will do.
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000 * math.hypot(x, math.radians(lat2 - lat1))


@dataclass(frozen=True)
class Incident:
    """A reported incident of the December 2018 file."""

    number: str
    category: str
    description: str
    place: str
    neighbourhood: str
    latitude: float
    longitude: float
    occurred_at: datetime  # San Francisco time


def read_incidents(data: Path, numbers: set[str]) -> dict[str, Incident]:
    """The incidents with these incident numbers (the first row of each: several rows, one
    per offence, share an incident)."""
    found: dict[str, Incident] = {}
    with (data / INCIDENTS_FILE).open(newline="", encoding="utf-8-sig") as file:
        for record in csv.DictReader(file):
            number = record["Incident Number"].strip()
            if number in numbers and number not in found and record["Latitude"]:
                found[number] = _incident(record)
    return found


def _incident(record: dict[str, Any]) -> Incident:
    at = datetime.strptime(record["Incident Datetime"], "%Y/%m/%d %I:%M:%S %p")
    return Incident(
        record["Incident Number"].strip(),
        record["Incident Category"].strip(),
        record["Incident Description"].strip(),
        street_names(record["Intersection"]),
        record["Analysis Neighborhood"].strip(),
        float(record["Latitude"]),
        float(record["Longitude"]),
        at.replace(tzinfo=INCIDENT_ZONE),
    )


def street_names(intersection: str) -> str:
    """ "04TH ST \\ ELLIS ST" as people write it: "4th St and Ellis St"."""
    streets = [" ".join(_word(w) for w in part.split()) for part in intersection.split("\\")]
    streets = [street for street in streets if street]
    return " and ".join([", ".join(streets[:-1]), streets[-1]] if len(streets) > 2 else streets)


def _word(word: str) -> str:
    if word[:1].isdigit():
        return word.lstrip("0").lower() or "0"
    return word.capitalize()


def weeks_to_replay(latest: datetime, now: datetime) -> int:
    """How many whole weeks to move incidents forward so that `latest` falls in the week
    before `now` (never after it): the weekday and the time of day stay those of the report."""
    weeks = max(0, (now - latest) // timedelta(weeks=1))
    while weeks > 0 and replayed(latest, weeks) > now:
        weeks -= 1  # daylight saving time began in between: the wall clock is an hour ahead
    return weeks


def replayed(moment: datetime, weeks: int) -> datetime:
    """`moment` moved forward by whole weeks of San Francisco's wall clock."""
    local = moment.astimezone(INCIDENT_ZONE).replace(tzinfo=None) + timedelta(weeks=weeks)
    return local.replace(tzinfo=INCIDENT_ZONE)
