"""Event store throughput beside the `eventsourcing` library, on SQLite and PostgreSQL.

    python -m bench.events [--single N] [--writer-events N] [--batches N] [--backends ...]

Prints one JSON document: for each backend and each figure, ours, theirs and ours/theirs.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
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
    index: int,
    count: int,
    start: Any,
    done: Any,
) -> None:
    """One of the concurrent writer processes: single-event appends to new streams."""
    side = make_side(name, target, synchronous)
    start.wait()
    for n in range(count):
        side.append_single(f"writer-{index}-{n}", n)
    done.put(time.monotonic())
    side.close()


def concurrent_appends(name: str, target: dict[str, Any], synchronous: str, per: int) -> float:
    start, done = SPAWN.Event(), SPAWN.Queue()
    processes = [
        SPAWN.Process(target=writer, args=(name, target, synchronous, i, per, start, done))
        for i in range(WRITERS)
    ]
    for process in processes:
        process.start()
    time.sleep(3)  # let every writer import and connect before the start signal
    began = time.monotonic()
    start.set()
    finished = max(done.get(timeout=600) for _ in processes)
    for process in processes:
        process.join()
        if process.exitcode != 0:
            raise RuntimeError(f"a {name} writer process failed with exit code {process.exitcode}")
    return common.rate(WRITERS * per, finished - began)


def measure(name: str, backend: str, synchronous: str, sizes: argparse.Namespace) -> dict:
    """Every figure for one side on one backend, each on the same growing log."""
    with fresh_target(backend, name) as target:
        prepare = Ours.prepare if name == "ours" else Theirs.prepare
        prepare(target["url"] if name == "ours" else target)
        side = make_side(name, target, synchronous)
        try:
            single = common.timed(
                lambda: [side.append_single(f"single-{n}", n) for n in range(sizes.single)]
            )
            batches = common.timed(
                lambda: [
                    side.append_batch(f"batch-{b}", b * BATCH_SIZE, BATCH_SIZE)
                    for b in range(sizes.batches)
                ]
            )
            concurrent = concurrent_appends(name, target, synchronous, sizes.writer_events)
            total = side.read_all()
            reads = statistics.median(common.timed(side.read_all) for _ in range(3))
            rebuilds = statistics.median(common.timed(side.rebuild) for _ in range(3))
        finally:
            side.close()
    return {
        "append_1_writer": common.rate(sizes.single, single),
        f"append_{WRITERS}_writers": concurrent,
        "append_batch_100": common.rate(sizes.batches * BATCH_SIZE, batches),
        "read_all": common.rate(total, reads),
        "projection_rebuild": common.rate(total, rebuilds),
        "log_size": total,
    }


def compare(backend: str, synchronous: str, sizes: argparse.Namespace) -> dict[str, Any]:
    ours = measure("ours", backend, synchronous, sizes)
    theirs = measure("eventsourcing", backend, synchronous, sizes)
    figures: dict[str, Any] = {}
    for figure, value in ours.items():
        if figure == "log_size":
            continue
        target = TARGETS["sqlite" if backend.startswith("sqlite") else "postgres"].get(figure)
        figures[figure] = {
            "ours": value,
            "eventsourcing": theirs[figure],
            "ratio": round(value / theirs[figure], 2),
            **({"target": target, "met": value >= target} if target else {}),
        }
    return {"unit": "events/s", "log_size": ours["log_size"], "figures": figures}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=3000, help="single-event appends")
    parser.add_argument("--writer-events", type=int, default=500, help="appends per writer")
    parser.add_argument("--batches", type=int, default=200, help="100-event batches")
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
