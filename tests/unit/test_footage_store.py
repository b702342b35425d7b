"""Footage intake keeps only whole videos, by content, and leaves nothing behind otherwise."""

from __future__ import annotations

import hashlib
import struct

import pytest

from canvass.footage import FootageRejected, FootageStore


def box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def mp4(media: bytes = b"\x00" * 5000) -> bytes:
    return (
        box(b"ftyp", b"isom\x00\x00\x02\x00isomiso2")
        + box(b"moov", b"\x00" * 100)
        + box(b"mdat", media)
    )


def chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start : start + size]


def leftovers(store: FootageStore) -> list[str]:
    return sorted(p.name for p in store.root.rglob("*") if p.is_file())


@pytest.fixture
def store(tmp_path):
    return FootageStore(tmp_path / "footage", max_bytes=100_000)


def test_a_whole_video_is_kept_under_its_sha256(store):
    data = mp4()
    kept = store.put(chunks(data), expected_sha256=hashlib.sha256(data).hexdigest().upper())
    assert kept.sha256 == hashlib.sha256(data).hexdigest()
    assert kept.size == len(data) and kept.container == "mp4"
    assert kept.path.read_bytes() == data
    assert leftovers(store) == [kept.sha256]


def test_the_same_clip_uploaded_twice_is_stored_once(store):
    first, second = store.put(chunks(mp4())), store.put(chunks(mp4()))
    assert first.path == second.path
    assert leftovers(store) == [first.sha256]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"x" * 100_001, "larger than"),
        (mp4()[:-10], "cut short"),
        (box(b"ftyp", b"isom\x00\x00\x02\x00") + box(b"mdat", b"\x00" * 500), "cut short"),
        (b"Dear detective, here is my footage.", "not a video"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, "not a video"),
        (b"RIFF" + struct.pack("<I", 10_000) + b"AVI " + b"\x00" * 100, "cut short"),
    ],
    ids=["empty", "oversized", "truncated", "no moov box", "text", "picture", "truncated avi"],
)
def test_a_bad_upload_is_refused_with_a_reason_and_leaves_no_file(store, data, words):
    with pytest.raises(FootageRejected, match=words):
        store.put(chunks(data))
    assert leftovers(store) == []


def test_a_hash_that_does_not_match_is_refused(store):
    with pytest.raises(FootageRejected, match="does not match"):
        store.put(chunks(mp4()), expected_sha256="0" * 64)
    assert leftovers(store) == []


def test_an_interrupted_upload_leaves_no_partial_file(store):
    def dropped_connection():
        yield mp4()[:2000]
        raise ConnectionResetError("the owner's connection dropped")

    with pytest.raises(ConnectionResetError):
        store.put(dropped_connection())
    assert leftovers(store) == []


@pytest.mark.parametrize(
    ("data", "container"),
    [
        (b"RIFF" + struct.pack("<I", 96) + b"AVI " + b"\x00" * 92, "avi"),
        (b"\x1a\x45\xdf\xa3" + b"\x00" * 500, "matroska"),
        (b"\x00\x00\x01\xba" + b"\x00" * 500, "mpeg-ps"),
        ((b"\x47" + b"\x00" * 187) * 4, "mpeg-ts"),
    ],
)
def test_other_video_containers_are_recognised_by_their_content(store, data, container):
    assert store.put(chunks(data)).container == container


def test_footage_can_be_deleted_for_good(store):
    kept = store.put(chunks(mp4()))
    assert store.delete(kept.sha256) is True
    assert not kept.path.exists()
    assert store.delete(kept.sha256) is False
