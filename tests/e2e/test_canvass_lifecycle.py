"""Once a canvass has ended nothing more is taken from owners; a dispatch sends no mail
itself, and investigators see which requests' emails are not yet delivered."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from events_store.outbox import Outbox
from tests.e2e.test_canvass_api import canvass_body
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_canvass_requests import (
    AT,
    INCIDENT,
    neighbourhood,  # noqa: F401
    open_and_dispatch,
)
from tests.e2e.test_footage_intake import request_links, stored_files, upload  # noqa: F401
from tests.e2e.test_owner_pages import csrf_of
from tests.unit.test_footage_store import mp4

ENDED = "This canvass has ended; nothing more is needed from you."


def cancel(client, path, detective):
    cancelled = client.post(
        f"{path}/cancel", headers=detective, json={"reason": "The suspect was identified."}
    )
    assert cancelled.get_json()["status"] == "cancelled"


def close_at_deadline(app, client, path, detective):
    service = app.extensions["canvass"].canvass
    opened = datetime.fromisoformat(client.get(path, headers=detective).get_json()["opened_at"])
    assert service.close_settled(opened + timedelta(days=30)) == 1
    assert client.get(path, headers=detective).get_json()["status"] == "closed"


ENDINGS = {
    "cancelled": lambda app, client, path, detective: cancel(client, path, detective),
    "closed": close_at_deadline,
}


def footage_events(app) -> list:
    store = app.extensions["canvass"].store
    return [event for event in store.read_all() if event.type == "FootageReceived"]


@pytest.mark.parametrize("ending", ENDINGS)
def test_once_a_canvass_has_ended_an_owner_can_no_longer_answer_by_the_api(
    app,
    client,
    request_links,  # noqa: F811
    ending,
):
    path, detective, links = request_links
    ENDINGS[ending](app, client, path, detective)

    answered = client.post(
        "/api/v1/requests/answer", json={"token": links["ana"], "answer": "decline"}
    )

    assert answered.status_code == 409
    assert answered.get_json()["message"] == ENDED
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"]["declined_or_unanswered"] == 3  # nobody's answer was taken


@pytest.mark.parametrize("ending", ENDINGS)
def test_once_a_canvass_has_ended_an_upload_is_refused_and_its_body_is_not_kept(
    app,
    client,
    request_links,  # noqa: F811
    ending,
):
    path, detective, links = request_links
    answered = client.post(
        "/api/v1/requests/answer", json={"token": links["ana"], "answer": "share_now"}
    )
    assert answered.status_code == 200
    ENDINGS[ending](app, client, path, detective)

    refused = upload(client, links["ana"], mp4(b"\x02" * 9000))

    assert refused.status_code == 409
    assert refused.get_json()["message"] == ENDED
    assert stored_files(app) == []
    assert footage_events(app) == []
    assert client.get(f"{path}/footage", headers=detective).get_json()["files"] == []


class EndsWhileStreaming(io.RawIOBase):
    """A clip that arrives slowly, during which the canvass ends (as a long upload may)."""

    def __init__(self, clip: bytes, end_the_canvass) -> None:
        self.clip, self.sent, self.end_the_canvass = clip, 0, end_the_canvass

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.sent, io.SEEK_END: len(self.clip)}[whence]
        self.sent = base + offset
        return self.sent

    def tell(self) -> int:
        return self.sent

    def readinto(self, buffer) -> int:
        if self.sent > len(self.clip) // 4 and self.end_the_canvass:
            self.end_the_canvass()
            self.end_the_canvass = None
        chunk = self.clip[self.sent : self.sent + min(len(buffer), 8192)]
        buffer[: len(chunk)] = chunk
        self.sent += len(chunk)
        return len(chunk)


@pytest.mark.parametrize("ending", ENDINGS)
def test_an_upload_under_way_when_the_canvass_ends_is_refused_and_not_kept(
    app,
    client,
    request_links,  # noqa: F811
    ending,
):
    path, detective, links = request_links
    client.post("/api/v1/requests/answer", json={"token": links["ana"], "answer": "share_now"})
    clip = mp4(b"\x05" * 200_000)
    investigator = app.test_client()
    body = EndsWhileStreaming(clip, lambda: ENDINGS[ending](app, investigator, path, detective))

    refused = client.put(
        "/api/v1/requests/footage",
        query_string={"token": links["ana"]},
        input_stream=body,
        content_type="video/mp4",
        headers={"Content-Length": str(len(clip))},
    )

    assert body.end_the_canvass is None  # it did end half way through
    assert refused.status_code == 409
    assert refused.get_json()["message"] == ENDED
    assert stored_files(app) == []
    assert footage_events(app) == []
    assert client.get(f"{path}/footage", headers=detective).get_json()["files"] == []


def test_an_owner_who_said_they_would_share_cannot_upload_after_the_request_expired(
    app,
    client,
    request_links,  # noqa: F811
):
    _, _, links = request_links
    client.post("/api/v1/requests/answer", json={"token": links["ben"], "answer": "share_now"})
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=12)

    refused = upload(client, links["ben"], mp4(b"\x03" * 9000))

    assert refused.status_code == 409
    assert "expired; nothing more is needed from you" in refused.get_json()["message"]
    assert stored_files(app) == [] and footage_events(app) == []


def test_the_owners_pages_say_the_canvass_has_ended_and_take_nothing(app, client, request_links):  # noqa: F811
    path, detective, links = request_links
    cancel(client, path, detective)

    shown = client.get("/requests/answer", query_string={"token": links["cy"]})
    assert shown.status_code == 409 and ENDED in shown.get_data(as_text=True)
    assert 'name="answer"' not in shown.get_data(as_text=True)

    form = client.get("/requests/upload", query_string={"token": links["cy"]})
    assert form.status_code == 409 and ENDED in form.get_data(as_text=True)
    csrf = csrf_of(client.get("/login").get_data(as_text=True))
    answered = client.post(
        "/requests/answer", data={"csrf_token": csrf, "token": links["cy"], "answer": "share_now"}
    )
    assert answered.status_code == 409 and ENDED in answered.get_data(as_text=True)
    sent = client.post(
        "/requests/upload",
        data={
            "csrf_token": csrf,
            "token": links["cy"],
            "footage": (io.BytesIO(mp4(b"\x04" * 9000)), "clip.mp4"),
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 409 and ENDED in sent.get_data(as_text=True)
    assert stored_files(app) == [] and footage_events(app) == []


def test_an_owners_request_list_offers_no_answer_or_upload_once_the_canvass_has_ended(
    app,
    client,
    request_links,  # noqa: F811
):
    path, detective, _ = request_links
    cancel(client, path, detective)
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page),
            "email": "ana@example.org",
            "password": "correct horse battery staple",
        },
    )

    listing = client.get("/my-requests").get_data(as_text=True)

    assert "The canvass has ended; nothing more is needed from you" in listing
    assert "/requests/answer?token=" not in listing and "/requests/upload?token=" not in listing


def test_owners_of_a_cancelled_canvass_are_not_reminded(app, client, mailbox, request_links):  # noqa: F811
    path, detective, _ = request_links
    cancel(client, path, detective)
    dispatcher = app.extensions["canvass"].canvass.dispatcher

    assert dispatcher.remind_due(AT + timedelta(days=5)) == 0
    app.extensions["canvass"].outbox.send_pending()
    assert not [m for m in mailbox.messages if m["Subject"].startswith("Reminder")]


def dispatch_without_sending(client, detective) -> str:
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    body = canvass_body(place, AT, "property_crime", 250)
    opened = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    path = f"/api/v1/canvasses/{opened['canvass_id']}"
    client.post(f"{path}/submit", headers=detective)
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 200
    return path


def test_requests_whose_email_gave_up_are_shown_as_not_delivered_until_resent(
    app,
    client,
    cli,
    mailbox,
    neighbourhood,  # noqa: F811
):
    _, detective = neighbourhood
    path = dispatch_without_sending(client, detective)
    services = app.extensions["canvass"]
    mailbox.refuse = True  # the mail server turns every message away, for more than a day
    now = datetime.now(UTC)
    later = Outbox(
        services.engine, services.outbox.transport, clock=lambda: now, vault=services.vault
    )
    for _ in range(60):
        later.send_pending()
        now += timedelta(hours=1)

    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["delivery"] == {"not_yet_delivered": 0, "could_not_be_delivered": 3}
    browser, _ = logged_in(app, "det.lee@sfpd.example")
    page = browser.get(path.removeprefix("/api/v1")).get_data(as_text=True)
    assert "3</strong> could not be delivered" in page
    assert not [m for m in mailbox.messages if m["Subject"].startswith("A request")]

    mailbox.refuse = False
    resent = cli.invoke(args=["outbox", "send", "--retry-failed"])
    assert resent.exit_code == 0, resent.output
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["delivery"] == {"not_yet_delivered": 0, "could_not_be_delivered": 0}
    asked = [m["To"] for m in mailbox.messages if m["Subject"].startswith("A request")]
    assert sorted(asked) == [f"{n}@example.org" for n in ("ana", "ben", "cy")]
    page = browser.get(path.removeprefix("/api/v1")).get_data(as_text=True)
    assert "could not be delivered" not in page and "not yet delivered" not in page


def test_a_dispatch_sends_no_mail_itself_and_the_canvass_shows_it_undelivered_until_sent(
    app,
    client,
    cli,
    mailbox,
    neighbourhood,  # noqa: F811
):
    _, detective = neighbourhood
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    opened = client.post(
        "/api/v1/canvasses", headers=detective, json=canvass_body(place, AT, "property_crime", 250)
    ).get_json()
    path = f"/api/v1/canvasses/{opened['canvass_id']}"
    client.post(f"{path}/submit", headers=detective)

    dispatched = client.post(f"{path}/dispatch", headers=detective)

    assert dispatched.status_code == 200
    assert dispatched.get_json()["requests"] == {"requested": 3}
    assert not [m for m in mailbox.messages if m["Subject"].startswith("A request")]
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["requests"] == 3
    assert summary["delivery"] == {"not_yet_delivered": 3, "could_not_be_delivered": 0}

    ran = cli.invoke(args=["scheduler", "run", "--once"])
    assert ran.exit_code == 0, ran.output

    asked = [m for m in mailbox.messages if m["Subject"].startswith("A request")]
    assert sorted(m["To"] for m in asked) == [f"{n}@example.org" for n in ("ana", "ben", "cy")]
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["delivery"] == {"not_yet_delivered": 0, "could_not_be_delivered": 0}


def test_dispatching_twice_asks_nobody_twice(app, client, mailbox, neighbourhood):  # noqa: F811
    _, detective = neighbourhood
    path, first = open_and_dispatch(client, detective)

    again = client.post(f"{path}/dispatch", headers=detective)

    assert first["requests"] == {"requested": 3}
    assert again.status_code == 409
    assert again.get_json()["message"] == "This canvass was sent to its owners already."
    client.application.test_cli_runner().invoke(args=["outbox", "send"])
    for name in ("ana", "ben", "cy"):
        asked = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        assert len(asked) == 1
