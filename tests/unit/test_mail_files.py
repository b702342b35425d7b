"""The development mail transport: one private folder per person, found by their
pseudonymous id alone, and deleted whole when they are erased."""

from __future__ import annotations

import os
import stat

import pytest

from events_store.outbox import Delivery
from service.mail import FileTransport


def delivery(message_id: str, subject_id: str | None) -> Delivery:
    return Delivery(message_id, "ana@example.org", "Hello", "Dear Ana", subject_id)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_files_are_readable_by_the_service_alone_whatever_the_umask(tmp_path, umask):
    transport = FileTransport(tmp_path / "outbox", "registry@example.org")
    previous = os.umask(umask)
    try:
        transport.send(delivery("m1", "uAna"))
        transport.send(delivery("m2", None))
    finally:
        os.umask(previous)
    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.eml"))
    assert files == ["outbox/m2.eml", "outbox/uAna/m1.eml"]
    modes = {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_file()}
    folders = {stat.S_IMODE(p.stat().st_mode) for p in tmp_path.rglob("*") if p.is_dir()}
    assert modes == {0o600} and folders == {0o700}
    assert not list(tmp_path.rglob(".*.partial"))


def test_forgetting_a_person_deletes_their_folder_only_and_can_be_repeated(tmp_path):
    transport = FileTransport(tmp_path, "registry@example.org")
    transport.send(delivery("m1", "uAna"))
    transport.send(delivery("m2", "uBo"))
    transport.forget_subject("uAna")
    transport.forget_subject("uAna")
    transport.forget_subject("uNeverWrittenTo")
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*.eml")] == ["uBo/m2.eml"]


@pytest.mark.parametrize("hostile", ["../../etc", "a/b", "..", "x" * 65, "a b"])
def test_an_id_that_is_not_a_plain_name_cannot_leave_the_folder(tmp_path, hostile):
    transport = FileTransport(tmp_path / "outbox", "registry@example.org")
    transport.send(delivery(hostile, hostile))
    [written] = list(tmp_path.rglob("*.eml"))
    assert written.parent.parent == tmp_path / "outbox"
    transport.forget_subject(hostile)
    assert list(tmp_path.rglob("*.eml")) == []
