"""The service's files are its own: folders 0700 and files 0600, whatever the umask.

The instance folder holds the SQLite database and its WAL, the secrets, the key store, the
outbox's `.eml` files and the footage: all personal or secret. A process started under a
permissive umask (0o022 is the usual default) would make them readable by every local user.
So the app sets the process umask to 0o077 before it writes anything more, and tightens
what is already there: every folder and file under the instance folder, and the places the
settings move out of it (database file, key store, footage, secret files). SQLite creates
its -wal and -shm files with the database file's mode, so those follow.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from flask import Flask

PRIVATE_UMASK = 0o077
FOLDER_MODE = 0o700
FILE_MODE = 0o600
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal", "-append.lock")

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Make new files private for this process, and tighten the ones already there."""
    os.umask(PRIVATE_UMASK)
    for place in private_places(app.config, app.instance_path):
        tighten(place)


def private_places(config: Mapping[str, Any], instance_path: str) -> Iterator[Path]:
    """The instance folder and every file or folder of ours that the settings put elsewhere."""
    instance = Path(instance_path)
    yield instance
    url = str(config.get("DATABASE_URL") or "")
    if url.startswith("sqlite:///"):
        database = url.removeprefix("sqlite:///").partition("?")[0]
        for suffix in SQLITE_COMPANIONS:
            yield Path(database + suffix)
    for setting in ("KEY_STORE", "FOOTAGE_DIR", "VAULT_MASTER_KEY_FILE", "SECRET_KEY_FILE"):
        if config.get(setting):
            yield Path(config[setting])
    if config.get("CHECKPOINT_KEY_FILE"):
        yield Path(config["CHECKPOINT_KEY_FILE"])


def tighten(place: Path) -> None:
    """Folders 0700 and files 0600, from `place` down; links are not followed."""
    if not place.exists() or place.is_symlink():
        return
    if not place.is_dir():
        _set_mode(place, FILE_MODE)
        return
    _set_mode(place, FOLDER_MODE)
    for folder, folders, files in os.walk(place):
        for name in folders:
            _set_mode(Path(folder, name), FOLDER_MODE)
        for name in files:
            _set_mode(Path(folder, name), FILE_MODE)


def _set_mode(path: Path, mode: int) -> None:
    try:
        found = path.lstat()
        if stat.S_ISLNK(found.st_mode) or stat.S_IMODE(found.st_mode) == mode:
            return
        os.chmod(path, mode)
    except FileNotFoundError:
        return  # removed meanwhile (a finished upload's temporary file, say)
    except PermissionError:
        log.warning("could not make %s private (mode %o): it belongs to another user", path, mode)
