"""An erasure that cannot finish at once says so and is finished later: under a concurrent
SQLite reader it answers at once instead of waiting a minute, and stays pending until the
scheduler finds the reader gone; cut off half way by a real fault (a folder that refuses
deletions), it is pending for the owner and the auditor, and the scheduler's retry finishes
it once the fault is gone, even when the database was away in between."""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from service.scheduler import run_once
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_journey_api import PASSWORD, sign_up_and_verify
from tests.support.city import STAFF_PASSWORD, signed_in_session
from tests.support.erasure_journey import (
    Owner,
    distinctive_owner,
    file_mail_service,
    refusing_deletions,
    whole_canvass,
)
from tests.support.faults import DatabaseProxy
from tests.support.raw_bytes import FileMailbox

DONE = "Your account and your personal data are erased."
BEGUN = "The erasure of your account and your personal data has begun"


@pytest.fixture
def service(database_url, tmp_path, monkeypatch):
    app = file_mail_service(database_url, tmp_path / "instance", monkeypatch)
    yield app
    app.extensions["canvass"].close()


def mailbox_of(app) -> FileMailbox:
    return FileMailbox(Path(app.instance_path) / "outbox")


def pending_for_the_auditor(app, auditor) -> list[dict]:
    answer = app.test_client().get("/api/v1/audit/erasures", headers=auditor)
    assert answer.status_code == 200
    return answer.get_json()["erasures"]


def auditor_page(app) -> str:
    browser = app.test_client()
    browser.set_cookie("session", signed_in_session(app, "aud.reyes@sfpd.example", STAFF_PASSWORD))
    page = browser.get("/audit/erasures")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def can_sign_in(app, person: Owner) -> bool:
    body = {"email": person.email, "password": PASSWORD, "name": "phone"}
    return app.test_client().post("/api/v1/tokens", json=body).status_code == 201


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_an_erasure_under_a_concurrent_reader_answers_at_once_and_the_scheduler_finishes_it(
    service, database_url
):
    app, client = service, service.test_client()
    mailbox = mailbox_of(app)
    person = distinctive_owner()
    owner = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, person.email)}
    auditor = staff(app.test_cli_runner(), client, mailbox, "auditor", "SFPD", "aud@sfpd.example")
    database = make_url(database_url).database
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # holds its snapshot of the log

    started = time.monotonic()
    erased = client.post("/api/v1/me/erasure", headers=owner, json={"password": PASSWORD})
    took = time.monotonic() - started

    assert erased.status_code == 200
    assert erased.get_json()["message"].startswith(BEGUN)
    assert took < 20, f"the erasure kept the owner waiting {took:.0f} s"  # a minute before
    [pending] = pending_for_the_auditor(app, auditor)
    assert pending["steps_done"] == [
        "sites", "files", "tombstone", "key", "outbox", "read_models"
    ]  # fmt: skip
    assert "another connection was still reading the database" in pending["waiting_on"]
    assert not can_sign_in(app, person)  # the account is closed already

    assert run_once(app)["finish-erasures"] == 0  # the reader is still there
    reader.execute("COMMIT")
    reader.close()
    assert run_once(app)["finish-erasures"] == 1
    assert pending_for_the_auditor(app, auditor) == []
    assert Path(f"{database}-wal").stat().st_size == 0
    assert run_once(app)["finish-erasures"] == 0  # nothing left to do, nothing done twice


def footage_folder(app, digest: str) -> Path:
    return app.extensions["canvass"].footage.files.path_of(digest).parent


def mail_folder(app, digest: str) -> Path:
    return Path(app.instance_path) / "outbox"


FAULTS = {
    # the files step, before the account is closed: the owner can still sign in
    "the footage folder refuses deletions": (footage_folder, "a file they sent", True),
    # the outbox step, after the key is destroyed: the account is closed already
    "the mail folder refuses deletions": (mail_folder, "an email file about them", False),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_an_erasure_cut_off_half_way_is_pending_for_owner_and_auditor_until_the_retry(
    service, fault
):
    app, client = service, service.test_client()
    person = distinctive_owner()
    owner, auditor, digest = whole_canvass(app, mailbox_of(app), person)
    folder_of, what, still_open = FAULTS[fault]
    clip = app.extensions["canvass"].footage.files.path_of(digest)
    user_id = client.get("/api/v1/me", headers=owner).get_json()["user_id"]

    with refusing_deletions(folder_of(app, digest)):
        erased = client.post("/api/v1/me/erasure", headers=owner, json={"password": PASSWORD})
        assert erased.status_code == 200
        assert erased.get_json()["message"].startswith(BEGUN)

        [pending] = pending_for_the_auditor(app, auditor)
        assert pending["user_id"] == user_id and pending["started_at"]
        assert f"{what} could not be deleted" in pending["waiting_on"]
        assert len(pending["steps_done"]) < pending["steps_total"]
        page = auditor_page(app)
        assert user_id in page and f"{what} could not be deleted" in page
        assert person.email not in page and person.surname not in page
        assert can_sign_in(app, person) == still_open
        if still_open:
            browser = app.test_client()
            browser.set_cookie("session", signed_in_session(app, person.email, PASSWORD))
            mine = browser.get("/my-data").get_data(as_text=True)
            assert "The erasure has begun and is not finished yet" in " ".join(mine.split())

        assert run_once(app)["finish-erasures"] == 0  # the fault is still there
        [again] = pending_for_the_auditor(app, auditor)
        assert again["attempts"] > pending["attempts"]

    assert run_once(app)["finish-erasures"] == 1
    assert pending_for_the_auditor(app, auditor) == []
    assert "Every erasure asked for is complete." in auditor_page(app)
    assert not clip.exists()
    assert not (Path(app.instance_path) / "outbox" / user_id).exists()
    assert not can_sign_in(app, person)
    again = client.post("/api/v1/me/erasure", headers=owner, json={"password": PASSWORD})
    assert again.status_code == 401  # the owner's token went with the account


class Outage:
    """The database going away and coming back: on PostgreSQL a relay in front of the server
    is cut; on SQLite another process holds the write lock (the service waits half a second)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.proxy: DatabaseProxy | None = None
        self.holder: sqlite3.Connection | None = None
        self.cut = False

    def url(self) -> str:
        parsed = make_url(self.database_url)
        if parsed.get_backend_name() == "sqlite":
            return parsed.update_query_dict({"timeout": "0.5"}).render_as_string()
        self.proxy = DatabaseProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()
        return self.proxy.url_for(self.database_url)

    def begin(self) -> None:
        if self.proxy is not None:
            self.proxy.cut()
            self.cut = True
        else:
            database = make_url(self.database_url).database
            self.holder = sqlite3.connect(database, isolation_level=None)
            self.holder.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self.proxy is not None and self.cut:
            self.proxy.start()
            self.cut = False
        if self.holder is not None:
            self.holder.close()
            self.holder = None


def test_a_pending_erasure_waits_out_a_database_outage_and_is_finished_after_it(
    database_url, tmp_path, monkeypatch, caplog
):
    outage = Outage(database_url)
    app = file_mail_service(outage.url(), tmp_path / "instance", monkeypatch)
    try:
        client = app.test_client()
        person = distinctive_owner()
        owner, auditor, digest = whole_canvass(app, mailbox_of(app), person)
        clip = app.extensions["canvass"].footage.files.path_of(digest)
        with refusing_deletions(clip.parent):
            erased = client.post("/api/v1/me/erasure", headers=owner, json={"password": PASSWORD})
            assert erased.get_json()["message"].startswith(BEGUN)

        outage.begin()
        caplog.clear()
        assert run_once(app)["finish-erasures"] == 0
        told = [  # what the operator reads at the default level, INFO
            r
            for r in caplog.records
            if "finish-erasures" in r.getMessage() and r.levelno >= logging.INFO
        ]
        assert [r.levelname for r in told] == ["WARNING"]
        assert "cannot be reached" in told[0].getMessage() and not told[0].exc_info
        outage.end()

        assert run_once(app)["finish-erasures"] == 1
        assert pending_for_the_auditor(app, auditor) == []
        assert not clip.exists()
        assert not can_sign_in(app, person)
    finally:
        outage.end()
        app.extensions["canvass"].close()
        if outage.proxy is not None:
            outage.proxy.cut()
