"""Dispatch emails each candidate's owner once; owners answer by link; investigators see counts."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from geographiclib.geodesic import Geodesic

from tests.e2e.test_canvass_api import PACIFIC, canvass_body, staff
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

INCIDENT = (37.7614, -122.4241)  # Mission St & 20th St, San Francisco
AT = datetime(2018, 12, 14, 21, 40, tzinfo=PACIFIC)


def owner_with_camera(client, mailbox, email, metres_north, retention_days=14):
    """An owner whose one camera, `metres_north` of the incident, looks south at it."""
    bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, email)}
    spot = Geodesic.WGS84.Direct(INCIDENT[0], INCIDENT[1], 0, metres_north)
    site = client.post(
        "/api/v1/sites",
        headers=bearer,
        json={
            "label": "Home",
            "latitude": spot["lat2"],
            "longitude": spot["lon2"],
            "cameras": [
                {
                    "label": "Porch",
                    "bearing_degrees": 180,
                    "field_of_view_degrees": 90,
                    "range_metres": 150,
                    "retention_days": retention_days,
                }
            ],
        },
    ).get_json()
    return bearer, site["site_id"]


@pytest.fixture
def neighbourhood(app, client, cli, mailbox):
    owners = {
        name: owner_with_camera(client, mailbox, f"{name}@example.org", metres)
        for name, metres in (("ana", 40), ("ben", 90), ("cy", 130))
    }
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    return owners, detective


def open_and_dispatch(client, detective, case_number="181-004512"):
    body = canvass_body(
        type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]}),
        AT,
        "property_crime",
        250,
        {"case_number": case_number},
    )
    canvass = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    path = f"/api/v1/canvasses/{canvass['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "approved"
    dispatched = client.post(f"{path}/dispatch", headers=detective).get_json()
    delivered = client.application.test_cli_runner().invoke(args=["outbox", "send"])
    assert delivered.exit_code == 0, delivered.output  # the mail job, run now
    return path, dispatched


def test_each_owner_is_emailed_once_and_answers_are_shown_as_counts(
    app, client, mailbox, neighbourhood
):
    owners, detective = neighbourhood
    app.extensions["canvass"].canvass.dispatcher.zone = PACIFIC  # CANVASS_TIME_ZONE
    path, dispatched = open_and_dispatch(client, detective)
    assert dispatched["requests"] == {"requested": 3}
    links = {}
    for name in owners:
        [request] = [
            m
            for m in mailbox.to(f"{name}@example.org")
            if m["Subject"] == "A request for camera footage near you"
        ]
        assert "Porch" in request.get_content()
        assert "14 December 2018 21:10 and 14 December 2018 22:10 (PST)" in request.get_content()
        links[name] = link_token(request)

    for name, given in (("ana", "will_bring"), ("ben", "no_footage"), ("cy", "decline")):
        answered = client.post(
            "/api/v1/requests/answer", json={"token": links[name], "answer": given}
        )
        assert answered.status_code == 200
    again = client.post(
        "/api/v1/requests/answer", json={"token": links["ana"], "answer": "decline"}
    )
    assert (
        again.status_code == 409 and "answered this request already" in again.get_json()["message"]
    )

    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["requests"] == 3
    assert summary["counts"] == {
        "offered_footage": 1,
        "no_footage": 1,
        "declined_or_unanswered": 1,
        "owner_left": 0,
    }
    assert summary["sites_offering_footage"] == [owners["ana"][1]]
    assert owners["cy"][1] not in str(summary)  # who declined is not shown
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 409


def test_an_owner_gets_at_most_the_weekly_number_of_requests(app, client, mailbox, neighbourhood):
    _, detective = neighbourhood
    app.extensions["canvass"].canvass.dispatcher.weekly_cap = 2
    outcomes = [
        open_and_dispatch(client, detective, f"181-00451{n}")[1]["requests"] for n in range(3)
    ]
    assert outcomes == [{"requested": 3}, {"requested": 3}, {"weekly_cap_reached": 3}]
    assert len(mailbox.to("ana@example.org")) == 1 + 2  # the confirmation, then two requests


def test_unanswered_requests_expire_once_their_time_is_up(app, client, mailbox, neighbourhood):
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    dispatcher = app.extensions["canvass"].canvass.dispatcher
    assert dispatcher.expire_due(AT + timedelta(days=5)) == 0
    assert dispatcher.expire_due(AT + timedelta(days=12)) == 3
    assert dispatcher.expire_due(AT + timedelta(days=13)) == 0
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"]["declined_or_unanswered"] == 3


@pytest.mark.parametrize(
    "body",
    [
        {"token": "forged", "answer": "decline"},
        {"token": "", "answer": "decline"},
        {"token": "x", "answer": "maybe"},
        {"answer": "decline"},
    ],
)
def test_a_bad_answer_link_or_choice_is_refused_clearly(client, body):
    response = client.post("/api/v1/requests/answer", json=body)
    assert response.status_code in (400, 422)
    assert response.get_json()["message"]


def test_an_owner_answers_on_the_page_the_email_links_to(app, client, mailbox, neighbourhood):
    import html
    import re

    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ben@example.org") if "footage" in m["Subject"]]
    url = re.search(r"https?://\S+", request.get_content()).group(0)
    page_path = url.split("://", 1)[1].split("/", 1)[1]
    page = client.get(f"/{page_path}").get_data(as_text=True)
    assert "Can your cameras help?" in page
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    token = html.unescape(re.search(r'name="token" value="([^"]+)"', page).group(1))

    missing = client.post("/requests/answer", data={"csrf_token": csrf, "token": token})
    assert missing.status_code == 422 and "Please choose" in missing.get_data(as_text=True)
    done = client.post(
        "/requests/answer", data={"csrf_token": csrf, "token": token, "answer": "no_footage"}
    )
    assert "your answer is recorded" in done.get_data(as_text=True)
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"]["no_footage"] == 1


def test_the_scheduled_jobs_send_waiting_mail_and_change_nothing_when_run_again(
    app, cli, mailbox, smtp_server
):
    from events_store import NO_STREAM, NewEvent
    from events_store.outbox import OutgoingMessage

    app.extensions["canvass"].store.append(
        "note",
        [NewEvent("Noted", {})],
        NO_STREAM,
        [OutgoingMessage("someone@example.org", "A note", "Hello.")],
    )
    first = cli.invoke(args=["scheduler", "run", "--once"])
    assert first.exit_code == 0, first.output
    assert "send-mail: 1" in first.output and "expire-requests: 0" in first.output
    second = cli.invoke(args=["scheduler", "run", "--once"])
    assert "send-mail: 0" in second.output
    assert len(mailbox.to("someone@example.org")) == 1


def test_owners_who_have_not_answered_are_reminded_after_a_day_and_three_days_once_each(
    app, client, mailbox, neighbourhood
):
    _, detective = neighbourhood
    open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    client.post("/api/v1/requests/answer", json={"token": link_token(request), "answer": "decline"})
    dispatcher = app.extensions["canvass"].canvass.dispatcher
    sent = AT + timedelta(days=1)  # the canvass service's clock when it dispatched

    assert [dispatcher.remind_due(sent + timedelta(hours=h)) for h in (12, 25, 26, 73, 100)] == [
        0,
        2,
        0,
        2,
        0,
    ]
    app.extensions["canvass"].outbox.send_pending()
    reminders = [m for m in mailbox.messages if m["Subject"].startswith("Reminder")]
    assert sorted(m["To"] for m in reminders) == sorted(["ben@example.org", "cy@example.org"] * 2)


def test_the_investigator_is_alerted_once_before_unanswered_footage_is_overwritten(
    app, client, mailbox, neighbourhood
):
    _, detective = neighbourhood
    open_and_dispatch(client, detective)
    service = app.extensions["canvass"].canvass
    window_end = AT + timedelta(minutes=30)  # the cameras keep 14 days
    overwritten = window_end + timedelta(days=14)

    assert service.alert_expiring(overwritten - timedelta(hours=30)) == 0
    assert service.alert_expiring(overwritten - timedelta(hours=2)) == 1
    assert service.alert_expiring(overwritten - timedelta(hours=1)) == 0
    app.extensions["canvass"].outbox.send_pending()
    [alert] = [m for m in mailbox.to("det.lee@sfpd.example") if "overwritten" in m["Subject"]]
    assert "the owners of 3 sites have not answered" in alert.get_content()
    assert "@example.org" not in alert.get_content()


def test_a_canvass_closes_itself_once_every_request_is_settled(app, client, mailbox, neighbourhood):
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    service = app.extensions["canvass"].canvass
    assert service.close_settled(AT + timedelta(days=2)) == 0
    for name in owners:
        [request] = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        client.post(
            "/api/v1/requests/answer", json={"token": link_token(request), "answer": "no_footage"}
        )
    assert service.close_settled(AT + timedelta(days=2)) == 1
    assert client.get(path, headers=detective).get_json()["status"] == "closed"
    assert service.close_settled(AT + timedelta(days=3)) == 0


def test_a_canvass_stays_open_for_owners_who_offered_footage_until_their_time_is_up(
    app, client, mailbox, neighbourhood
):
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    service = app.extensions["canvass"].canvass
    for name in owners:
        [request] = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        client.post(
            "/api/v1/requests/answer", json={"token": link_token(request), "answer": "share_now"}
        )

    assert service.close_settled(AT + timedelta(days=2)) == 0
    assert client.get(path, headers=detective).get_json()["status"] == "dispatched"
    assert service.close_settled(AT + timedelta(days=11)) == 1
    assert client.get(path, headers=detective).get_json()["status"] == "closed"


def test_a_canvass_nobody_answers_closes_at_its_agency_deadline(app, client, neighbourhood):
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    service = app.extensions["canvass"].canvass
    opened = datetime.fromisoformat(client.get(path, headers=detective).get_json()["opened_at"])

    assert service.close_settled(opened + timedelta(days=30) - timedelta(minutes=1)) == 0
    assert client.get(path, headers=detective).get_json()["status"] == "dispatched"
    assert service.close_settled(opened + timedelta(days=30)) == 1
    assert client.get(path, headers=detective).get_json()["status"] == "closed"
    [closed] = [
        event
        for event in app.extensions["canvass"].store.read_stream(f"canvass-{path.split('/')[-1]}")
        if event.type == "CanvassClosed"
    ]
    assert closed.data["reason"] == "deadline"


def test_an_owner_sees_every_request_sent_to_them_and_can_answer_from_there(
    app, client, mailbox, neighbourhood
):
    import re

    from tests.e2e.test_owner_pages import csrf_of

    _, detective = neighbourhood
    open_and_dispatch(client, detective)
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
    assert "SFPD, case 181-004512" in listing and "property crime" in listing
    answer_url = re.search(r'href="(/requests/answer\?token=[^"]+)"', listing).group(1)
    form = client.get(answer_url.replace("&amp;", "&")).get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    client.post(
        "/requests/answer",
        data={"csrf_token": csrf_of(form), "token": token, "answer": "will_bring"},
    )
    assert "Answered: will bring footage" in client.get("/my-requests").get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200


def test_an_owner_who_leaves_after_offering_footage_is_no_longer_counted_as_offering(
    app, client, mailbox, neighbourhood
):
    from tests.e2e.test_owner_journey_api import PASSWORD

    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    offered = client.post(
        "/api/v1/requests/answer", json={"token": link_token(request), "answer": "share_now"}
    )
    assert offered.status_code == 200
    erased = client.post(
        "/api/v1/me/erasure", headers=owners["ana"][0], json={"password": PASSWORD}
    )
    assert erased.status_code == 200

    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["requests"] == 3
    assert summary["counts"] == {
        "offered_footage": 0,
        "no_footage": 0,
        "declined_or_unanswered": 2,
        "owner_left": 1,
    }
    assert summary["sites_offering_footage"] == []
    assert client.get(f"{path}/footage", headers=detective).get_json()["files"] == []


def test_the_answer_page_says_plainly_when_a_link_is_not_ours_or_its_request_has_expired(
    app, client, mailbox, neighbourhood
):
    _, detective = neighbourhood
    open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    forged = client.get("/requests/answer", query_string={"token": "forged"})
    assert forged.status_code == 404
    assert "We could not read this link" in forged.get_data(as_text=True)
    assert 'name="answer"' not in forged.get_data(as_text=True)

    app.extensions["canvass"].canvass.dispatcher.expire_due(AT + timedelta(days=12))
    expired = client.get("/requests/answer", query_string={"token": link_token(request)})
    assert expired.status_code == 409
    assert "This request expired on" in expired.get_data(as_text=True)
    assert "Nothing more is needed from you" in expired.get_data(as_text=True)
    assert 'name="answer"' not in expired.get_data(as_text=True)
