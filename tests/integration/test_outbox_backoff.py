"""A mail server that is down for hours loses no message: the outbox keeps trying, with
backoff, for a day; what gave up stays visible and can be sent again; nothing is sent twice
and nothing is shown as delivered before the server accepted it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from events_store import NO_STREAM, NewEvent
from events_store.outbox import Delivery, Outbox, OutgoingMessage
from service.mail import message_id_header

OWNERS = 6


class Clock:
    """A clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, by: timedelta) -> None:
        self.now += by


class CountingTransport:
    """The app's SMTP transport, counting every attempt to hand it a message."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.attempts = 0

    def send(self, delivery: Delivery) -> None:
        self.attempts += 1
        self.inner.send(delivery)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def transport(app) -> CountingTransport:
    return CountingTransport(app.extensions["canvass"].outbox.transport)


@pytest.fixture
def outbox(app, clock, transport) -> Outbox:
    """The app's outbox on the test's clock (and a fixed jitter, so waits are exact)."""
    return Outbox(app.extensions["canvass"].engine, transport, clock=clock, jitter=lambda: 0.5)


@pytest.fixture
def requests(app) -> list[str]:
    """One footage request email for each of several owners, waiting in the outbox."""
    store = app.extensions["canvass"].store
    ids = []
    for n in range(OWNERS):
        message = OutgoingMessage(
            f"owner{n}@example.org", "Can you help with a video canvass?", "Hello.", f"owner-{n}"
        )
        store.append(f"request-{n}", [NewEvent("FootageRequested", {})], NO_STREAM, [message])
        ids.append(message.message_id)
    return ids


def run_for(outbox: Outbox, clock: Clock, hours: float, step=timedelta(minutes=5)) -> int:
    """Run the send-mail job every `step` for `hours` of simulated time; return what it sent."""
    sent = 0
    end = clock.now + timedelta(hours=hours)
    while clock.now < end:
        sent += outbox.send_pending()
        clock.advance(step)
    return sent


def test_a_mail_server_down_for_most_of_a_day_loses_nothing_and_sends_each_message_once(
    outbox, clock, transport, requests, smtp_server, mailbox
):
    smtp_server.stop()
    assert run_for(outbox, clock, hours=23) == 0

    assert transport.attempts > 8 * OWNERS  # more than the old rule allowed before giving up
    assert outbox.undelivered(requests) == dict.fromkeys(requests, "waiting")
    status = outbox.status()
    assert (status.waiting, status.given_up) == (OWNERS, [])
    assert mailbox.messages == []

    smtp_server.start()
    assert run_for(outbox, clock, hours=2) == OWNERS
    assert run_for(outbox, clock, hours=24) == 0

    assert outbox.undelivered(requests) == {}
    assert sorted(m["Message-ID"] for m in mailbox.messages) == sorted(
        message_id_header(message_id) for message_id in requests
    )
    for n in range(OWNERS):
        assert len(mailbox.to(f"owner{n}@example.org")) == 1


def test_retries_wait_twice_as_long_each_time_up_to_an_hour(outbox, clock, requests, smtp_server):
    smtp_server.stop()
    tried_at = []
    for _ in range(24 * 60):
        before = outbox.status().next_attempt_at
        outbox.send_pending()
        if outbox.status().next_attempt_at != before:
            tried_at.append(clock.now)
        clock.advance(timedelta(minutes=1))
        if len(tried_at) == 10:
            break
    waits = [round((b - a) / timedelta(minutes=1)) for a, b in pairwise(tried_at)]
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_after_a_day_of_refusals_messages_give_up_visibly_and_are_sent_on_request(
    app, cli, outbox, clock, requests, smtp_server, mailbox
):
    smtp_server.stop()
    run_for(outbox, clock, hours=26)

    assert outbox.undelivered(requests) == dict.fromkeys(requests, "gave_up")
    shown = cli.invoke(args=["outbox", "status"])
    assert shown.exit_code == 0, shown.output
    assert f"Gave up: {OWNERS}" in shown.output
    for message_id in requests:
        assert message_id in shown.output
    assert "ConnectionRefusedError" in shown.output
    assert "example.org" not in shown.output and "Hello." not in shown.output

    smtp_server.start()
    assert "Sent 0 message(s)" in cli.invoke(args=["outbox", "send"]).output
    assert mailbox.messages == []

    resent = cli.invoke(args=["outbox", "send", "--retry-failed"])
    assert resent.exit_code == 0, resent.output
    assert f"Sent {OWNERS} message(s)" in resent.output
    assert outbox.undelivered(requests) == {}
    assert len(mailbox.messages) == OWNERS
    assert "Gave up: 0" in cli.invoke(args=["outbox", "status"]).output


def test_a_retry_on_request_that_fails_again_gives_up_again_at_once(
    outbox, clock, requests, smtp_server, mailbox
):
    smtp_server.stop()
    run_for(outbox, clock, hours=26)

    assert outbox.retry_given_up() == OWNERS
    assert outbox.undelivered(requests) == dict.fromkeys(requests, "waiting")
    assert outbox.send_pending() == 0
    assert outbox.undelivered(requests) == dict.fromkeys(requests, "gave_up")
    assert mailbox.messages == []


def test_a_message_sent_again_after_a_crash_carries_the_same_message_id(
    app, clock, requests, smtp_server, mailbox
):
    class CrashAfterSending:
        """Hands the message over, then the process dies before it is marked sent."""

        def __init__(self, inner) -> None:
            self.inner = inner

        def send(self, delivery: Delivery) -> None:
            self.inner.send(delivery)
            raise SystemExit("killed")

    engine = app.extensions["canvass"].engine
    transport = app.extensions["canvass"].outbox.transport
    with pytest.raises(SystemExit):
        Outbox(engine, CrashAfterSending(transport), clock=clock).send_pending()
    restarted = Outbox(engine, transport, clock=clock)
    assert restarted.send_pending() == OWNERS - 1  # the first is still claimed by the dead one
    assert restarted.undelivered(requests) == {requests[0]: "waiting"}

    clock.advance(timedelta(minutes=6))
    assert restarted.send_pending() == 1
    assert restarted.undelivered(requests) == {}
    first, second = mailbox.to("owner0@example.org")
    assert first["Message-ID"] == second["Message-ID"] == message_id_header(requests[0])
