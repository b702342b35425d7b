"""The checks that turn checkpoints, an events audit and the service's proofs into lines."""

from __future__ import annotations

from typing import Any

from .audit import EventsAudit, WatchedEvent
from .canonical import MalformedEventError
from .merkle import ProofError, decode_hash, verify_consistency, verify_inclusion
from .note import Checkpoint
from .report import Report
from .source import Service


def check_extension(old: Checkpoint, new: Checkpoint, report: Report) -> bool:
    """Whether the new checkpoint can extend the saved one at all: same log, no fewer events."""
    if new.origin != old.origin:
        report.fail(
            f"the new checkpoint is of the log {new.origin!r}, the saved one of {old.origin!r}"
        )
        return False
    if new.size < old.size:
        report.fail(
            f"the new checkpoint (size {new.size}) is smaller than the saved one "
            f"(size {old.size}): the log has lost events"
        )
        return False
    return True


def check_consistency(service: Service, old: Checkpoint, new: Checkpoint, report: Report) -> None:
    """RFC 9162 consistency of the saved tree with the new one, from the service's proof."""
    what = (
        f"consistency of the saved checkpoint (size {old.size}) with the new one (size {new.size})"
    )
    if old.size == 0:
        report.ok(f"{what}: every log extends the empty one")
        return
    if old.size == new.size:
        if old.root == new.root:
            report.ok(f"{what}: the same tree")
        else:
            report.fail(f"{what}: same size, different roots: the log was rewritten")
        return
    try:
        answer = service.consistency_proof(old.size, new.size)
        proof = _proof_nodes(answer)
        verify_consistency(old.size, new.size, proof, old.root, new.root)
    except (ProofError, MalformedEventError, ValueError) as error:
        report.fail(f"{what}: {error}")
    else:
        report.ok(f"consistency proof from size {old.size} to {new.size} (RFC 9162)")


def report_events(
    audit: EventsAudit, old: Checkpoint, new: Checkpoint | None, report: Report
) -> None:
    """Report completeness, leaf hashes and the roots at the checkpoints' sizes."""
    if audit.unreadable:
        report.fail(f"the events cannot be read: {audit.unreadable}")
        return
    count = audit.count
    if audit.misplaced:
        report.fail(f"positions: {audit.misplaced}")
    elif new is not None and count < new.size:
        report.fail(f"the events end at position {count}, before the new checkpoint's {new.size}")
    else:
        report.ok(f"{count} events read, positions 1..{count} in order without gaps")
    if audit.wrong_leaves:
        report.fail(
            f"leaf hashes: {audit.wrong_leaves} of {count} events do not match their content "
            f"(the first at position {audit.first_wrong_leaf})"
        )
    else:
        report.ok("every leaf hash, recomputed by hash rule v2 (RFC 8785), matches")
    _report_root(audit, old, "saved", report)
    if new is not None:
        _report_root(audit, new, "new", report)
    covered = (new or old).size
    if count > covered:
        report.note(f"the {count - covered} events after position {covered} are in no checkpoint")


def report_inclusions(
    audit: EventsAudit, tree: Checkpoint, service: Service | None, report: Report
) -> None:
    """Prove each watched event is in `tree`: with the service's proof, or one from the leaves."""
    for event in audit.watched.values():
        what = f"event {event.position}"
        try:
            leaf, proof = _inclusion_proof(event, tree, service)
            verify_inclusion(event.position - 1, tree.size, leaf, proof, tree.root)
        except (ProofError, MalformedEventError, ValueError) as error:
            report.fail(f"inclusion of {what}: {error}")
        else:
            report.ok(
                f"{what} (type {event.type}, stream {event.stream_id}) is included in the "
                f"tree of size {tree.size}"
            )


def _inclusion_proof(
    event: WatchedEvent, tree: Checkpoint, service: Service | None
) -> tuple[bytes, list[bytes]]:
    """The event's recomputed leaf hash and the proof to check it with."""
    if event.position > tree.size:
        raise ProofError(f"it is beyond the checkpoint's size {tree.size}")
    if event.leaf is None:
        raise ProofError("it was not among the events read")
    if service is not None:
        answer = service.inclusion_proof(event.position, tree.size)
        return event.leaf, _proof_nodes(answer)
    if event.proof is None:
        raise ProofError("no proof was built for it")
    return event.leaf, event.proof.proof()


def _proof_nodes(answer: dict[str, Any]) -> list[bytes]:
    """The hashes of a proof the service sent, which must be a list of base64 hashes."""
    nodes = answer.get("proof")
    if nodes is None:
        return []
    if not isinstance(nodes, list):
        raise ProofError("the service's proof is not a list of hashes")
    return [decode_hash(node) for node in nodes]


def _report_root(audit: EventsAudit, checkpoint: Checkpoint, label: str, report: Report) -> None:
    size = checkpoint.size
    root = audit.roots.get(size)
    if root is None:
        report.fail(f"root at size {size}: only {audit.count} events were read")
    elif root != checkpoint.root:
        report.fail(
            f"root at size {size} does not match the {label} checkpoint: "
            f"events up to position {size} were changed, removed or reordered"
        )
    else:
        report.ok(f"root at size {size} matches the {label} checkpoint")
