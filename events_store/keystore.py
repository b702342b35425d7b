"""Where subjects' data keys live: outside the database, so that deleting one is final.

A row deleted from PostgreSQL survives in dead tuples, in the write-ahead log, in WAL archives
and in every base backup; SQLite keeps it in its WAL and free pages. A data key kept there
could never really be deleted, and with it every sealed field of an erased person could be
reopened. So the vault keeps its keys (still wrapped under the master key) in a `KeyStore`,
and the database keeps only the erasure tombstones (`subject_keys`: who was forgotten, when),
which hold no key material.

`FileKeyStore`, the default, keeps one small file per subject in a folder of its own
(`KEY_STORE`, default `<instance>/keys/`): the folder is 0700, each file 0600. A key is
written to a private temporary file, synced, and hard-linked into place, so that a reader
never sees half a key and two processes creating a subject's key at once end with one key
(the second link fails and its writer reads the first). Deleting a key renames its file out
of readers' way, overwrites it with zeros, syncs, unlinks it and syncs the folder. Files are
named by the hex of the subject id, so ids differing only in case never share a file.

Limits, said plainly:
- The file store serves the processes of one host (web workers, the scheduler, the CLI):
  they coordinate through the file system. Several hosts need a shared key service (below),
  not a network file system, whose hard links and syncs cannot be relied on.
- Overwriting in place erases the bytes on ordinary file systems (ext4, xfs). On
  copy-on-write file systems (btrfs, ZFS), their snapshots, and flash whose firmware remaps
  blocks, an old copy may survive on the medium; it is wrapped under the master key, so keep
  the master key off that medium, or use a key service.

Larger deployments put a key-management adapter behind the same protocol (not implemented
here): a hardware security module or a cloud KMS holds the wrapping key and never releases
it, or a transit-encryption service (for example Vault's transit engine) wraps and unwraps
each data key; the adapter stores the wrapped keys in the service's own store and `delete`
destroys the key version in the KMS, whose own guarantees then say when it is gone.

Backups: the key store is backed up separately from the database, on a short rotation (for
example daily copies kept a week), and never together with the database, so that no single
backup holds both a person's sealed data and the key to it. An erasure is complete in the
backups once the last key-store backup holding that key has rotated out; until then a
restored key-store backup would bring the key back, which is why the vault refuses and
deletes any key of a subject the database records as forgotten (`purge_forgotten_keys`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

_MAGIC = b"KEY1"
_SUFFIX = ".key"


class KeyStore(Protocol):
    """Per-subject wrapped data keys, shared by every process of the service."""

    def get(self, subject_id: str) -> bytes | None:
        """The subject's wrapped key, or None when there is none (or it is being deleted)."""

    def put_if_absent(self, subject_id: str, wrapped_key: bytes) -> bytes:
        """Store the key unless the subject has one already; the stored key either way."""

    def delete(self, subject_id: str) -> None:
        """Remove the subject's key so that no copy is left in the store; idempotent."""

    def subjects(self) -> Iterator[str]:
        """Every subject the store holds a key for."""


class FileKeyStore:
    """One 0600 file per subject in a 0700 folder (see the module's docstring)."""

    def __init__(self, folder: Path) -> None:
        """Make the folder if it is missing, and make it private if it was not."""
        self.folder = Path(folder)
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)  # mkdir's mode is narrowed by the umask; an old one kept its

    def get(self, subject_id: str) -> bytes | None:
        """The wrapped key, or None (a file being zeroed by a deletion reads as none)."""
        try:
            content = self._path(subject_id).read_bytes()
        except FileNotFoundError:
            return None
        if not content.startswith(_MAGIC) or len(content) == len(_MAGIC):
            return None
        return content[len(_MAGIC) :]

    def put_if_absent(self, subject_id: str, wrapped_key: bytes) -> bytes:
        """Link a synced private copy into place; if another writer was first, keep theirs."""
        temporary = self.folder / f".new-{secrets.token_hex(8)}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            _write_all(descriptor, _MAGIC + wrapped_key)
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        try:
            os.link(temporary, self._path(subject_id))
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
            self._sync_folder()
        stored = self.get(subject_id)
        return wrapped_key if stored is None else stored

    def delete(self, subject_id: str) -> None:
        """Move the file out of readers' way, zero it, sync, unlink, sync the folder; a
        deletion interrupted before (its moved file left behind) is finished too."""
        name = subject_id.encode().hex()
        doomed = self.folder / f".erasing-{name}-{secrets.token_hex(8)}"
        with contextlib.suppress(FileNotFoundError):
            os.rename(self._path(subject_id), doomed)
        for leftover in self.folder.glob(f".erasing-{name}-*"):
            _zero_and_unlink(leftover)
        self._sync_folder()

    def subjects(self) -> Iterator[str]:
        """Every subject with a key file, or with one left by an interrupted deletion."""
        for path in self.folder.iterdir():
            name = path.name
            if name.endswith(_SUFFIX) and not name.startswith("."):
                name = name.removesuffix(_SUFFIX)
            elif name.startswith(".erasing-"):
                name = name.removeprefix(".erasing-").rpartition("-")[0]
            else:
                continue
            try:
                yield bytes.fromhex(name).decode()
            except ValueError:
                continue  # not a file of ours

    def _path(self, subject_id: str) -> Path:
        return self.folder / f"{subject_id.encode().hex()}{_SUFFIX}"

    def _sync_folder(self) -> None:
        descriptor = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _zero_and_unlink(path: Path) -> None:
    try:
        descriptor = os.open(path, os.O_WRONLY)
    except FileNotFoundError:
        return
    try:
        _write_all(descriptor, bytes(os.fstat(descriptor).st_size))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    path.unlink(missing_ok=True)


def _write_all(descriptor: int, content: bytes) -> None:
    view = memoryview(content)
    while view:
        view = view[os.write(descriptor, view) :]
