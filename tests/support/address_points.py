"""San Francisco's address points (the city's EAS export), cut to a few streets for tests."""

from __future__ import annotations

import csv
from pathlib import Path

SAMPLE_STREETS = {
    "MISSION ST", "A MISSION ST", "½ MISSION ST", "DR CARLTON B GOODLETT PL", "03RD ST",
    "42ND AVE", "STEINER ST", "RUSS ST", "BUSH ST", "NORTH POINT ST", "MONTGOMERY ST",
}  # fmt: skip


def eas_records(shared_data: Path) -> list[dict[str, str]]:
    with (shared_data / "sf_eas_addresses.csv").open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def eas_slice(
    shared_data: Path, tmp_path: Path, every: int = 0, streets: set[str] = SAMPLE_STREETS
) -> tuple[Path, list[dict[str, str]]]:
    """The EAS file cut to `streets`, plus every n-th other row when n is given: the file
    written to tmp_path, and its rows."""
    records = eas_records(shared_data)
    kept = [
        r for at, r in enumerate(records) if r["street"] in streets or (every and at % every == 0)
    ]
    path = tmp_path / "sf_eas_slice.csv"
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(records[0]))
        writer.writeheader()
        writer.writerows(kept)
    return path, kept


def point_of(records: list[dict[str, str]], address: str) -> tuple[float, float]:
    """Where the city's file puts an address (the first row of that address)."""
    row = next(r for r in records if r["address"] == address)
    return float(row["lat"]), float(row["lon"])
