"""Footage from owners into the case: receiving files, handing them out with a custody
record, the case package (files, a manifest of hashes, and the custody log, owners named by
a pseudonym of that canvass only), and the sweep of files nothing refers to."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from accounts.links import ANSWER_REQUEST, Links
from events_store import ANY, EventStore
from events_store.handling import handle
from events_store.projections import ProjectionRunner
from events_store.sealing import to_new_event
from events_store.vault import KeyVault

from . import events as e
from .errors import CanvassNotFound, OwnerErased
from .footage import FootageStore, StoredFootage
from .projection import canvasses, footage, requests
from .requests import check_may_receive, receive
from .streams import REQUEST, canvass_has_ended, request_stream


@dataclass(frozen=True)
class Access:
    """Who takes personal data, and why: recorded with every release."""

    actor: str
    role: str
    agency: str | None
    case_number: str | None
    legal_basis: str | None
    purpose: str


ERASURE = Access("erasure", "system", None, None, None, "the owner's data was erased")


class FootageDesk:
    """Receives owners' uploads and releases them to the canvass's investigators."""

    def __init__(
        self,
        store: EventStore,
        vault: KeyVault,
        engine: sa.Engine,
        projections: ProjectionRunner,
        links: Links,
        files: FootageStore,
    ) -> None:
        self._store = store
        self._vault = vault
        self._engine = engine
        self._projections = projections
        self._links = links
        self.files = files

    def receive(
        self,
        token: str,
        chunks: Iterable[bytes],
        expected_sha256: str | None,
        clock_offset_seconds: int | None,
        statement: str | None,
        now: datetime,
    ) -> StoredFootage:
        """Keep an owner's upload for the request the link names, checked as it streams."""
        request_id = self._links.read(ANSWER_REQUEST, token).user_id
        state = REQUEST.fold(self._store.read_stream(request_stream(request_id)))
        ended = canvass_has_ended(self._store, state.canvass_id)
        check_may_receive(state, now, ended)  # refuse before reading the file
        if state.owner_id is None or self._vault.is_forgotten(str(state.owner_id)):
            raise OwnerErased()  # nothing could be sealed for them: not a byte is stored
        stored = self.files.put(chunks, expected_sha256)
        received = {
            "sha256": stored.sha256,
            "size": stored.size,
            "container": stored.container,
            "clock_offset_seconds": clock_offset_seconds,
            "statement": (statement or "").strip()[:2000] or None,
        }
        try:
            # Asked again once the file is in: the canvass may have ended while it streamed.
            recorded = handle(
                self._store,
                self._vault,
                request_stream(request_id),
                REQUEST,
                lambda current: receive(
                    current,
                    request_id,
                    str(state.canvass_id),
                    received,
                    now,
                    canvass_has_ended(self._store, state.canvass_id),
                ),
                lambda current: str(current.owner_id),
                {"actor": "owner-link", "role": "owner"},
            )
        except Exception:
            if not self._still_kept(stored.sha256):
                self.files.delete(stored.sha256)  # refused: nothing of it is kept
            raise
        self._projections.wait_until(recorded[-1].position, ["canvass_requests"])
        return stored

    def listing(self, canvass_id: str) -> list[dict[str, Any]]:
        """The files received for a canvass, oldest first."""
        query = (
            sa.select(footage, requests.c.site_id, requests.c.owner_id)
            .select_from(footage.join(requests, requests.c.request_id == footage.c.request_id))
            .where(footage.c.canvass_id == canvass_id)
            .order_by(footage.c.received_at)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def release(
        self,
        canvass_id: str,
        sha256: str,
        action: str,
        access: Access,
        request_id: str | None = None,
    ) -> Path:
        """A file of the canvass, once who takes it and why is recorded (chain of custody
        and access log). The same clip sent by several owners is each one's footage, so its
        release is recorded for every one of them, or only for `request_id`'s where only
        that owner's part is given out (their statement). Call it through the gateway."""
        entries = [
            entry
            for entry in self.listing(canvass_id)
            if entry["sha256"] == sha256 and request_id in (None, entry["request_id"])
        ]
        if not entries:
            raise CanvassNotFound(canvass_id)
        for entry in entries:
            self._custody(entry, action, access)
        return self.files.path_of(sha256)

    def package(self, canvass_id: str, access: Access) -> Path:
        """A zip of the canvass's files, their manifest and the custody log; each file's
        export is recorded. Call it through the access gateway."""
        entries = self.listing(canvass_id)
        for entry in entries:
            self._custody(entry, "exported", access)
        manifest = [
            {
                "file": f"footage/{entry['sha256']}.{entry['container']}",
                "sha256": entry["sha256"],
                "size": entry["size"],
                "container": entry["container"],
                "clock_offset_seconds": entry["clock_offset_seconds"],
                "site_id": entry["site_id"],
                "owner": self._case_pseudonym(canvass_id, entry["owner_id"]),
                "received_at": entry["received_at"].isoformat(),
            }
            for entry in entries
        ]
        custody = self._custody_log(canvass_id, entries)
        handle_, name = tempfile.mkstemp(prefix="case-package-", suffix=".zip")
        path = Path(name)
        with open(handle_, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as zipped:
            written: set[str] = set()
            for item in manifest:  # the same clip from two owners is packed once
                if item["file"] not in written:
                    zipped.write(self.files.path_of(item["sha256"]), item["file"])
                    written.add(item["file"])
            zipped.writestr("manifest.json", json.dumps({"files": manifest}, indent=2))
            zipped.writestr("custody.json", json.dumps(custody, indent=2))
        return path

    def purge_ended(self, now: datetime, keep: timedelta) -> int:
        """Delete the files of canvasses that ended more than `keep` ago, each deletion
        recorded in the file's chain of custody; return how many files went."""
        ended = sa.select(canvasses.c.canvass_id).where(
            canvasses.c.status.in_(("closed", "cancelled", "expired")),
            canvasses.c.updated_at <= now - keep,
        )
        query = sa.select(
            footage.c.request_id, footage.c.canvass_id, footage.c.sha256, requests.c.owner_id
        ).select_from(footage.join(requests, requests.c.request_id == footage.c.request_id))
        with self._engine.connect().execution_options(read_only=True) as conn:
            files = [
                dict(r._mapping) for r in conn.execute(query.where(footage.c.canvass_id.in_(ended)))
            ]
        access = Access(
            "retention", "system", None, None, None, f"kept {keep.days} days after the canvass"
        )
        return self._purge(files, access)

    def purge_owner(self, owner_id: str) -> int:
        """Delete every file an owner sent (part of erasing them), each deletion recorded in
        the file's chain of custody; return how many files went."""
        query = (
            sa.select(footage.c.request_id, footage.c.canvass_id, footage.c.sha256)
            .select_from(footage.join(requests, requests.c.request_id == footage.c.request_id))
            .where(requests.c.owner_id == owner_id)
        )
        with self._engine.connect().execution_options(read_only=True) as conn:
            files = [dict(row._mapping) for row in conn.execute(query)]
        return self._purge([entry | {"owner_id": owner_id} for entry in files], ERASURE)

    def _purge(self, files: list[dict[str, Any]], access: Access) -> int:
        for entry in files:
            self._custody(entry, "purged", access)
        if files:
            self._projections.catch_up(["canvass_requests"])
        for sha256 in {entry["sha256"] for entry in files}:
            if not self._still_kept(sha256):
                self.files.delete(sha256)
        return len(files)

    def _still_kept(self, sha256: str) -> bool:
        """Whether another request still holds a file with this content."""
        with self._engine.connect().execution_options(read_only=True) as conn:
            query = sa.select(footage.c.request_id).where(footage.c.sha256 == sha256).limit(1)
            return conn.execute(query).first() is not None

    def _custody(self, entry: dict[str, Any], action: str, access: Access) -> None:
        """Record one handling of a file in its request's stream. It is a fact about what
        was done, not a decision on the stream's state, so it is appended at whatever
        version the stream has: a case page viewed a thousand times costs one append per
        reading, not a read of every earlier reading first."""
        event = e.FootageHandled(
            entry["request_id"],
            entry["canvass_id"],
            entry["sha256"],
            action,
            access.actor,
            access.role,
            access.agency,
            entry["owner_id"],
            access.case_number,
            access.legal_basis,
            access.purpose,
        )
        metadata = {"actor": access.actor, "role": access.role, "agency": access.agency}
        recorded = to_new_event(self._vault, access.actor, event, metadata)
        self._store.append(request_stream(entry["request_id"]), [recorded], ANY)

    def sweep_orphans(self, older_than: timedelta) -> int:
        """Remove the files in the footage folder that no kept record refers to (left by an
        upload refused after it streamed in, a crash, or a purge cut short), once they are
        older than `older_than`; return how many went."""
        self._projections.catch_up(["canvass_requests"])
        with self._engine.connect().execution_options(read_only=True) as conn:
            referenced = set(conn.execute(sa.select(footage.c.sha256).distinct()).scalars())
        return self.files.sweep(referenced, older_than.total_seconds())

    def _case_pseudonym(self, canvass_id: str, owner_id: str | None) -> str | None:
        """How a case package names an owner: the same within the canvass, unrelated to
        what any other canvass's package calls them."""
        if owner_id is None:
            return None
        return "owner-" + self._vault.pseudonym(f"case-package|{canvass_id}", owner_id)[:8]

    def _custody_log(self, canvass_id: str, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        log = []
        for request_id in sorted({entry["request_id"] for entry in entries}):
            for recorded in self._store.read_stream(request_stream(request_id)):
                if recorded.type in ("FootageReceived", "FootageHandled"):
                    data = {k: v for k, v in recorded.data.items() if k != "private"}
                    if "owner_id" in data:
                        data["owner_id"] = self._case_pseudonym(canvass_id, data["owner_id"])
                    log.append(
                        {
                            "position": recorded.position,
                            "event": recorded.type,
                            "recorded_at": recorded.recorded_at.isoformat(),
                            "leaf_hash": recorded.leaf_hash.hex(),
                        }
                        | data
                    )
        return sorted(log, key=lambda item: item["position"])
