"""The access gateway: the one way personal data of an owner reaches anyone else.

Today that is footage (a file an owner sent is a recording of their property): a download,
a case package, or the owner's statement of how they exported a file. Every release first
appends the record of who takes it, in which role and agency, for which case, on what legal
basis and why (the file's custody event, which the access log reads), and only then hands
the data over. Owner identity, contact details and exact positions are never released to
staff at all (investigators see camera facts only).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accounts.handlers import User
from canvass.handlers import CanvassService
from canvass.intake import Access, FootageDesk
from canvass.policy import CATEGORY_NAMES
from canvass.statements import Statements, open_statements, record_readings
from events_store import EventStore
from events_store.vault import KeyVault


class AccessGateway:
    """Releases personal data to staff, recording each release first."""

    def __init__(self, canvass: CanvassService, footage: FootageDesk) -> None:
        self._canvass = canvass
        self._footage = footage

    def footage_file(self, user: User, canvass_id: str, sha256: str) -> Path:
        """One file of a canvass the user may see; the download is recorded."""
        access = self._access(user, canvass_id)
        return self._footage.release(canvass_id, sha256, "downloaded", access)

    def case_package(self, user: User, canvass_id: str) -> tuple[Path, str]:
        """The canvass's files, manifest and custody log as a zip, and its file name."""
        access = self._access(user, canvass_id)
        path = self._footage.package(canvass_id, access)
        return path, f"case-{access.case_number}.zip"

    def footage_statements(
        self, user: User, canvass_id: str, store: EventStore, vault: KeyVault
    ) -> Statements:
        """The owners' statements of how they exported the canvass's files, by (request id,
        SHA-256); each reading is recorded (the file 'viewed') before any text is handed over."""
        access = self._access(user, canvass_id)
        files: list[dict[str, Any]] = self._footage.listing(canvass_id)
        opened = open_statements(store, vault, files)
        record_readings(self._footage, files, opened, access)
        return opened

    def _access(self, user: User, canvass_id: str) -> Access:
        canvass = self._canvass.view(user, canvass_id)  # CanvassNotFound outside the case
        what = CATEGORY_NAMES.get(canvass["category"], canvass["category"])
        return Access(
            actor=user.user_id,
            role=user.role,
            agency=user.agency,
            case_number=canvass["case_number"],
            legal_basis=canvass["legal_basis"],
            purpose=f"canvass for {what}",
        )
