"""Mail leaves only after its cause is committed, through a real SMTP server, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events_store import NO_STREAM, ConcurrencyError, NewEvent
from events_store.outbox import Outbox, OutgoingMessage


def welcome(to: str = "maria@example.org") -> OutgoingMessage:
    return OutgoingMessage(to, "Welcome to the camera registry", "Hello.", subject_id="owner-1")


def test_a_message_appended_with_its_event_is_sent_after_commit(app, mailbox):
    services = app.extensions["canvass"]
    services.store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM, [welcome()])
    assert mailbox.messages == []

    assert services.outbox.send_pending() == 1

    [message] = mailbox.to("maria@example.org")
    assert message["Subject"] == "Welcome to the camera registry"
    assert message.get_content().strip() == "Hello."
    assert services.outbox.send_pending() == 0
    assert len(mailbox.messages) == 1


def test_a_refused_append_leaves_no_message(app, mailbox):
    services = app.extensions["canvass"]
    services.store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM)
    with pytest.raises(ConcurrencyError):
        services.store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM, [welcome()])
    assert services.outbox.send_pending() == 0
    assert services.outbox.pending_count() == 0


def test_a_message_the_server_refuses_is_kept_and_sent_once_at_its_next_attempt(app, mailbox):
    services = app.extensions["canvass"]
    clock = [datetime.now(UTC)]
    outbox = Outbox(services.engine, services.outbox.transport, clock=lambda: clock[0])
    services.store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM, [welcome()])

    mailbox.refuse = True
    assert outbox.send_pending() == 0
    assert outbox.pending_count() == 1

    mailbox.refuse = False
    assert outbox.send_pending() == 0  # not due yet: the next attempt is a minute away
    clock[0] += timedelta(minutes=2)
    assert outbox.send_pending() == 1
    assert outbox.send_pending() == 0
    assert len(mailbox.messages) == 1


def test_every_message_carries_a_message_id_derived_from_its_outbox_id(app, mailbox):
    services = app.extensions["canvass"]
    message = welcome()
    services.store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM, [message])
    services.outbox.send_pending()

    [received] = mailbox.messages
    assert received["Message-ID"] == f"<{message.message_id}@canvass.invalid>"


def test_messages_go_out_in_the_order_of_their_events(app, mailbox):
    services = app.extensions["canvass"]
    for n in range(5):
        services.store.append(
            f"owner-{n}",
            [NewEvent("OwnerSignedUp", {})],
            NO_STREAM,
            [OutgoingMessage(f"person{n}@example.org", f"Message {n}", "Hi")],
        )
    services.outbox.send_pending()
    assert [m["Subject"] for m in mailbox.messages] == [f"Message {n}" for n in range(5)]
