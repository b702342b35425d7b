"""Operator commands: `flask --app wsgi db|events|projections|registry|geocoder|demo ...`."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from marshmallow import ValidationError

from accounts.decider import STAFF_ROLES
from accounts.errors import AccountExists, InvalidAccount
from accounts.schemas import StaffAccountSchema
from audit.checkpoints import CheckpointError, parse_and_verify
from audit.identity import LogIdentityError
from audit.merkle import root_of
from events_store import ProjectionFailed
from events_store.integrity import recompute_leaf_hash, verify_log
from registry.address_import import (
    UnknownAddressFile,
    address_lines,
    load_gazetteer,
    read_openaddresses,
)
from registry.commands import CameraSpec
from registry.importing import (
    FORMATS,
    InvalidArea,
    import_sites,
    inside,
    read_boundary,
    read_file,
)

from . import database, demo
from .wiring import Services, services

db_cli = AppGroup("db", help="Create and upgrade the database schema.")
events_cli = AppGroup("events", help="Inspect and check the event log.")
projections_cli = AppGroup("projections", help="Inspect and rebuild the read models.")


def init_app(app: Flask) -> None:
    """Attach the command groups to the app's CLI."""
    groups = (db_cli, events_cli, projections_cli, registry_cli, geocoder_cli, accounts_cli)
    for group in (*groups, outbox_cli, scheduler_cli, audit_cli, demo_cli):
        app.cli.add_command(group)


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the database schema up to REVISION (the newest by default)."""
    database.upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"Database is at revision {database.current_revision(services().engine)}.")


@db_cli.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the newest one this code knows."""
    current = database.current_revision(services().engine)
    head = database.head_revision()
    state = "up to date" if current == head else "needs 'flask --app wsgi db upgrade'"
    click.echo(f"Database revision: {current or 'none'}; newest: {head} ({state}).")


@events_cli.command("verify")
def events_verify() -> None:
    """Recompute every leaf hash; exit 1 naming the first position that does not match."""
    store = services().store
    with click.progressbar(length=store.head(), label="Checking events") as bar:
        report = verify_log(store, progress=bar.update)
    if not report.intact:
        click.echo(f"Checked {report.checked:,} events before a problem.", err=True)
        click.echo(f"Tampering found at {report.finding}.", err=True)
        raise SystemExit(1)
    click.echo(f"Checked {report.checked:,} events: every stored event matches its hash.")
    if disagreement := services().log.identity_problem():
        click.echo(f"Warning: {disagreement}", err=True)
    problem = check_against_checkpoint(services())
    if problem:
        click.echo(f"Tampering found: {problem}", err=True)
        raise SystemExit(1)


def check_against_checkpoint(found: Services) -> str | None:
    """Recompute the Merkle root of the stored events at the newest signed checkpoint's size:
    a row rewritten together with its hash, or history rewritten, no longer matches it."""
    issued = found.log.checkpoints.latest()
    if issued is None:
        click.echo("No checkpoint has been signed yet: nothing to compare the log with.")
        return None
    try:
        signed = parse_and_verify(issued.note, found.log.signer.public_key_text)
    except CheckpointError as bad:
        return f"the newest stored checkpoint does not verify with the service's key ({bad})."
    rows = islice(found.store.iter_stored(), signed.size)
    leaves = [recompute_leaf_hash(row) for row in rows]
    if len(leaves) < signed.size or root_of(leaves) != signed.root:
        return (
            f"the first {signed.size:,} events no longer match the checkpoint signed at "
            f"{issued.issued_at:%Y-%m-%d %H:%M} UTC."
        )
    click.echo(f"The first {signed.size:,} events match the newest signed checkpoint.")
    return None


@projections_cli.command("status")
def projections_status() -> None:
    """Show how far each projection has read, against the head of the log."""
    rows = services().projections.status()
    width = max([len("projection"), *(len(row.name) for row in rows)])
    click.echo(f"{'projection':<{width}}  {'position':>10}  {'head':>10}  {'behind':>8}")
    for row in rows:
        state = "  stopped" if row.failure else ""
        click.echo(
            f"{row.name:<{width}}  {row.position:>10,}  {row.head:>10,}  {row.behind:>8,}{state}"
        )
    for row in rows:
        if row.failure:
            at = row.failure.failed_at
            when = f" at {at:%Y-%m-%d %H:%M} UTC" if at else ""
            click.echo(f"\n{row.name} stopped{when}: it {row.failure.describe()}.")
            click.echo(
                "  Repair: fix the code or register an upcaster that corrects the event, then "
                f"run 'flask --app wsgi projections rebuild {row.name}'."
            )


@projections_cli.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Empty projection NAME (every projection if none is named) and replay the log into it."""
    runner = services().projections
    if name is not None and name not in runner.names:
        known = ", ".join(runner.names)
        raise click.ClickException(f"there is no projection named {name!r} (known: {known})")
    head = services().store.head()
    for each in [name] if name else runner.names:
        try:
            with click.progressbar(length=head, label=f"Rebuilding {each}") as bar:
                applied = runner.rebuild(each, progress=bar.update)
        except ProjectionFailed as failed:
            raise click.ClickException(
                f"{failed}. Nothing was replaced: the read model {each} serves as before."
            ) from None
        click.echo(f"{each}: replayed {applied:,} events.")


@projections_cli.command("retry")
@click.argument("name")
def projections_retry(name: str) -> None:
    """Carry on with stopped projection NAME from where it stopped (after a fix)."""
    runner = services().projections
    if name not in runner.names:
        known = ", ".join(runner.names)
        raise click.ClickException(f"there is no projection named {name!r} (known: {known})")
    applied = runner.retry(name)
    failure = runner.failures().get(name)
    if failure:
        raise click.ClickException(f"{name} applied {applied:,} events, then {failure.describe()}")
    click.echo(f"{name}: applied {applied:,} events; it is up to date.")


registry_cli = AppGroup("registry", help="Manage the camera registry.")


@registry_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--format", "file_format", type=click.Choice(sorted(FORMATS)), required=True)
@click.option(
    "--retention-days",
    type=click.IntRange(1, 365),
    default=30,
    show_default=True,
    help="How long the imported cameras' recorders are assumed to keep footage.",
)
@click.option(
    "--within",
    type=(float, float, float, float),
    default=None,
    metavar="SOUTH WEST NORTH EAST",
    help="Only the rows inside this latitude/longitude box.",
)
@click.option(
    "--inside",
    "boundary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    metavar="AREA.geojson",
    help="Only the rows inside this area (a GeoJSON geometry, feature or collection).",
)
def registry_import(
    file: Path,
    file_format: str,
    retention_days: int,
    within: tuple[float, float, float, float] | None,
    boundary: Path | None,
) -> None:
    """Register every site in FILE (one camera each); running it again adds nothing."""
    rows = read_file(file, file_format, within)
    if boundary is not None:
        rows = inside(rows, _boundary(boundary))
    # The sources say nothing of direction: assume an all-round view of modest range.
    camera = CameraSpec("Camera", 0, 360, 30, "outdoor", "continuous", retention_days)
    with click.progressbar(length=len(rows), label=f"Importing {file.name}") as bar:
        report = import_sites(services().registry, rows, camera, progress=bar.update)
    click.echo(
        f"Added {report.added:,} sites; {report.already_present:,} were already registered; "
        f"{len(report.rejected):,} rows rejected."
    )
    for rejected in report.rejected:
        click.echo(f"  line {rejected.line}: {rejected.reason}")


def _boundary(path: Path) -> object:
    try:
        return read_boundary(path)
    except InvalidArea as unusable:
        raise click.BadParameter(
            f"{path.name} is not a GeoJSON area: {unusable}.", param_hint="--inside"
        ) from None


geocoder_cli = AppGroup("geocoder", help="Manage the offline address gazetteer.")


@geocoder_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def geocoder_import(file: Path) -> None:
    """Load address points from an OpenAddresses CSV FILE; running it again adds nothing."""
    try:
        lines = address_lines(file)
        with click.progressbar(label=f"Loading {file.name}", length=lines) as bar:
            records = read_openaddresses(file)
            report = load_gazetteer(services().engine, records, progress=bar.update)
    except UnknownAddressFile as unreadable:
        raise click.ClickException(str(unreadable)) from None
    click.echo(
        f"Added {report.added:,} addresses; {report.already_present:,} were already loaded; "
        f"{report.skipped:,} rows had no house number, street or position and were skipped."
    )


accounts_cli = AppGroup("accounts", help="Manage staff accounts.")


@accounts_cli.command("create")
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--agency", required=True, help="The agency the person works for.")
@click.option("--email", required=True)
@click.option("--name", "display_name", help="The person's name (default: from the address).")
def accounts_create(role: str, agency: str, email: str, display_name: str | None) -> None:
    """Create a staff account; the person chooses a password through an emailed link and
    sets up a second factor (an authenticator app) at their first login."""
    display_name = display_name or email.split("@")[0].replace(".", " ").title()
    try:
        given = StaffAccountSchema().load(
            {"email": email, "display_name": display_name, "agency": agency}
        )
        services().accounts.create_staff(
            given["email"], given["display_name"], role, given["agency"]
        )
    except ValidationError as invalid:
        problems = "; ".join(
            f"--{'name' if k == 'display_name' else k}: {' '.join(v)}"
            for k, v in invalid.normalized_messages().items()
        )
        raise click.ClickException(problems) from None
    except InvalidAccount as invalid:
        problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in invalid.errors.items())
        raise click.ClickException(problems) from None
    except AccountExists:
        raise click.ClickException("An account with this email address exists already.") from None
    sent = services().outbox.send_pending()
    click.echo(
        f"Created the {role} account at {agency}; {sent} email(s) sent. They set up a second "
        "factor (an authenticator app) when they first log in."
    )


outbox_cli = AppGroup("outbox", help="Email waiting to be sent.")


@outbox_cli.command("send")
@click.option("--retry-failed", is_flag=True, help="Also try once more every message that gave up.")
def outbox_send(retry_failed: bool) -> None:
    """Send every message that is due (a refused one waits before its next attempt)."""
    outbox = services().outbox
    if retry_failed:
        click.echo(f"Trying {outbox.retry_given_up()} message(s) that gave up once more.")
    sent = outbox.send_pending(limit=10_000)
    status = outbox.status()
    click.echo(
        f"Sent {sent} message(s); {status.waiting} still waiting; "
        f"{len(status.given_up)} gave up (see 'flask outbox status')."
    )


@outbox_cli.command("status")
def outbox_status() -> None:
    """Show how many messages wait and which gave up (ids and errors, never their contents)."""
    status = services().outbox.status()
    next_try = f"{status.next_attempt_at:%Y-%m-%d %H:%M} UTC" if status.next_attempt_at else "now"
    click.echo(f"Waiting: {status.waiting} (next attempt: {next_try if status.waiting else '-'})")
    click.echo(f"Gave up: {len(status.given_up)}")
    for message in status.given_up:
        click.echo(
            f"  {message.message_id}  {message.attempts} attempts  "
            f"last error: {message.last_error or '-'}  "
            f"gave up {message.gave_up_at:%Y-%m-%d %H:%M} UTC"
        )
    if status.given_up:
        click.echo("Send them again with 'flask --app wsgi outbox send --retry-failed'.")


scheduler_cli = AppGroup("scheduler", help="Run the scheduled jobs (in one process only).")


@scheduler_cli.command("run")
@click.option("--once", is_flag=True, help="Run every job once, now, and exit.")
def scheduler_run(once: bool) -> None:
    """Run reminders, expiry and mail delivery on their schedule until stopped; of several
    schedulers on one database, one runs the jobs and the others wait to take over."""
    from flask import current_app

    from . import scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if once:
        try:
            ran = scheduler.run_once(app)
        except scheduler.AnotherSchedulerLeads as leading:
            raise click.ClickException(str(leading)) from None
        for name, done in ran.items():
            click.echo(f"{name}: {done}")
        return
    click.echo(
        "Running scheduled jobs (or waiting while another scheduler runs them); Ctrl+C to stop."
    )
    scheduler.run_as_leader(app)


audit_cli = AppGroup("audit", help="Signed checkpoints of the log.")


@audit_cli.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign a checkpoint of the log now and print it (save it to check the log later)."""
    try:
        click.echo(services().log.issue_checkpoint().note, nl=False)
    except LogIdentityError as wrong:
        raise click.ClickException(str(wrong)) from None


@audit_cli.command("public-key")
def audit_public_key() -> None:
    """Print the key that verifies checkpoints, for auditors to keep."""
    click.echo(services().log.signer.public_key_text)


demo_cli = AppGroup("demo", help="The San Francisco demo city (for trying the service).")


@demo_cli.command("load")
@click.argument("data", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--limit",
    type=click.IntRange(1),
    default=None,
    help="Only the N cameras nearest to the demo's incidents (a small city for tests).",
)
def demo_load(data: Path, limit: int | None) -> None:
    """Load San Francisco from the files in DATA: its OpenStreetMap cameras as sites of demo
    owners, demo staff, and canvasses on real incidents; running it again adds nothing."""
    city = demo.read_city(data, limit)
    secret = str(current_app.config["SECRET_KEY"])
    with click.progressbar(length=len(city.cameras), label="Registering cameras") as bar:
        report = demo.load(services(), city, secret, progress=bar.update)
    for line in demo.describe(report, services().accounts.public_url):
        click.echo(line)
