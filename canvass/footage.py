"""Footage intake: content-addressed storage that checks what it is given while it streams.

An upload is written to a private temporary file while its SHA-256 is computed; it is kept
only if it is not empty, not over the size limit, matches the hash the owner gave (if any),
and is recognisably a whole video container. It is then moved into place under its hash in
one step, so a reader never sees a partial file and an interrupted upload leaves nothing.
Storing the same content twice stores it once.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

CHUNK = 1024 * 1024
DEFAULT_MAX_BYTES = 2 * 1024**3


class FootageRejected(ValueError):
    """The upload was not kept; the message says why, in words an owner understands."""


@dataclass(frozen=True)
class StoredFootage:
    """A kept file: where it is, what it is, and its SHA-256."""

    sha256: str
    size: int
    container: str
    path: Path


class FootageStore:
    """Files under `root/ab/abcdef…` named by their SHA-256 (the storage port's local side)."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def put(self, chunks: Iterable[bytes], expected_sha256: str | None = None) -> StoredFootage:
        """Stream an upload in; keep it only if every check passes."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                for chunk in chunks:
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise FootageRejected(
                            f"The file is larger than {self.max_bytes // 1024**2} MB. Export a "
                            "shorter clip around the time asked for."
                        )
                    digest.update(chunk)
                    file.write(chunk)
            if size == 0:
                raise FootageRejected("The file is empty. Choose the exported video file.")
            sha256 = digest.hexdigest()
            if expected_sha256 and expected_sha256.strip().lower() != sha256:
                raise FootageRejected(
                    "The file's SHA-256 does not match the one you gave: it may have been cut "
                    "short or changed on the way. Please upload it again."
                )
            container = identify_container(Path(temporary))
            target = self.path_of(sha256)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(temporary, target)
            return StoredFootage(sha256, size, container, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def path_of(self, sha256: str) -> Path:
        """Where a file with this hash lives (whether or not it exists)."""
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise FootageRejected("That is not a SHA-256.")
        return self.root / sha256[:2] / sha256

    def stored(self) -> Iterator[tuple[str | None, Path]]:
        """Every file under the root: (its SHA-256, its path), or (None, its path) for an
        upload's temporary file or anything else that is not a kept file."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.rglob("*")):
            if path.is_file():
                name = path.name
                kept = path.parent.parent == self.root and self._is_hash(name)
                yield (name if kept and path.parent.name == name[:2] else None), path

    def sweep(self, referenced: set[str], older_than_seconds: float) -> int:
        """Remove every file no one refers to (nor a hash of `referenced`) that was last
        written more than `older_than_seconds` ago (younger ones may be an upload in
        progress, or one whose record is being written); return how many went."""
        removed = 0
        cutoff = time.time() - older_than_seconds
        for sha256, path in list(self.stored()):
            if sha256 in referenced or path.stat().st_mtime > cutoff:
                continue
            path.unlink(missing_ok=True)
            removed += 1
            if path.parent != self.root and not any(path.parent.iterdir()):
                path.parent.rmdir()
        return removed

    @staticmethod
    def _is_hash(name: str) -> bool:
        return len(name) == 64 and all(c in "0123456789abcdef" for c in name)

    def delete(self, sha256: str) -> bool:
        """Remove a file (retention purge, erasure); whether there was one."""
        path = self.path_of(sha256)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed


def identify_container(path: Path) -> str:
    """The video container a file is, judged by its content; FootageRejected if none, or
    if the file is cut short."""
    with path.open("rb") as file:
        head = file.read(64)
        size = path.stat().st_size
        if len(head) >= 12 and head[4:8] == b"ftyp":
            _check_iso_boxes(file, size)
            return "mp4"
        if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
            declared = struct.unpack("<I", head[4:8])[0] + 8
            if declared > size:
                raise FootageRejected(_TRUNCATED)
            return "avi"
        if head[:4] == b"\x1a\x45\xdf\xa3":
            return "matroska"
        if head[:4] == b"\x00\x00\x01\xba":
            return "mpeg-ps"
        if head[:1] == b"\x47" and size >= 188 * 3:
            file.seek(0)
            packets = file.read(188 * 3)
            if all(packets[i] == 0x47 for i in range(0, len(packets), 188)):
                return "mpeg-ts"
    raise FootageRejected(
        "This file is not a video we recognise (MP4, MOV, AVI, MKV or MPEG). Export the clip "
        "from your recorder's app as a video file."
    )


_TRUNCATED = "The file seems to be cut short. Please export and upload it again."


def _check_iso_boxes(file: BinaryIO, size: int) -> None:
    """An MP4/MOV file is a chain of boxes: they must add up to the file and hold a 'moov'."""
    offset, seen = 0, set()
    while offset < size:
        file.seek(offset)
        header = file.read(16)
        if len(header) < 8:
            raise FootageRejected(_TRUNCATED)
        length, kind = struct.unpack(">I4s", header[:8])
        if length == 1 and len(header) == 16:
            length = struct.unpack(">Q", header[8:16])[0]
        elif length == 0:
            length = size - offset  # the last box runs to the end of the file
        if length < 8 or offset + length > size:
            raise FootageRejected(_TRUNCATED)
        seen.add(kind)
        offset += length
    if b"moov" not in seen:
        raise FootageRejected(_TRUNCATED)


# What a kept file is called when it is downloaded, by what its content is.
_DOWNLOAD_KINDS = {
    "mp4": ("mp4", "video/mp4"),
    "mov": ("mov", "video/quicktime"),
    "avi": ("avi", "video/x-msvideo"),
    "matroska": ("mkv", "video/x-matroska"),
    "webm": ("webm", "video/webm"),
    "mpeg-ps": ("mpg", "video/mpeg"),
    "mpeg-ts": ("ts", "video/mp2t"),
}


def download_kind(path: Path, container: str) -> tuple[str, str]:
    """The file name extension and media type a kept file downloads with: its container,
    told apart further by its content (a QuickTime MOV is an ISO file like an MP4; a WebM
    is a Matroska file)."""
    with path.open("rb") as file:
        head = file.read(4096)
    if container == "mp4" and head[8:12] == b"qt  ":
        container = "mov"
    elif container == "matroska" and b"\x42\x82\x84webm" in head:
        container = "webm"
    return _DOWNLOAD_KINDS.get(container, ("video", "application/octet-stream"))


def download_as(path: Path, entry: dict[str, Any], case_number: str) -> tuple[str, str]:
    """The name and media type a listed file downloads with: by case, site and hash, with
    the extension of what the file really is."""
    extension, mimetype = download_kind(path, entry["container"])
    case = re.sub(r"[^A-Za-z0-9_-]+", "-", case_number).strip("-") or "canvass"
    return f"case-{case}-site-{entry['site_id'][:8]}-{entry['sha256'][:12]}.{extension}", mimetype
