"""Merkle proofs served from a log of a million events, beside recomputing them from every leaf.

    python -m bench.audit [--events N] [--backend sqlite|postgres|both] [--samples N]

Fills a fresh, migrated database with N events (default 1,000,000): an auditor's account,
then the camera registrations of `bench.events`, appended 100 at a time, one stream per
append. It builds the Merkle tree through the projection runner, signing a checkpoint at two
thirds of the log (the one an auditor kept) and one at N. With the service behind waitress on
the loopback, it times inclusion proofs of random events and consistency proofs from random
sizes, at size N, over one keep-alive HTTP connection; then the same calls in process; then
the reference, the same proofs computed from all N leaf hashes read from the events table.
Every proof is checked with `canvass_verify` against the signed checkpoint, and
`canvass-verify` checks the whole log over HTTP once. Access logging is off (LOG_LEVEL=WARNING).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from audit.merkle import MemoryTree, Subtree, consistency_spans, inclusion_spans, nodes_for
from canvass_verify.canonical import event_leaf_hash, parse_event
from canvass_verify.merkle import ProofError, verify_consistency, verify_inclusion
from canvass_verify.note import Checkpoint
from events_store import NO_STREAM, EventStore, NewEvent

from . import common
from .serving import AuditorClient, auditor_token, served, service
from .sides import EVENT_TYPE, METADATA, payload

BATCH_SIZE = 100
SAVED_SHARE = 2 / 3  # the size, as a share of the log, of the checkpoint an auditor kept
TARGET = "at 1,000,000 events an inclusion proof is served in under 10 ms (HTTP p99)"
TARGET_MS = 10.0
VERIFY = shutil.which("canvass-verify") or str(Path(sys.executable).parent / "canvass-verify")
_LEAVES = sa.text("SELECT leaf_hash FROM events WHERE position <= :size ORDER BY position")


def fill(store: EventStore, until: int) -> int:
    """Append camera registrations until the log holds `until` events; returns the appends."""
    head, appends = store.head(), 0
    while head < until:
        size = min(BATCH_SIZE, until - head)
        events = [NewEvent(EVENT_TYPE, payload(head + i), METADATA) for i in range(size)]
        store.append(f"site-{head + 1}", events, NO_STREAM)
        head, appends = head + size, appends + 1
    return appends


def build(app: Flask, events: int) -> tuple[dict[str, Any], str]:
    """Fill the log and build its tree through the projection runner, signing on the way the
    checkpoint an auditor keeps: the figures, and that checkpoint's note."""
    parts = app.extensions["canvass"]
    saved_size = int(events * SAVED_SHARE)
    filling, building, appends, notes = 0.0, 0.0, 0, []
    for size in (saved_size, events):
        started = time.perf_counter()
        appends += fill(parts.store, size)
        filling += time.perf_counter() - started
        building += common.timed(lambda: parts.projections.catch_up(["merkle"]))
        notes.append(parts.log.issue_checkpoint().note)
    figures = {
        "log": {"events": events, "appends": appends, "seconds": round(filling, 1)}
        | {"events_per_second": common.rate(events, filling)},
        "merkle_build": {"events": events, "seconds": round(building, 1)}
        | {"events_per_second": common.rate(events, building)},
        "checkpoints": {"saved_size": saved_size, "latest_size": events},
    }
    return figures, notes[0]


def summary(seconds: list[float]) -> dict[str, Any]:
    """Nearest-rank percentiles, mean and maximum, in milliseconds."""
    ordered = sorted(seconds)
    ranks = {f"p{share}_ms": ordered[len(ordered) * share // 100] for share in (50, 95, 99)}
    figures = ranks | {"mean_ms": statistics.fmean(ordered), "max_ms": ordered[-1]}
    return {"count": len(ordered)} | {name: round(v * 1e3, 3) for name, v in figures.items()}


def over_http(port: int, token: str, positions: list[int], olds: list[int], size: int) -> dict:
    """Both kinds of proof timed over HTTP, then checked against the signed checkpoint."""
    client = AuditorClient(port, token)
    try:
        paths = [f"proof/inclusion?position={p}&size={size}" for p in positions]
        inclusion, inclusions = client.proofs(paths)
        consistency, consistencies = client.proofs(
            [f"proof/consistency?from={m}&to={size}" for m in olds]
        )
        checkpoint = client.checkpoint()
        verified = verify_served(client, checkpoint, inclusions, consistencies)
    finally:
        client.close()
    return {
        "seconds": {"inclusion": inclusion, "consistency": consistency},
        "answers": {"inclusion": inclusions, "consistency": consistencies},
        "checkpoint": checkpoint,
        "verified": verified,
        "reconnections": client.reconnections,
    }


def verify_served(
    client: AuditorClient, checkpoint: Checkpoint, inclusions: list[dict], consistencies: list[dict]
) -> dict[str, Any]:
    """Check every served proof with the independent verifier's code against the signed
    root, each leaf hash recomputed from its event as the export gives it."""
    size, failures = checkpoint.size, []
    for answer in inclusions:
        event = parse_event(client.get(f"events?after={answer['position'] - 1}&limit=1")[1])
        proof = [base64.b64decode(node) for node in answer["proof"]]
        try:
            index, leaf = event["position"] - 1, event_leaf_hash(event)
            verify_inclusion(index, size, leaf, proof, checkpoint.root)
        except ProofError as error:
            failures.append(f"inclusion of {answer['position']}: {error}")
    for answer in consistencies:
        proof = [base64.b64decode(node) for node in answer["proof"]]
        old_root = base64.b64decode(answer["root_from"])
        try:
            verify_consistency(answer["from"], size, proof, old_root, checkpoint.root)
        except ProofError as error:
            failures.append(f"consistency from {answer['from']}: {error}")
    return {
        "checkpoint": {"size": size, "signature": "valid"},
        "proofs_checked": len(inclusions) + len(consistencies),
        "proofs_failed": len(failures),
        "first_failures": failures[:10],
    }


def in_process(app: Flask, positions: list[int], olds: list[int], size: int) -> dict:
    """The same proofs asked of the log's service object and of the stored tree directly,
    and the floor under both: fetching the tree's nodes for each proof with the driver."""
    log, engine = app.extensions["canvass"].log, app.extensions["canvass"].engine
    last_leaf = {Subtree(0, size - 1)}  # TreeReader fetches it too, to show the size exists

    def each(call: Callable[..., Any], arguments: list[tuple[int, int]]) -> list[float]:
        return [common.timed(partial(call, *pair)) for pair in arguments]

    return {
        "verifiable_log_in_process": {
            "inclusion": each(log.inclusion, [(p, size) for p in positions]),
            "consistency": each(log.consistency, [(m, size) for m in olds]),
        },
        "tree_reader_in_process": {
            "inclusion": each(log.tree.inclusion_proof, [(p - 1, size) for p in positions]),
            "consistency": each(log.tree.consistency_proof, [(m, size) for m in olds]),
        },
        "node_query_through_driver": {
            "inclusion": driver_fetches(
                engine, [nodes_for(inclusion_spans(p - 1, size)) | last_leaf for p in positions]
            ),
            "consistency": driver_fetches(
                engine, [nodes_for(consistency_spans(m, size)) | last_leaf for m in olds]
            ),
        },
    }


def driver_fetches(engine: sa.Engine, wanted: list[set[Subtree]]) -> list[float]:
    """Seconds to fetch each set of stored nodes with one hand-written statement through the
    database driver, as `fetch_nodes` does but without building an SQLAlchemy expression."""
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    seconds = []
    with engine.connect() as conn:
        for nodes in wanted:
            started = time.perf_counter()
            terms = " OR ".join([f"(level = {mark} AND idx = {mark})"] * len(nodes))
            values = tuple(value for node in nodes for value in (node.level, node.index))
            rows = conn.exec_driver_sql(f"SELECT * FROM merkle_nodes WHERE {terms}", values).all()
            seconds.append(time.perf_counter() - started)
            if len(rows) != len(nodes):
                raise RuntimeError(f"found {len(rows)} of the {len(nodes)} nodes asked for")
    return seconds


def reference(
    engine: sa.Engine, size: int, positions: list[int], olds: list[int]
) -> tuple[dict[str, Any], MemoryTree]:
    """The naive answer: read all `size` leaf hashes, build the tree in memory, prove. Each
    proof pays for the read and the build, as it would on a server without a stored tree."""
    reads, builds, inclusions, consistencies = [], [], [], []
    for position, old in zip(positions, olds, strict=True):
        started = time.perf_counter()
        with engine.connect() as conn:
            leaves = [bytes(value) for value in conn.execute(_LEAVES, {"size": size}).scalars()]
        read = time.perf_counter()
        tree = MemoryTree(leaves)
        reads.append(read - started)
        builds.append(time.perf_counter() - read)
        prepared = reads[-1] + builds[-1]
        inclusions.append(
            prepared + common.timed(partial(tree.inclusion_proof, position - 1, size))
        )
        consistencies.append(prepared + common.timed(partial(tree.consistency_proof, old, size)))
    timings = {
        "read_leaves_seconds": round(statistics.fmean(reads), 3),
        "build_tree_seconds": round(statistics.fmean(builds), 3),
        "inclusion": summary(inclusions),
        "consistency": summary(consistencies),
    }
    return timings, tree


def agrees_with_reference(
    tree: MemoryTree, checkpoint: Checkpoint, answers: dict[str, list[dict]]
) -> dict[str, bool]:
    """Whether the tree built from every leaf gives the signed root and every served proof."""

    def encoded(proof: list[bytes]) -> list[str]:
        return [base64.b64encode(node).decode() for node in proof]

    size = checkpoint.size
    return {
        "root_equals_checkpoint": tree.root(size) == checkpoint.root,
        "inclusion_proofs_equal": all(
            a["proof"] == encoded(tree.inclusion_proof(a["position"] - 1, size))
            for a in answers["inclusion"]
        ),
        "consistency_proofs_and_old_roots_equal": all(
            a["proof"] == encoded(tree.consistency_proof(a["from"], size))
            and base64.b64decode(a["root_from"]) == tree.root(a["from"])
            for a in answers["consistency"]
        ),
    }


def run_verifier(port: int, token: str, saved_note: str, key: str, position: int) -> dict:
    """`canvass-verify` against the whole log over HTTP, from the checkpoint an auditor kept."""
    arguments = ["--url", f"http://127.0.0.1:{port}", "--checkpoint", "saved.checkpoint"]
    arguments += ["--public-key", "public.key", "--event", str(position)]
    with tempfile.TemporaryDirectory(prefix="bench-audit-verify-") as directory:
        (Path(directory) / "saved.checkpoint").write_text(saved_note)
        (Path(directory) / "public.key").write_text(key)
        started = time.perf_counter()
        result = subprocess.run(
            [VERIFY, *arguments],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=7200,
            env={"CANVASS_TOKEN": token, "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        )
        seconds = time.perf_counter() - started
    lines = result.stdout.splitlines()
    return {
        "command": f"canvass-verify {' '.join(arguments)}",
        "seconds": round(seconds, 1),
        "exit_code": result.returncode,
        "verdict": next((x for x in lines if x.startswith(("VERIFIED", "NOT VERIFIED"))), None),
        "output": lines + result.stderr.splitlines(),
    }


def measure(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    """Every figure on one backend, on one log of `args.events` events."""
    rng = random.Random(args.seed)
    size = args.events
    positions = [rng.randint(1, size) for _ in range(args.samples)]
    olds = [rng.randint(1, size - 1) for _ in range(args.samples)]
    few = args.reference_samples
    with common.migrated_database(backend, "audit") as url, service(url) as app:
        token = auditor_token(app)
        figures, saved_note = build(app, size)
        with served(app) as port:
            http = over_http(port, token, positions, olds, size)
            layers = in_process(app, positions, olds, size)
            engine = app.extensions["canvass"].engine
            naive, tree = reference(engine, size, positions[:few], olds[:few])
            http["verified"]["reference_tree"] = agrees_with_reference(
                tree, http["checkpoint"], http["answers"]
            )
            del tree
            key = app.extensions["canvass"].log.signer.public_key_text
            verifier = run_verifier(port, token, saved_note, key, positions[0])
    return figures | {
        "http": {"server": "waitress, 4 threads", "reconnections": http["reconnections"]},
        "proofs": {kind: proof_figures(kind, http, layers, naive) for kind in http["seconds"]},
        "reference": {k: naive[k] for k in ("read_leaves_seconds", "build_tree_seconds")},
        "verification": http["verified"],
        "canvass_verify": verifier,
    }


def proof_figures(kind: str, http: dict, layers: dict, naive: dict) -> dict[str, Any]:
    """One kind of proof: served, in process, from every leaf, and how many times faster."""
    served_ms = summary(http["seconds"][kind])
    figures = {"http": served_ms}
    figures |= {layer: summary(seconds[kind]) for layer, seconds in layers.items()}
    figures["reference_from_all_leaves"] = naive[kind]
    figures["speedup_p50"] = round(naive[kind]["p50_ms"] / served_ms["p50_ms"])
    if kind == "inclusion":
        figures |= {"target_ms": TARGET_MS, "met": served_ms["p99_ms"] < TARGET_MS}
    return figures


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the log")
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgres", "both"])
    parser.add_argument("--samples", type=int, default=2000, help="proofs of each kind timed")
    parser.add_argument("--reference-samples", type=int, default=3, help="from every leaf")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    report: dict[str, Any] = {
        "benchmark": "audit",
        "machine": common.machine()
        | {"postgres": common.postgres_version(common.postgres_base_url())},
        "events": args.events,
        "samples": args.samples,
        "reference_samples": args.reference_samples,
        "reference": "each proof computed from all N leaf hashes read from the events table",
        "target": TARGET,
        "results": {},
    }
    for backend in ["sqlite", "postgres"] if args.backend == "both" else [args.backend]:
        if backend == "postgres" and report["machine"]["postgres"] is None:
            report["results"][backend] = {"skipped": "PostgreSQL is not reachable"}
            continue
        print(f"measuring {backend} ...", file=sys.stderr)
        started, load_before = time.perf_counter(), os.getloadavg()[0]
        report["results"][backend] = measure(backend, args) | {
            "run_seconds": round(time.perf_counter() - started, 1),
            # Other work on the machine shows in the tails: the 1-minute load, before and after.
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
