"""The `canvass-verify` command: check the service's log from the outside, against a checkpoint.

Exit codes: 0 verified, 1 a check failed, 2 the command was misused or the service or export
could not be read.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .audit import EventsAudit
from .checks import check_consistency, check_extension, report_events, report_inclusions
from .note import Checkpoint, NoteError, VerifierKey, parse_checkpoint, read_note
from .report import Report
from .source import Service, SourceError, read_export

EXIT_CANNOT_VERIFY = 2
PROGRESS_EVERY = 50_000


class UsageError(Exception):
    """The command line asks for something that cannot be done."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier and return its exit code."""
    args = _parser().parse_args(argv)
    try:
        return _verify(args, Report(sys.stdout))
    except UsageError as error:
        print(f"canvass-verify: error: {error}", file=sys.stderr)
    except SourceError as error:
        print(f"NOT VERIFIED: could not finish: {error}", flush=True)
    except KeyboardInterrupt:
        print("NOT VERIFIED: interrupted", flush=True)
    return EXIT_CANNOT_VERIFY


def _verify(args: argparse.Namespace, report: Report) -> int:
    key = _verifier_key(args.public_key)
    saved_note = _read_file(args.checkpoint, "saved checkpoint")
    new_note = _read_file(args.new_checkpoint, "new checkpoint") if args.new_checkpoint else None
    service = _service(args) if args.url else None
    if args.export and not Path(args.export).is_file():
        raise UsageError(f"the export {args.export} is not a file")

    checkpoints = _checkpoints(key, saved_note, new_note, service, report)
    if checkpoints is None:
        return report.stop()
    old, new = checkpoints
    if service is not None and new is not None:
        check_consistency(service, old, new, report)
    target = new or old
    audit = EventsAudit.start(
        sizes=sorted({old.size, target.size}),
        positions=args.event,
        prove_in=None if service is not None else target.size,
    )
    events = service.events(target.size) if service else read_export(Path(args.export))
    audit.run(_with_progress(events) if sys.stderr.isatty() else events)
    report_events(audit, old, new, report)
    report_inclusions(audit, target, service, report)
    return report.verdict(_verified(old, new, audit.count))


def _checkpoints(
    key: VerifierKey,
    saved_note: bytes,
    new_note: bytes | None,
    service: Service | None,
    report: Report,
) -> tuple[Checkpoint, Checkpoint | None] | None:
    """Both checkpoints, their signatures reported; None when the log cannot be checked."""
    old = _open_checkpoint("saved", saved_note, key, report)
    if old is None:
        return None
    if service is not None and new_note is None:
        new_note = service.checkpoint()
    if new_note is None:
        report.note("no new checkpoint given: only the saved checkpoint's events can be verified")
        return old, None
    new = _open_checkpoint("new", new_note, key, report)
    if new is None or not check_extension(old, new, report):
        return None
    return old, new


def _with_progress(events: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Show a person at a terminal that a long pass is still moving."""
    count = 0
    for count, event in enumerate(events, start=1):
        if count % PROGRESS_EVERY == 0:
            print(f"\r... {count} events read", end="", file=sys.stderr, flush=True)
        yield event
    if count >= PROGRESS_EVERY:
        print("\r" + " " * 40 + "\r", end="", file=sys.stderr, flush=True)


def _verified(old: Checkpoint, new: Checkpoint | None, count: int) -> str:
    if new is not None:
        return (
            f"the log of {new.size} events is complete and unaltered since the saved "
            f"checkpoint of size {old.size}."
        )
    later = count - old.size
    unsigned = f"; the {later} later events are covered by no checkpoint given" if later else ""
    return f"the first {old.size} events are unaltered since the saved checkpoint{unsigned}."


def _open_checkpoint(
    label: str, note_bytes: bytes, key: VerifierKey, report: Report
) -> Checkpoint | None:
    """Read a checkpoint and report its signature; None when it cannot even be read."""
    try:
        note = read_note(note_bytes)
        checkpoint = parse_checkpoint(note.text)
    except NoteError as error:
        report.fail(f"the {label} checkpoint cannot be read: {error}")
        return None
    what = f"signature of the {label} checkpoint (size {checkpoint.size})"
    try:
        note.verify(key)
    except NoteError as error:
        report.fail(f"{what}: {error}")
    else:
        report.ok(f"{what} by {key.name}")
    return checkpoint


def _verifier_key(value: str) -> VerifierKey:
    """The public key from a file, or the verifier key text itself."""
    text = value
    try:
        if Path(value).is_file():
            text = Path(value).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the public key {value}: {error}") from None
    try:
        return VerifierKey.parse(text)
    except NoteError as error:
        raise UsageError(
            f"--public-key is neither a key file nor a verifier key: {error}"
        ) from None


def _read_file(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read the {what} {path}: {error.strerror}") from None


def _service(args: argparse.Namespace) -> Service:
    if not args.url.startswith(("http://", "https://")):
        raise UsageError(f"--url must start with http:// or https://, not {args.url!r}")
    token = args.token or os.environ.get("CANVASS_TOKEN") or None
    return Service(args.url, token, args.timeout)


def _position(text: str) -> int:
    try:
        position = int(text)
    except ValueError:
        position = 0
    if position < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not an event position (1 or more)")
    return position


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="canvass-verify",
        description=(
            "Verify that the service's event log is complete and unaltered since a saved, "
            "signed checkpoint, recomputing every hash from the documented rules."
        ),
    )
    parser.add_argument(
        "--public-key",
        required=True,
        metavar="KEYFILE_OR_TEXT",
        help="the log's verifier key <name>+<key id>+<base64 key>, or a file holding it",
    )
    parser.add_argument(
        "--checkpoint",
        required=True,
        metavar="FILE",
        help="the checkpoint saved earlier, which the log must still extend",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="the service's base URL, e.g. http://127.0.0.1:8080")
    source.add_argument("--export", metavar="FILE", help="a JSON Lines export (.gz allowed)")
    parser.add_argument(
        "--new-checkpoint",
        metavar="FILE",
        help="the newer checkpoint to verify up to (with --url: the service's latest)",
    )
    parser.add_argument("--token", help="bearer token for the service (default: $CANVASS_TOKEN)")
    parser.add_argument(
        "--event",
        type=_position,
        action="extend",
        nargs="+",
        default=[],
        metavar="POSITION",
        help="also prove that the event at this position is in the new checkpoint's tree",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for each answer from the service (default 30)",
    )
    return parser
