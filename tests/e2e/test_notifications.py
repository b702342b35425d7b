"""Investigators get one digest of their canvasses' news, never one email per event, and
owners who offered footage are told what became of it when the canvass closes."""

from __future__ import annotations

import re
import threading
from datetime import datetime, timedelta

import pytest

from canvass.digest import DIGEST_STREAM
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_requests import AT, INCIDENT, neighbourhood  # noqa: F401
from tests.e2e.test_footage_intake import request_links, upload  # noqa: F401
from tests.support.mail import deliver_mail
from tests.support.notifications import PUBLIC_URL, inbox, pacific_app, texts
from tests.unit.test_footage_store import mp4

NEWS = "News on your canvasses"
OUTCOME = "What became of the footage you offered"
DETECTIVE = "det.lee@sfpd.example"
REASON = "Armed robbery; the suspect drove off and the route is not known yet."


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = pacific_app(database_url, smtp_server.port)
    yield app
    app.extensions["canvass"].close()


@pytest.fixture
def answered(app, client, cli, mailbox, neighbourhood, request_links):  # noqa: F811
    """Ana uploads a clip, Ben has no footage, Cy declines; and a second canvass of the
    detective's, beyond the limits, is approved by a supervisor."""
    owners, _ = neighbourhood
    path, detective, links = request_links
    assert upload(client, links["ana"], mp4(b"\x01" * 6000)).status_code == 201
    for name, given in (("ben", "no_footage"), ("cy", "decline")):
        answer = {"token": links[name], "answer": given}
        assert client.post("/api/v1/requests/answer", json=answer).status_code == 200
    supervisor = staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    body = canvass_body(place, AT, "violent_crime", 700, {"case_number": "181-004600"})
    wide = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    wide_path = f"/api/v1/canvasses/{wide['canvass_id']}"
    client.post(f"{wide_path}/submit", headers=detective)
    approved = client.post(f"{wide_path}/approve", headers=supervisor, json={"reason": REASON})
    assert approved.get_json()["status"] == "approved"
    return owners, path, detective, links


def test_the_investigator_gets_one_digest_of_the_news_even_from_two_schedulers_at_once(
    app, client, mailbox, answered, database_url, smtp_server
):
    _, path, _, links = answered
    other = pacific_app(database_url, smtp_server.port)  # a second process, same database
    try:
        jobs = [a.extensions["canvass"].canvass.digests for a in (app, other)]
        start = threading.Barrier(2)
        sent: list[int] = []

        def run(job):
            start.wait()
            sent.append(job.send_due())

        threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(sent) == [0, 1]
        assert [job.send_due() for job in jobs] == [0, 0]  # run again, or restarted: nothing
    finally:
        other.extensions["canvass"].close()
    deliver_mail(app)
    [text] = texts(inbox(mailbox, DETECTIVE, NEWS))
    runs = app.extensions["canvass"].store.read_stream(DIGEST_STREAM)
    assert len(runs) == 1 and runs[0].data["after_position"] == 0

    assert re.search(r"^Since \d\d December 20\d\d \d\d:\d\d P[SD]T:", text, re.M)
    first, wide = text.split("Case 181-004600:")
    assert "Case 181-004512:" in first
    assert "1 owner offered footage." in first
    assert "1 owner has no relevant footage." in first
    assert "1 file of footage arrived." in first
    assert f"{PUBLIC_URL}/canvasses/{path.rsplit('/', 1)[1]}" in first
    assert "A supervisor approved it" in wide
    assert "declin" not in text.lower()  # a decline is not told apart from silence

    # Later news comes in the next digest, and only it.
    assert upload(client, links["ana"], mp4(b"\x02" * 7000)).status_code == 201
    assert jobs[0].send_due() == 1
    deliver_mail(app)
    later = texts(inbox(mailbox, DETECTIVE, NEWS))[1]
    assert "1 file of footage arrived." in later and "offered" not in later
    assert "181-004600" not in later
    assert len(inbox(mailbox, DETECTIVE, NEWS)) == 2


def test_owners_who_offered_footage_are_told_what_became_of_it_when_the_investigator_closes(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
    request_links,  # noqa: F811
):
    owners, _ = neighbourhood
    path, detective, links = request_links
    assert upload(client, links["ana"], mp4(b"\x03" * 6000)).status_code == 201
    for name, given in (("ben", "will_bring"), ("cy", "no_footage")):
        client.post("/api/v1/requests/answer", json={"token": links[name], "answer": given})
    site = {name: owners[name][1] for name in owners}
    store = app.extensions["canvass"].store
    head = store.head()

    for outcomes, field in (
        ({site["ana"]: "burned"}, "outcomes"),
        ({site["cy"]: "used"}, "outcomes"),  # Cy offered nothing to mark
        ({"x" * 65: "used"}, "outcomes"),
    ):
        refused = client.post(f"{path}/close", headers=detective, json={"outcomes": outcomes})
        assert refused.status_code == 422 and field in refused.get_json()["errors"]
    assert store.head() == head

    closed = client.post(
        f"{path}/close", headers=detective, json={"outcomes": {site["ana"]: "used"}}
    )
    assert closed.status_code == 200 and closed.get_json()["status"] == "closed"
    assert client.post(f"{path}/close", headers=detective, json={}).status_code == 409
    deliver_mail(app)

    [ana] = texts(inbox(mailbox, "ana@example.org", OUTCOME))
    assert "was used in the investigation" in ana
    assert "case 181-004512" in ana and "14 December 2018 at 21:10 PST" in ana
    assert f"{PUBLIC_URL}/my-requests" in ana
    [ben] = texts(inbox(mailbox, "ben@example.org", OUTCOME))
    assert "did not need your footage" in ben  # not marked: not needed
    assert inbox(mailbox, "cy@example.org", OUTCOME) == []  # had none to offer


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_canvass_closed_at_its_deadline_tells_owners_their_footage_was_not_needed(
    app,
    client,
    mailbox,
    request_links,  # noqa: F811
):
    path, detective, links = request_links
    client.post("/api/v1/requests/answer", json={"token": links["ana"], "answer": "will_bring"})
    service = app.extensions["canvass"].canvass
    opened = datetime.fromisoformat(client.get(path, headers=detective).get_json()["opened_at"])

    assert service.close_settled(opened + timedelta(days=30)) == 1
    assert service.close_settled(opened + timedelta(days=31)) == 0
    deliver_mail(app)

    [ana] = texts(inbox(mailbox, "ana@example.org", OUTCOME))
    assert "did not need your footage" in ana
    assert inbox(mailbox, "ben@example.org", OUTCOME) == []  # never answered
