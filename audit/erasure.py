"""Erasing an owner: what leaving with one's data taken along means, in one place.

An erasure is recorded as started (audit/erasure_progress.py) and then carried through its
steps in order, each safe to run again; it is reported done only once every step is done:

1. sites: their sites leave the registry (an event per site, as if they had unregistered).
2. files: every file they sent is deleted, each deletion recorded in its chain of custody
   (the files' hashes are noted first, so a file that would not go is deleted on a retry).
3. tombstone: the account's tombstone is appended (the account service also deletes the
   account's email index row, so the address is free again).
4. key: their data key is destroyed: every personal field sealed with it, in events, read
   models, dead tuples, write-ahead logs and backups alike, is unreadable for good, while
   the events' hashes and every proof still verify.
5. outbox: every email about them leaves the outbox, with the files the file transport wrote.
6. read_models: every projection has caught up, so every read model has forgotten them
   (anything of theirs that arrived meanwhile, a site or a file, is removed first).
7. wal: on SQLite, the write-ahead log is checkpointed and emptied.

A step that fails (the database away, a file that cannot be deleted, a reader holding the
write-ahead log) leaves the erasure pending, with the reason in plain words; the scheduler's
`finish-erasures` job carries pending erasures on, and the owner's and the auditor's pages
show them as pending.

Why the SQLite checkpoint is still worth doing once everything personal is sealed: old WAL
frames then hold only ciphertext under a destroyed key, but also pseudonymous ids, times
and the erased rows' shape; emptying the log removes those too, and the checkpoint copies
the pages that `secure_delete` zeroed into the main file. It never waits long for readers
(a busy timeout of a fraction of a second): a reader that holds the log only leaves the
step pending for the next run, instead of keeping the owner's request for a minute.

PostgreSQL gets no VACUUM: after the key is destroyed, nothing personal remains in clear in
any relation by construction (dead tuples hold ciphertext and pseudonymous ids only), and a
VACUUM would not help anyway: it marks dead tuples' space free without overwriting it (their
bytes stay in the relation files until reused), WAL segments and archives keep the old
pages whatever it does, and VACUUM FULL, which rewrites a table, locks out every request
that reads it. Autovacuum reclaims the space in its own time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from accounts.handlers import AccountService
from accounts.projection import users
from canvass.intake import FootageDesk
from canvass.projection import footage, requests
from events_store import ProjectionUnavailable
from events_store.database import is_unavailable, reading, writing
from events_store.outbox import Outbox
from events_store.projections import ProjectionRunner
from events_store.store import utc_now
from events_store.vault import KeyVault
from registry import commands as rc
from registry.handlers import RegistryService
from registry.projection import sites

from . import erasure_progress as ep

log = logging.getLogger(__name__)

# How long the SQLite checkpoint waits for readers before leaving its step to the scheduler.
WAL_BUSY_TIMEOUT_MS = 250

# How long one attempt holds an erasure before another may take it over (it died).
ATTEMPT_LEASE = timedelta(minutes=5)
_RUNNING = "Another attempt is carrying it on right now."

# Each step, and what it does in the words the owner and the auditor read.
STEPS: tuple[tuple[str, str], ...] = (
    ("sites", "their sites leave the registry"),
    ("files", "the files they sent are deleted"),
    ("tombstone", "their account is closed for good"),
    ("key", "their data key is destroyed"),
    ("outbox", "the emails about them are deleted"),
    ("read_models", "every list the service keeps forgets them"),
    ("wal", "the database's write-ahead log is emptied"),
)


@dataclass(frozen=True)
class Erasure:
    """What an erasure did, and whether it is complete."""

    user_id: str
    sites_unregistered: int
    files_deleted: int
    newly_erased: bool
    waiting_on: str | None = None  # what is still to do and why, in plain words; None: done

    @property
    def done(self) -> bool:
        return self.waiting_on is None

    @property
    def owner_message(self) -> str:
        """What the owner who asked to be erased is told."""
        if self.done:
            return "Your account and your personal data are erased."
        return (
            "The erasure of your account and your personal data has begun, but one step "
            "could not be finished yet. The service finishes it by itself, usually within "
            "minutes; you need do nothing more."
        )


class StepWaits(Exception):
    """A step that could not finish this time, and why in plain words."""


@dataclass
class _Run:
    """What one attempt did, for its answer."""

    progress: ep.Progress
    sites: int = 0
    files: int = 0
    newly: bool = False


class Eraser:
    """Erases owners for good, on their request or after long inactivity."""

    def __init__(
        self,
        engine: sa.Engine,
        vault: KeyVault,
        projections: ProjectionRunner,
        accounts: AccountService,
        registry: RegistryService,
        footage: FootageDesk,
        outbox: Outbox,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._engine = engine
        self._vault = vault
        self._projections = projections
        self._accounts = accounts
        self._registry = registry
        self._footage = footage
        self._outbox = outbox
        self._clock = clock

    def erase_owner(self, user_id: str, reason: str, actor: str) -> Erasure:
        """Erase an owner and everything personal about them, as far as can be done now;
        what cannot is left pending for the scheduler. Safe to run again."""
        with writing(self._engine) as conn:
            ep.start(conn, user_id, reason, actor, self._clock())
        return self._carry_on(user_id)

    def finish_pending(self) -> int:
        """Carry every unfinished erasure on (the scheduler's job); how many are done now."""
        with reading(self._engine) as conn:
            waiting = [progress.user_id for progress in ep.unfinished(conn)]
        return sum(self._carry_on(user_id).done for user_id in waiting)

    def unfinished(self) -> list[ep.Progress]:
        """Erasures still pending, the oldest first (nothing personal in them)."""
        with reading(self._engine) as conn:
            return ep.unfinished(conn)

    def progress_of(self, user_id: str) -> ep.Progress | None:
        """The erasure of an account, if one was ever started."""
        with reading(self._engine) as conn:
            return ep.progress_of(conn, user_id)

    def _carry_on(self, user_id: str) -> Erasure:
        progress = self.progress_of(user_id)
        if progress is None or progress.finished:
            return Erasure(user_id, 0, 0, False)
        with writing(self._engine) as conn:
            if not ep.claim(conn, user_id, self._clock(), ATTEMPT_LEASE):
                return Erasure(user_id, 0, 0, False, progress.waiting_on or _RUNNING)
        run = _Run(progress)
        for step, what in (*STEPS, ("finish", "the erasure is recorded as complete")):
            if step in run.progress.steps_done:
                continue
            try:
                if step == "finish":
                    self._finish(run)
                else:
                    self._step(run, step)
            except Exception as error:
                waiting = f"Still to do: {what}. It waits because {_why(step, error)}."
                self._note_attempt(user_id, waiting)
                return Erasure(user_id, run.sites, run.files, run.newly, waiting)
        self._empty_sqlite_wal()  # of the few frames that recorded the erasure's end
        return Erasure(user_id, run.sites, run.files, run.newly)

    def _step(self, run: _Run, step: str) -> None:
        getattr(self, f"_step_{step}")(run)
        with writing(self._engine) as conn:
            run.progress = ep.step_done(conn, run.progress, step)

    def _finish(self, run: _Run) -> None:
        with writing(self._engine) as conn:
            ep.attempted(conn, run.progress.user_id, self._clock(), None)
            ep.finish(conn, run.progress.user_id, self._clock())

    def _note_attempt(self, user_id: str, waiting: str) -> None:
        log.warning("an erasure is pending and will be retried: %s", waiting)
        try:
            with writing(self._engine) as conn:
                ep.attempted(conn, user_id, self._clock(), waiting)
        except Exception as error:  # the database may be the reason: it stays pending anyway
            log.warning("could not note the erasure's attempt (%s)", type(error).__name__)

    def _step_sites(self, run: _Run) -> None:
        run.sites += self._unregister_sites(run.progress.user_id, run.progress.actor)

    def _step_files(self, run: _Run) -> None:
        owner_id = run.progress.user_id
        hashes = set(run.progress.files_pending) | self._files_of(owner_id)
        if hashes != set(run.progress.files_pending):
            with writing(self._engine) as conn:
                run.progress = ep.files_to_delete(conn, run.progress, hashes)
        run.files += self._footage.purge_owner(owner_id)
        for sha256 in sorted(hashes):
            if not self._still_kept(sha256):
                self._footage.files.delete(sha256)

    def _step_tombstone(self, run: _Run) -> None:
        progress = run.progress
        run.newly = self._accounts.erase(progress.user_id, progress.reason, progress.actor)

    def _step_key(self, run: _Run) -> None:
        self._vault.forget(run.progress.user_id)

    def _step_outbox(self, run: _Run) -> None:
        with writing(self._engine) as conn:
            self._outbox.forget_subject(conn, run.progress.user_id)

    def _step_read_models(self, run: _Run) -> None:
        owner_id = run.progress.user_id
        self._projections.wait_until(self._head())
        if self._remains(owner_id):  # a site or a file of theirs came in meanwhile
            self._step_sites(run)
            run.files += self._footage.purge_owner(owner_id)
            self._projections.wait_until(self._head())
        if self._remains(owner_id):
            raise StepWaits("the service's lists still hold something of theirs")

    def _step_wal(self, run: _Run) -> None:
        if not self._empty_sqlite_wal():
            raise StepWaits("another connection was still reading the database")

    def _empty_sqlite_wal(self) -> bool:
        """Checkpoint SQLite's write-ahead log into the main file and truncate it, waiting
        for readers only briefly; whether it was done (always, on PostgreSQL)."""
        if self._engine.dialect.name != "sqlite":
            return True
        raw = self._engine.raw_connection()
        try:
            driver: Any = raw.driver_connection
            (before,) = driver.execute("PRAGMA busy_timeout").fetchone()
            driver.execute(f"PRAGMA busy_timeout={WAL_BUSY_TIMEOUT_MS}")
            try:
                busy, _, _ = driver.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                driver.execute(f"PRAGMA busy_timeout={int(before)}")
        finally:
            raw.close()
        return not busy

    def _head(self) -> int:
        with reading(self._engine) as conn:
            return int(
                conn.execute(sa.text("SELECT coalesce(max(position), 0) FROM events")).scalar_one()
            )

    def _remains(self, owner_id: str) -> bool:
        """Whether a read model still holds the account, a site of theirs or a file."""
        with reading(self._engine) as conn:
            account = conn.execute(sa.select(users.c.user_id).where(users.c.user_id == owner_id))
            site = conn.execute(sa.select(sites.c.site_id).where(sites.c.owner_id == owner_id))
            return (
                account.first() is not None
                or site.first() is not None
                or bool(self._files_of(owner_id, conn))
            )

    def _files_of(self, owner_id: str, conn: sa.Connection | None = None) -> set[str]:
        query = (
            sa.select(footage.c.sha256)
            .select_from(footage.join(requests, requests.c.request_id == footage.c.request_id))
            .where(requests.c.owner_id == owner_id)
        )
        with reading(conn or self._engine) as read:
            return set(read.execute(query).scalars())

    def _still_kept(self, sha256: str) -> bool:
        """Whether another owner's request still holds a file with this content."""
        query = sa.select(footage.c.request_id).where(footage.c.sha256 == sha256).limit(1)
        with reading(self._engine) as conn:
            return conn.execute(query).first() is not None

    def apply_retention(
        self, now: datetime, inactive: timedelta, notice: timedelta, zone: tzinfo = UTC
    ) -> tuple[int, int]:
        """Owners inactive for `inactive` are told they will be erased after `notice` (the
        moment written in `zone`, the agency's time); those still inactive when it has
        passed are erased. Returns (told, erased)."""
        told = erased = 0
        for owner in self._owners():
            active = max(filter(None, (owner.updated_at, owner.site_at, owner.answered_at)))
            if owner.erase_after is None:
                if active <= now - inactive:
                    self._accounts.send_erasure_notice(owner.user_id, now + notice, zone)
                    told += 1
            elif owner.erase_after <= now:
                if active > owner.erase_after - notice:
                    self._accounts.keep(owner.user_id)  # they came back since the notice
                else:
                    self.erase_owner(owner.user_id, "inactive", "retention")
                    erased += 1
        return told, erased

    def _owners(self) -> list[Any]:
        site_at = (
            sa.select(sa.func.max(sites.c.updated_at))
            .where(sites.c.owner_id == users.c.user_id)
            .scalar_subquery()
        )
        answered_at = (
            sa.select(sa.func.max(requests.c.answered_at))
            .where(requests.c.owner_id == users.c.user_id)
            .scalar_subquery()
        )
        query = sa.select(
            users.c.user_id,
            users.c.updated_at,
            users.c.erase_after,
            site_at.label("site_at"),
            answered_at.label("answered_at"),
        ).where(users.c.role == "owner")
        with self._engine.connect().execution_options(read_only=True) as conn:
            return list(conn.execute(query))

    def _unregister_sites(self, owner_id: str, actor: str) -> int:
        query = sa.select(sites.c.site_id).where(
            sites.c.owner_id == owner_id, sites.c.status != "unregistered"
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            site_ids = list(conn.execute(query).scalars())
        for site_id in site_ids:
            self._registry.execute(rc.UnregisterSite(site_id, owner_id), {"actor": actor})
        return len(site_ids)


def _why(step: str, error: BaseException) -> str:
    """Why a step could not finish, in plain words and without anything personal."""
    if isinstance(error, StepWaits):
        return str(error)
    if is_unavailable(error):
        return "the database could not be reached"
    if isinstance(error, ProjectionUnavailable):
        return "one of the service's lists has stopped and must be repaired first"
    if isinstance(error, OSError):
        what = "an email file about them" if step == "outbox" else "a file they sent"
        return f"{what} could not be deleted ({error.strerror or type(error).__name__})"
    log.error("erasure step %s failed unexpectedly: %s", step, type(error).__name__)
    return "of an unexpected problem, which the operators are told of"
