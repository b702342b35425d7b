"""Event store throughput beside the `eventsourcing` library, on SQLite and PostgreSQL.

    python -m bench.events [--single N] [--writer-events N] [--batches N] [--rounds N]
                           [--backends ...]

Both sides run in the same process, in rounds that take turns (ours first in even rounds,
theirs first in odd ones), each round adding its share of every figure to both growing
logs; a figure is the median of its rounds, and its ratio the median of the rounds' own
ours/theirs, so that a machine whose load drifts during a run tilts neither side.
Prints one JSON document: for each backend and each figure, ours, theirs and ours/theirs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import queue
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from . import common
from .sides import Ours, Theirs

SPAWN = multiprocessing.get_context("spawn")
WRITERS = 8
BATCH_SIZE = 100
TARGETS = {  # the targets for our figures, events per second
    "sqlite": {"append_1_writer": 10_000, "append_batch_100": 150_000, "read_all": 300_000},
    "postgres": {"append_1_writer": 1_500, "append_batch_100": 30_000, "read_all": 60_000},
}


def make_side(name: str, target: dict[str, Any], synchronous: str) -> Ours | Theirs:
    if name == "ours":
        return Ours(target["url"], synchronous)
    return Theirs(target, synchronous)


@contextmanager
def fresh_target(backend: str, side: str) -> Iterator[dict[str, Any]]:
    """An empty database for one side's run."""
    if backend.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="bench-events-") as directory:
            path = str(Path(directory) / f"{side}.db")
            yield {"backend": "sqlite", "path": path, "url": f"sqlite:///{path}"}
        return
    with common.postgres_schema(f"bench_{side.replace('eventsourcing', 'es')}") as (schema, url):
        base = make_url(common.postgres_base_url())
        yield {
            "backend": "postgres",
            "url": url,
            "schema": schema,
            "dbname": base.database,
            "host": base.host or "127.0.0.1",
            "port": base.port or 5432,
            "user": base.username or "postgres",
            "password": base.password or "",
        }


def writer(
    name: str,
    target: dict[str, Any],
    synchronous: str,
    prefix: str,
    count: int,
    start: Any,
    done: Any,
) -> None:
    """One of the concurrent writer processes: single-event appends to new streams."""
    side = make_side(name, target, synchronous)
    side.append_single(f"{prefix}-ready", -1)  # connected, and past the first write
    done.put(None)
    start.wait()
    for n in range(count):
        side.append_single(f"{prefix}-{n}", n)
    done.put(time.monotonic())
    side.close()


def concurrent_appends(
    name: str, target: dict[str, Any], synchronous: str, per: int, round_: int
) -> float:
    start, done = SPAWN.Event(), SPAWN.Queue()
    processes = [
        SPAWN.Process(
            target=writer,
            args=(name, target, synchronous, f"writer-{round_}-{i}", per, start, done),
        )
        for i in range(WRITERS)
    ]
    for process in processes:
        process.start()
    ready = 0
    while ready < len(processes):  # every writer has imported, connected and written once
        try:
            done.get(timeout=1)
            ready += 1
        except queue.Empty:
            if any(process.exitcode not in (None, 0) for process in processes):
                raise RuntimeError(f"a {name} writer process failed before it was ready") from None
    began = time.monotonic()
    start.set()
    finished = max(done.get(timeout=600) for _ in processes)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a {name} writer process failed with exit code {process.exitcode}")
    return common.rate(WRITERS * per, finished - began)


class Contender:
    """One side of the comparison: its database, its open store, its rates by figure."""

    def __init__(self, name: str, target: dict[str, Any], synchronous: str) -> None:
        self.name, self.target, self.synchronous = name, target, synchronous
        (Ours.prepare if name == "ours" else Theirs.prepare)(
            target["url"] if name == "ours" else target
        )
        self.side = make_side(name, target, synchronous)
        self.rates: dict[str, list[float]] = {}

    def append_round(self, round_: int, sizes: argparse.Namespace, rounds: int) -> None:
        """This round's share of every append figure."""
        single, batches = sizes.single // rounds, sizes.batches // rounds
        side = self.side
        elapsed = common.timed(
            lambda: [side.append_single(f"single-{round_}-{n}", n) for n in range(single)]
        )
        self._record("append_1_writer", single, elapsed)
        elapsed = common.timed(
            lambda: [
                side.append_batch(f"batch-{round_}-{b}", b * BATCH_SIZE, BATCH_SIZE)
                for b in range(batches)
            ]
        )
        self._record("append_batch_100", batches * BATCH_SIZE, elapsed)
        per = sizes.writer_events // rounds
        rate = concurrent_appends(self.name, self.target, self.synchronous, per, round_)
        self.rates.setdefault(f"append_{WRITERS}_writers", []).append(rate)

    def read_round(self) -> int:
        """Read the whole log once and rebuild the projection once; the log's size."""
        total = self.side.read_all()
        self._record("read_all", total, common.timed(self.side.read_all))
        self._record("projection_rebuild", total, common.timed(self.side.rebuild))
        return total

    def _record(self, figure: str, count: int, seconds: float) -> None:
        self.rates.setdefault(figure, []).append(common.rate(count, seconds))

    def close(self) -> None:
        self.side.close()


def compare(backend: str, synchronous: str, sizes: argparse.Namespace) -> dict[str, Any]:
    """Every figure for both sides on one backend, measured in alternating rounds."""
    with (
        fresh_target(backend, "ours") as ours_target,
        fresh_target(backend, "eventsourcing") as theirs_target,
    ):
        ours = Contender("ours", ours_target, synchronous)
        theirs = Contender("eventsourcing", theirs_target, synchronous)
        try:
            for round_ in range(sizes.rounds):
                for side in (ours, theirs) if round_ % 2 == 0 else (theirs, ours):
                    side.append_round(round_, sizes, sizes.rounds)
            for round_ in range(sizes.rounds):
                for side in (ours, theirs) if round_ % 2 == 0 else (theirs, ours):
                    log_size = side.read_round()
        finally:
            ours.close()
            theirs.close()
    return {"unit": "events/s", "log_size": log_size, "figures": figures(backend, ours, theirs)}


def figures(backend: str, ours: Contender, theirs: Contender) -> dict[str, Any]:
    """Each figure's median rates and the median of its rounds' ratios, with its target."""
    targets = TARGETS["sqlite" if backend.startswith("sqlite") else "postgres"]
    report: dict[str, Any] = {}
    for figure, rates in ours.rates.items():
        value, reference = statistics.median(rates), statistics.median(theirs.rates[figure])
        ratio = statistics.median(o / t for o, t in zip(rates, theirs.rates[figure], strict=True))
        target = targets.get(figure)
        report[figure] = {
            "ours": round(value),
            "eventsourcing": round(reference),
            "ratio": round(ratio, 2),
            "rounds": [round(o / t, 2) for o, t in zip(rates, theirs.rates[figure], strict=True)],
            **({"target": target, "met": value >= target} if target else {}),
        }
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=3000, help="single-event appends")
    parser.add_argument("--writer-events", type=int, default=500, help="appends per writer")
    parser.add_argument("--batches", type=int, default=200, help="100-event batches")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per figure")
    parser.add_argument(
        "--backends",
        nargs="+",
        default=["sqlite", "sqlite-full", "postgres"],
        choices=["sqlite", "sqlite-full", "postgres"],
        help="sqlite runs with synchronous=NORMAL (our default), sqlite-full with FULL",
    )
    sizes = parser.parse_args(argv)

    report: dict[str, Any] = {
        "benchmark": "events",
        "machine": common.machine(),
        "reference": "eventsourcing " + _version("eventsourcing"),
        "sizes": {
            "single_appends": sizes.single,
            "writers": WRITERS,
            "appends_per_writer": sizes.writer_events,
            "batches": sizes.batches,
            "batch_size": BATCH_SIZE,
            "rounds": sizes.rounds,
        },
        "results": {},
    }
    postgres = common.postgres_version(common.postgres_base_url())
    report["machine"]["postgres"] = postgres
    for backend in sizes.backends:
        if backend == "postgres" and postgres is None:
            report["results"][backend] = {"skipped": "PostgreSQL is not reachable"}
            continue
        synchronous = "FULL" if backend == "sqlite-full" else "NORMAL"
        print(f"measuring {backend} ...", file=sys.stderr)
        report["results"][backend] = {"synchronous": synchronous} | compare(
            backend, synchronous, sizes
        )
        if backend == "postgres":
            del report["results"][backend]["synchronous"]
    json.dump(report, sys.stdout, indent=2)
    print()


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


if __name__ == "__main__":
    main()
