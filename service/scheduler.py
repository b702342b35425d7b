"""Scheduled jobs, run by exactly one process: `flask --app wsgi scheduler run`, or inside
the web server when CANVASS_RUN_SCHEDULER_IN_PROCESS is set (development, quick start),
never inside another command. Of several schedulers started on one database, the one that
holds the leader lock (`service.leader`) runs the jobs; the others wait to take over.

Every job only dispatches idempotent work: running one twice changes nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask, current_app

from audit.identity import LogIdentityError
from events_store import ProjectionUnavailable
from events_store.database import is_unavailable

from .leader import LeaderLock, leader_lock, wait_to_lead
from .wiring import Services

log = logging.getLogger(__name__)


def send_mail(services: Services) -> int:
    """Deliver email waiting in the outbox (retrying what a mail server refused)."""
    return services.outbox.send_pending()


def finish_dispatches(services: Services) -> int:
    """Make the requests of every dispatch that was cut short (each exactly once)."""
    return services.canvass.dispatcher.finish_due(datetime.now(UTC))


def expire_requests(services: Services) -> int:
    """Expire footage requests whose time is up."""
    return services.canvass.dispatcher.expire_due(datetime.now(UTC))


def remind_owners(services: Services) -> int:
    """Remind owners who have not answered a request (after a day, then three days)."""
    return services.canvass.dispatcher.remind_due(datetime.now(UTC))


def alert_investigators(services: Services) -> int:
    """Tell investigators when unanswered footage will be overwritten within a day."""
    return services.canvass.alert_expiring(datetime.now(UTC))


def send_digests(services: Services) -> int:
    """Email each investigator one digest of what happened on their canvasses since the
    last one: decisions, answers and footage (the first ever, only the last interval's)."""
    every = timedelta(minutes=int(current_app.config["DIGEST_INTERVAL_MINUTES"]))
    return services.canvass.digests.send_due(datetime.now(UTC), every)


def close_settled_canvasses(services: Services) -> int:
    """Close dispatched canvasses whose every request is settled, or past their deadline."""
    return services.canvass.close_settled(datetime.now(UTC))


def purge_old_footage(services: Services) -> int:
    """Delete footage of canvasses that ended longer ago than the retention setting."""
    days = current_app.config["FOOTAGE_KEEP_DAYS_AFTER_CLOSE"]
    return services.footage.purge_ended(datetime.now(UTC), timedelta(days=int(days)))


def sweep_orphan_footage(services: Services) -> int:
    """Remove files in the footage folder that no kept record refers to (older than an hour,
    so that an upload still being recorded is left alone)."""
    return services.footage.sweep_orphans(timedelta(hours=1))


def forget_ended_visits(services: Services) -> int:
    """Forget the door-to-door visits of canvasses that ended longer ago than the footage
    retention setting (visits at a registered site go with their owner's data instead)."""
    days = current_app.config["FOOTAGE_KEEP_DAYS_AFTER_CLOSE"]
    return services.canvass.forget_ended_visits(datetime.now(UTC), timedelta(days=int(days)))


def erase_inactive_owners(services: Services) -> int:
    """Tell owners inactive for long that they will be erased, and erase those who stay so."""
    days = current_app.config["OWNER_INACTIVE_DAYS"]
    if not days:
        return 0
    notice = timedelta(days=int(current_app.config["OWNER_ERASURE_NOTICE_DAYS"]))
    zone = ZoneInfo(current_app.config["TIME_ZONE"])
    told, erased = services.eraser.apply_retention(
        datetime.now(UTC), timedelta(days=int(days)), notice, zone
    )
    return told + erased


def finish_erasures(services: Services) -> int:
    """Carry on every erasure a failed step left pending (each step is safe to repeat)."""
    return services.eraser.finish_pending()


def sign_checkpoint(services: Services) -> int:
    """Sign a checkpoint of the log, when it has grown since the last one."""
    before = services.log.checkpoints.latest()
    try:
        issued = services.log.issue_checkpoint()
    except LogIdentityError as wrong:
        log.error("scheduled job sign-checkpoint: %s", wrong)
        return 0
    return int(before is None or issued.tree_size != before.tree_size)


# name, every how many seconds, what it does
JOBS: list[tuple[str, int, Callable[[Services], int]]] = [
    ("finish-dispatches", 60, finish_dispatches),
    ("send-mail", 10, send_mail),
    ("expire-requests", 600, expire_requests),
    ("remind-owners", 900, remind_owners),
    ("alert-investigators", 900, alert_investigators),
    ("send-digests", 600, send_digests),
    ("close-settled-canvasses", 3600, close_settled_canvasses),
    ("sign-checkpoint", 3600, sign_checkpoint),
    ("purge-old-footage", 3600, purge_old_footage),
    ("sweep-orphan-footage", 3600, sweep_orphan_footage),
    ("forget-ended-visits", 3600, forget_ended_visits),
    ("erase-inactive-owners", 6 * 3600, erase_inactive_owners),
    ("finish-erasures", 60, finish_erasures),
]


LEAD_CHECK_SECONDS = 15


class AnotherSchedulerLeads(RuntimeError):
    """`run_once` while a scheduler runs the jobs."""


def run_once(app: Flask) -> dict[str, int]:
    """Run every job once, now, unless another scheduler leads; return what each did."""
    lock = leader_lock(app.config["DATABASE_URL"])
    if not lock.try_acquire() and not lock.unreachable:  # unreachable: each job says so
        raise AnotherSchedulerLeads(
            "Another scheduler is running the jobs now, so they are not run a second time."
        )
    try:
        return {name: _run(app, name, job) for name, _, job in JOBS}
    finally:
        lock.release()


def run_as_leader(app: Flask, stop: threading.Event | None = None) -> None:
    """Run the jobs on their schedule for as long as this process leads; wait to lead
    again when the lock is lost (the database connection that held it gone); return when
    `stop` is set."""
    lock = leader_lock(app.config["DATABASE_URL"])
    try:
        while wait_to_lead(lock, stop):
            scheduler = build(app, blocking=True)
            scheduler.add_job(
                _keep_lead,
                "interval",
                args=(lock, scheduler, stop),
                seconds=LEAD_CHECK_SECONDS,
                id="keep-lead",
                max_instances=1,
                coalesce=True,
            )
            scheduler.start()  # until the lead is lost or `stop` is set
            if stop is not None and stop.is_set():
                return
    finally:
        lock.release()


def start_in_background(app: Flask) -> threading.Event:
    """Run the scheduler in a thread of the web server; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run_as_leader, args=(app, stop), name="scheduler", daemon=True).start()
    return stop


def _keep_lead(lock: LeaderLock, scheduler: BaseScheduler, stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        scheduler.shutdown(wait=False)
    elif not lock.still_held():
        log.warning("this process lost the scheduler's lead; it stops its jobs and waits")
        scheduler.shutdown(wait=False)


def build(app: Flask, blocking: bool) -> BaseScheduler:
    """A scheduler with every job, each at most one instance at a time."""
    scheduler: BaseScheduler = BlockingScheduler() if blocking else BackgroundScheduler()
    every = {
        "sign-checkpoint": int(app.config["CHECKPOINT_INTERVAL_MINUTES"]) * 60,
        "send-digests": int(app.config["DIGEST_INTERVAL_MINUTES"]) * 60,
    }
    for name, seconds, job in JOBS:
        seconds = every.get(name, seconds)
        scheduler.add_job(
            _run,
            "interval",
            args=(app, name, job),
            seconds=seconds,
            id=name,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )
    return scheduler


def _run(app: Flask, name: str, job: Callable[[Services], Any]) -> int:
    log.debug("scheduled job %s runs", name)
    with app.app_context():
        try:
            done = int(job(app.extensions["canvass"]))
        except ProjectionUnavailable as stopped:
            log.warning("scheduled job %s waits: %s", name, stopped)
            return 0
        except Exception as error:
            if is_unavailable(error):  # one line a minute, not a stack trace, while it is down
                log.warning(
                    "scheduled job %s: the database cannot be reached (%s); it runs again "
                    "at its next time",
                    name,
                    type(error).__name__,
                )
                return 0
            log.exception("scheduled job %s failed; it runs again at its next time", name)
            return 0
    if done:
        log.info("scheduled job %s: %d done", name, done)
    return done
