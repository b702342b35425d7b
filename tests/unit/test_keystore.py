"""The file key store: one private file per subject, one key even under racing creators, and
a deletion that leaves no copy of the key in the folder."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from events_store.keystore import FileKeyStore
from tests.support.key_writers import put_key

KEY = bytes(range(60))


def every_byte_in(folder: Path) -> bytes:
    """Everything in the folder's files, hidden ones included, as one blob."""
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def keys(tmp_path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys")


def test_a_stored_key_reads_back_and_an_unknown_subject_has_none(keys):
    assert keys.get("owner-1") is None
    assert keys.put_if_absent("owner-1", KEY) == KEY
    assert keys.get("owner-1") == KEY
    assert list(keys.subjects()) == ["owner-1"]


def test_a_second_key_for_the_same_subject_is_refused_and_the_first_is_kept(keys):
    keys.put_if_absent("owner-1", KEY)
    assert keys.put_if_absent("owner-1", b"another key") == KEY
    assert keys.get("owner-1") == KEY
    assert len([p for p in keys.folder.iterdir()]) == 1  # no temporary file left behind


def test_subjects_differing_only_in_case_never_share_a_file(keys):
    keys.put_if_absent("Owner", b"upper")
    keys.put_if_absent("owner", b"lower")
    assert (keys.get("Owner"), keys.get("owner")) == (b"upper", b"lower")
    assert sorted(keys.subjects()) == ["Owner", "owner"]


def test_deleting_a_key_leaves_no_copy_of_it_in_the_folder(keys):
    keys.put_if_absent("owner-1", KEY)
    keys.put_if_absent("owner-2", b"kept" * 15)

    keys.delete("owner-1")

    assert keys.get("owner-1") is None
    assert list(keys.subjects()) == ["owner-2"]
    assert KEY not in every_byte_in(keys.folder)
    assert b"kept" * 15 in every_byte_in(keys.folder)
    keys.delete("owner-1")  # a second deletion is harmless


def test_a_deletion_interrupted_after_moving_the_file_is_finished_by_the_next(keys):
    keys.put_if_absent("owner-1", KEY)
    [live] = keys.folder.iterdir()
    live.rename(keys.folder / f".erasing-{b'owner-1'.hex()}-0123456789abcdef")

    assert list(keys.subjects()) == ["owner-1"]  # the store still admits to holding it
    keys.delete("owner-1")

    assert list(keys.folder.iterdir()) == []


def test_a_key_file_being_zeroed_by_a_deletion_reads_as_no_key(keys):
    keys.put_if_absent("owner-1", KEY)
    [live] = keys.folder.iterdir()
    live.write_bytes(bytes(len(live.read_bytes())))
    assert keys.get("owner-1") is None


def test_files_the_store_does_not_know_are_not_taken_for_subjects(keys):
    (keys.folder / "README").write_text("backed up nightly")
    (keys.folder / "not-hex.key").write_text("?")
    assert list(keys.subjects()) == []


@pytest.mark.parametrize("umask", [0o022, 0o000])
def test_the_folder_is_0700_and_each_key_0600_whatever_the_umask(tmp_path, umask):
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o755)
    os.chmod(folder, 0o755)
    previous = os.umask(umask)
    try:
        keys = FileKeyStore(folder)
        keys.put_if_absent("owner-1", KEY)
    finally:
        os.umask(previous)
    assert mode_of(folder) == 0o700
    assert [mode_of(path) for path in folder.iterdir()] == [0o600]


def test_processes_creating_a_subjects_key_at_once_all_end_with_the_same_one(tmp_path):
    context = multiprocessing.get_context("spawn")
    writers = 4
    with context.Manager() as manager:
        start = manager.Barrier(writers)
        with context.Pool(writers) as pool:
            results = pool.starmap(
                put_key,
                [(str(tmp_path), "owner-1", f"key {n}".encode(), start) for n in range(writers)],
            )
    assert len(set(results)) == 1
    assert FileKeyStore(tmp_path).get("owner-1") == results[0]
    assert [path.name for path in tmp_path.iterdir()] == [b"owner-1".hex() + ".key"]
