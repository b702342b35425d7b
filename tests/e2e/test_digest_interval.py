"""The investigators' digest on a service that has a history: the first one tells only the
last interval's news, never the sum of everything before it; and how often digests go out
is a setting, checked at start-up like every other."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from canvass.digest import DIGEST_STREAM
from service import create_app
from service.configuration import ConfigurationError
from service.scheduler import build
from tests.support.city import settle
from tests.support.mail import deliver_mail
from tests.support.notifications import inbox, pacific_app, texts
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

NEWS = "News on your canvasses"
DETECTIVE = "investigator@sfpd.example"  # the city's investigator (tests.support.city)


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = pacific_app(database_url, smtp_server.port, DIGEST_INTERVAL_MINUTES=30)
    yield app
    app.extensions["canvass"].close()


def _upload(app, token: str, fill: bytes) -> None:
    sent = app.test_client().put(
        "/api/v1/requests/footage",
        query_string={"token": token},
        data=mp4(fill * 3000),
        content_type="video/mp4",
    )
    assert sent.status_code == 201, sent.get_json()


def test_the_first_digest_tells_only_the_last_intervals_news_not_the_whole_history(app, mailbox):
    residents = settle(app, mailbox)
    _upload(app, residents.request_token, b"\x01")  # news, but from long before the first run
    digests = app.extensions["canvass"].canvass.digests
    an_hour_later = datetime.now(UTC) + timedelta(hours=1)

    assert digests.send_due(an_hour_later, timedelta(minutes=30)) == 0
    deliver_mail(app)
    assert inbox(mailbox, DETECTIVE, NEWS) == []
    [run] = app.extensions["canvass"].store.read_stream(DIGEST_STREAM)
    assert run.data["after_position"] == 0  # the history is passed over, once
    assert run.data["up_to_position"] >= 1

    _upload(app, residents.request_token, b"\x02")  # news after it
    assert digests.send_due(datetime.now(UTC), timedelta(minutes=30)) == 1
    deliver_mail(app)
    [text] = texts(inbox(mailbox, DETECTIVE, NEWS))
    assert "1 file of footage arrived." in text
    assert "offered" not in text  # the owner's answer came before: history


def test_a_first_digest_within_the_interval_tells_that_news(app, mailbox):
    residents = settle(app, mailbox)
    _upload(app, residents.request_token, b"\x03")

    assert app.extensions["canvass"].canvass.digests.send_due(datetime.now(UTC)) == 1
    deliver_mail(app)
    [text] = texts(inbox(mailbox, DETECTIVE, NEWS))
    assert "1 owner offered footage." in text and "1 file of footage arrived." in text


def test_the_scheduler_sends_digests_as_often_as_the_setting_says(app):
    scheduler = build(app, blocking=False)
    assert scheduler.get_job("send-digests").trigger.interval == timedelta(minutes=30)


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("0", "0 is out of range"),
        ("2000", "2000 is out of range"),
        ("ten", "'ten' is not a whole number"),
    ],
)
def test_a_bad_digest_interval_stops_start_up_naming_it(
    database_url, tmp_path, monkeypatch, value, said
):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    with pytest.raises(ConfigurationError) as stopped:
        create_app(
            {
                "DATABASE_URL": database_url,
                "TESTING": True,
                "DIGEST_INTERVAL_MINUTES": value,
            }
        )
    assert "DIGEST_INTERVAL_MINUTES" in str(stopped.value) and said in str(stopped.value)
