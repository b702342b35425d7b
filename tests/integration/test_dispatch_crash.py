"""A dispatch killed half way is finished exactly once: by the scheduler's job, or by the
investigator dispatching again; every owner gets one request and one email."""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from canvass.requests import message_id_for
from events_store.outbox import outbox
from tests.databases import raw_connection
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_canvass_requests import INCIDENT, owner_with_camera
from tests.e2e.test_owner_journey_api import link_token

SPAWN = multiprocessing.get_context("spawn")
OWNERS = [f"owner{n}@example.org" for n in range(6)]
# Where the dispatching process dies: at its first database statement once the log holds
# this many events of this type (just after the plan, before it is read back; or half way).
KILL_POINTS = {"after its plan": ("RequestsPlanned", 1), "half way": ("FootageRequested", 2)}


def stored(url: str, event_type: str) -> list[str]:
    """The stream ids of every event of a type, read behind the service's back."""
    conn = raw_connection(url)
    try:
        rows = conn.execute(f"SELECT stream_id FROM events WHERE type = '{event_type}'")
        return [stream_id for (stream_id,) in rows.fetchall()]
    finally:
        conn.close()


def requests_in_log(url: str) -> list[str]:
    """The ids of the footage requests in the log."""
    return [stream.removeprefix("request-") for stream in stored(url, "FootageRequested")]


def dispatch_until_killed(
    settings: dict, instance: str, path: str, bearer: dict, kill_at: tuple[str, int]
) -> None:
    """The real app dispatching a canvass in a process of its own, which dies (SIGKILL) at
    its first database statement after the log holds `kill_at`."""
    os.environ["CANVASS_INSTANCE_PATH"] = instance
    from service import create_app

    app = create_app(settings)
    client = app.test_client()
    event_type, count = kill_at

    def die_there(*_: object) -> None:
        if len(stored(settings["DATABASE_URL"], event_type)) >= count:
            os.kill(os.getpid(), signal.SIGKILL)

    sa.event.listen(sa.Engine, "before_cursor_execute", die_there)
    client.post(f"{path}/dispatch", headers=bearer)


@pytest.fixture(params=KILL_POINTS)
def cut_short(request, app, client, cli, mailbox, database_url):
    """An approved canvass for six owners whose dispatch died after its plan was recorded,
    or after two of its six requests were made."""
    for email in OWNERS:
        owner_with_camera(client, mailbox, email, 40 + 15 * OWNERS.index(email))
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    at = datetime.now(UTC) - timedelta(hours=3)
    opened = client.post(
        "/api/v1/canvasses", headers=detective, json=canvass_body(place, at, "property_crime", 250)
    )
    path = f"/api/v1/canvasses/{opened.get_json()['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"

    settings = {key: app.config[key] for key in ("DATABASE_URL", "SMTP_HOST", "SMTP_PORT")}
    kill_at = KILL_POINTS[request.param]
    crashed = SPAWN.Process(
        target=dispatch_until_killed,
        args=(settings | {"TESTING": True}, app.instance_path, path, detective, kill_at),
    )
    crashed.start()
    crashed.join(timeout=300)
    assert crashed.exitcode == -signal.SIGKILL
    assert len(stored(database_url, "RequestsPlanned")) == 1
    made = len(requests_in_log(database_url))
    assert made == (2 if kill_at[0] == "FootageRequested" else 0)  # the rest are not asked
    return path, detective


def footage_requests(mailbox) -> Counter[str]:
    return Counter(m["To"] for m in mailbox.messages if m["Subject"].startswith("A request"))


def assert_each_owner_asked_once(app, client, path, detective, database_url, mailbox) -> None:
    made = requests_in_log(database_url)
    assert len(made) == len(set(made)) == len(OWNERS)
    assert footage_requests(mailbox) == Counter(OWNERS)
    with app.extensions["canvass"].engine.connect() as conn:
        queued = set(conn.execute(sa.select(outbox.c.message_id)).scalars())
    assert {message_id_for(request_id) for request_id in made} <= queued  # one id per request
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["requests"] == len(OWNERS)
    assert summary["delivery"] == {"not_yet_delivered": 0, "could_not_be_delivered": 0}


def test_the_scheduler_finishes_a_dispatch_killed_half_way_asking_each_owner_once(
    app, client, cli, mailbox, database_url, cut_short
):
    path, detective = cut_short
    assert footage_requests(mailbox) == Counter()  # nothing is mailed inside a request

    for _ in range(2):  # a second run finds nothing left to do
        ran = cli.invoke(args=["scheduler", "run", "--once"])
        assert ran.exit_code == 0, ran.output
        sent = cli.invoke(args=["outbox", "send"])
        assert sent.exit_code == 0, sent.output

    assert "finish-dispatches: 0" in ran.output
    assert_each_owner_asked_once(app, client, path, detective, database_url, mailbox)
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 409


def test_dispatching_again_after_a_crash_finishes_the_dispatch_instead_of_refusing(
    app, client, cli, mailbox, database_url, cut_short
):
    path, detective = cut_short

    again = client.post(f"{path}/dispatch", headers=detective)

    assert again.status_code == 200, again.get_json()
    assert again.get_json()["requests"] == {"requested": len(OWNERS)}
    assert cli.invoke(args=["scheduler", "run", "--once"]).exit_code == 0
    assert cli.invoke(args=["outbox", "send"]).exit_code == 0
    assert_each_owner_asked_once(app, client, path, detective, database_url, mailbox)


@pytest.mark.parametrize("cut_short", ["half way"], indirect=True)
def test_a_dispatch_cut_short_is_not_closed_as_settled_before_every_owner_is_asked(
    app, client, cli, mailbox, database_url, cut_short
):
    path, detective = cut_short
    assert cli.invoke(args=["outbox", "send"]).exit_code == 0
    for message in mailbox.messages:
        if message["Subject"].startswith("A request"):
            given = {"token": link_token(message), "answer": "no_footage"}
            assert client.post("/api/v1/requests/answer", json=given).status_code == 200

    assert app.extensions["canvass"].canvass.close_settled(datetime.now(UTC)) == 0

    assert client.get(path, headers=detective).get_json()["status"] == "dispatched"
    assert cli.invoke(args=["scheduler", "run", "--once"]).exit_code == 0
    assert footage_requests(mailbox) == Counter(OWNERS)


@pytest.mark.parametrize("cut_short", ["half way"], indirect=True)
def test_the_canvass_page_says_a_dispatch_cut_short_is_being_finished(app, cli, cut_short):
    path, _ = cut_short
    browser, _ = logged_in(app, "det.lee@sfpd.example")
    page = path.removeprefix("/api/v1")

    assert "Some requests are still being made" in browser.get(page).get_data(as_text=True)
    assert cli.invoke(args=["scheduler", "run", "--once"]).exit_code == 0
    shown = browser.get(page).get_data(as_text=True)
    assert "Some requests are still being made" not in shown
    assert f"{len(OWNERS)} requests made" in shown
