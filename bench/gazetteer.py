"""Loading San Francisco's address points and answering typed addresses, on each backend.

    python -m bench.gazetteer [--backends sqlite postgres] [--lookups N]

Loads ../shared/data/sf_eas_addresses.csv (223,304 lines) into a fresh database twice (the
second run finds every point loaded), then times N lookups and N suggestions of real
addresses typed with a letter dropped from the street's name, beside exact lookups.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from events_store.database import create_engine
from registry.address_import import load_gazetteer, read_openaddresses
from registry.geocoding import GazetteerGeocoder

from . import common

CITY_FILE = Path(__file__).resolve().parents[2] / "shared" / "data" / "sf_eas_addresses.csv"


def typed_addresses(count: int) -> list[tuple[str, str]]:
    """Real addresses as written in the file, and with one letter of the street dropped."""
    with CITY_FILE.open(encoding="utf-8") as file:
        rows = [r for r in csv.DictReader(file) if len(r["street"].split()[0]) > 5]
    picked = random.Random(20261202).sample(rows, count)
    return [(r["address"], f"{r['number']} {r['street'][:2]}{r['street'][3:]}") for r in picked]


def milliseconds(action: Any, queries: list[str]) -> dict[str, float]:
    times = []
    for query in queries:
        started = time.perf_counter()
        action(query)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
    }


def run(backend: str, lookups: int) -> dict[str, Any]:
    with common.migrated_database(backend, "gazetteer") as url:
        engine = create_engine(url)
        first = common.timed(lambda: load_gazetteer(engine, read_openaddresses(CITY_FILE)))
        again = common.timed(lambda: load_gazetteer(engine, read_openaddresses(CITY_FILE)))
        geocoder = GazetteerGeocoder(engine)
        geocoder.candidates("1 Dr Carlton B Goodlett Pl")  # reads the streets once
        pairs = typed_addresses(lookups)
        result = {
            "backend": backend,
            "first_load_s": round(first, 1),
            "second_load_s": round(again, 1),
            "exact_lookup": milliseconds(geocoder.candidates, [exact for exact, _ in pairs]),
            "typo_lookup": milliseconds(geocoder.candidates, [typo for _, typo in pairs]),
            "typo_suggestions": milliseconds(geocoder.suggestions, [typo for _, typo in pairs]),
            "typos_found": sum(1 for _, typo in pairs if geocoder.candidates(typo)),
            "lookups": lookups,
        }
        engine.dispose()
        return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--lookups", type=int, default=200)
    args = parser.parse_args(argv)
    results = [run(backend, args.lookups) for backend in args.backends]
    json.dump({"machine": common.machine(), "results": results}, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
