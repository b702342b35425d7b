"""The notice to an owner inactive for long says when their data will be erased in the
agency's own time, with its zone, like every other email: checked in the email received."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.support.mail import deliver_mail
from tests.support.notifications import inbox, pacific_app, texts

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PACIFIC = ZoneInfo("America/Los_Angeles")
SUBJECT = "Your camera registry registration will be removed"


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = pacific_app(database_url, smtp_server.port)
    yield app
    app.extensions["canvass"].close()


def test_the_erasure_notice_states_the_moment_in_the_agencys_zone_with_its_abbreviation(
    app, client, mailbox
):
    sign_up_and_verify(client, mailbox, "rosa@example.org", "Rosa Díaz")
    inactive, notice = timedelta(days=730), timedelta(days=30)
    # Late in a Pacific evening, when the UTC date is already the next day.
    now = datetime.now(PACIFIC).replace(hour=22, minute=30, second=0, microsecond=0) + inactive
    eraser = app.extensions["canvass"].eraser

    assert eraser.apply_retention(now.astimezone(UTC), inactive, notice, PACIFIC) == (1, 0)
    deliver_mail(app)

    [text] = texts(inbox(mailbox, "rosa@example.org", SUBJECT))
    erase_after = now + notice
    stated = re.search(r"personal data after (\d\d \w+ \d{4} \d\d:\d\d (\w+))\.", text)
    assert stated, text
    assert stated.group(1) == f"{erase_after:%d %B %Y %H:%M %Z}"
    assert stated.group(2) in ("PST", "PDT") and "22:30" in stated.group(1)
    assert f"{erase_after.astimezone(UTC):%d %B %Y}" not in text  # not the UTC date
