"""A canvass beyond the limits: its agency's supervisors are emailed, and one approves,
denies or sends it back with a reason; one sent back is changed and submitted again."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_canvass_requests import AT, INCIDENT
from tests.e2e.test_owner_pages import csrf_of
from tests.support.mail import deliver_mail
from tests.support.notifications import PUBLIC_URL, inbox, pacific_app, texts

WAITS = "A canvass waits for your approval"
REASON = "The area takes in the whole district; draw it along the escape route instead."
PLACE = type("Place", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})


@pytest.fixture
def app(database_url, tmp_path, monkeypatch, smtp_server):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = pacific_app(database_url, smtp_server.port)
    yield app
    app.extensions["canvass"].close()


@pytest.fixture
def people(app, client, cli, mailbox):
    """The detective's bearer headers, and each supervisor's by email: one of the SFPD and
    one of another agency."""
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    supervisors = {
        email: staff(cli, client, mailbox, "supervisor", agency, email)
        for email, agency in (
            ("sgt.kim@sfpd.example", "SFPD"),
            ("sgt.roe@oakland.example", "Oakland PD"),
        )
    }
    return detective, supervisors


def waiting_canvass(client, detective, radius_m=700):
    body = canvass_body(PLACE, AT, "property_crime", radius_m, {"case_number": "181-004600"})
    canvass = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    path = f"/api/v1/canvasses/{canvass['canvass_id']}"
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "submitted"
    return path


def test_supervisors_are_emailed_when_a_canvass_waits_and_one_sent_back_is_changed_and_resent(
    app, client, cli, mailbox, people
):
    detective, supervisors = people
    staff(cli, client, mailbox, "supervisor", "SFPD", "lt.diaz@sfpd.example")
    path = waiting_canvass(client, detective)
    deliver_mail(app)

    for address in ("sgt.kim@sfpd.example", "lt.diaz@sfpd.example"):
        [text] = texts(inbox(mailbox, address, WAITS))
        assert "Case 181-004600 (property crime)" in text
        assert f"{INCIDENT[0]:.5f}, {INCIDENT[1]:.5f}" in text and "square miles" in text
        assert "14 December 2018 21:10 PST to 14 December 2018 22:10 PST" in text
        assert "above the maximum of 0.5" in text
        assert f"{PUBLIC_URL}/approvals" in text
    assert inbox(mailbox, "sgt.roe@oakland.example", WAITS) == []  # another agency
    assert inbox(mailbox, "det.lee@sfpd.example", WAITS) == []
    assert deliver_mail(app) == 0  # once

    sergeant = supervisors["sgt.kim@sfpd.example"]
    sent_back = client.post(f"{path}/send-back", headers=sergeant, json={"reason": REASON})
    assert sent_back.get_json()["status"] == "sent_back"
    assert sent_back.get_json()["decision_reason"] == REASON
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 409

    # Submitted again unchanged, it waits again, and the supervisors are told again.
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "submitted"
    deliver_mail(app)
    assert len(inbox(mailbox, "sgt.kim@sfpd.example", WAITS)) == 2
    client.post(f"{path}/send-back", headers=sergeant, json={"reason": REASON})
    smaller = canvass_body(PLACE, AT, "property_crime", 250, {"case_number": "181-004600"})
    changed = client.put(path, headers=detective, json=smaller)
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["status"] == "draft"
    assert 0.07 < changed.get_json()["area_square_miles"] < 0.08
    resubmitted = client.post(f"{path}/submit", headers=detective).get_json()

    assert resubmitted["status"] == "approved" and resubmitted["approved_by"] == "policy"
    deliver_mail(app)
    assert len(inbox(mailbox, "sgt.kim@sfpd.example", WAITS)) == 2  # within the limits now


def test_a_supervisor_denies_by_the_api_and_the_canvass_is_closed_for_good(
    app,
    client,
    people,
):
    detective, supervisors = people
    path = waiting_canvass(client, detective)
    sergeant = supervisors["sgt.kim@sfpd.example"]
    elsewhere = supervisors["sgt.roe@oakland.example"]
    assert (
        client.post(f"{path}/deny", headers=elsewhere, json={"reason": REASON}).status_code == 404
    )
    assert (
        client.post(f"{path}/deny", headers=detective, json={"reason": REASON}).status_code == 403
    )

    denied = client.post(f"{path}/deny", headers=sergeant, json={"reason": REASON})

    assert denied.status_code == 200, denied.get_json()
    assert denied.get_json()["status"] == "denied"
    assert denied.get_json()["decision_reason"] == REASON
    for step in ("submit", "dispatch"):
        assert client.post(f"{path}/{step}", headers=detective).status_code == 409
    again = client.post(f"{path}/approve", headers=sergeant, json={"reason": REASON})
    assert again.status_code == 409
    listed = client.get(f"{path}/candidates", headers=detective)
    assert listed.status_code == 409 and "denied" in listed.get_json()["message"]


BAD_REASONS = [
    ("", "10 to 2000 characters"),
    ("   no   ", "10 to 2000 characters"),
    ("x" * 2001, "10 to 2000 characters"),
    ("Not this area\x00 at all, please", "control character"),
    ("Not this area\x1b[31m at all", "control character"),
]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_reasons_are_refused_and_a_canvass_is_sent_back_resubmitted_and_denied_on_the_pages(
    app,
    client,
    people,
):
    detective, supervisors = people
    path = waiting_canvass(client, detective)
    canvass_id = path.rsplit("/", 1)[1]
    store = app.extensions["canvass"].store
    sergeant = supervisors["sgt.kim@sfpd.example"]
    browser, _ = logged_in(app, "sgt.kim@sfpd.example")
    token = csrf_of(browser.get("/approvals").get_data(as_text=True))
    head = store.head()

    for reason, words in BAD_REASONS:
        for step in ("deny", "send-back"):
            refused = client.post(f"{path}/{step}", headers=sergeant, json={"reason": reason})
            assert refused.status_code == 422, (reason, refused.get_json())
            assert words in str(refused.get_json()["errors"]["reason"])
            page = browser.post(
                f"/canvasses/{canvass_id}/{step}", data={"csrf_token": token, "reason": reason}
            )
            assert page.status_code == 422
            assert words in page.get_data(as_text=True)
    assert client.post(path + "/deny", headers=sergeant, json={}).status_code == 422

    assert store.head() == head
    assert client.get(path, headers=detective).get_json()["status"] == "submitted"

    # With a good reason: sent back, submitted again from the canvass page, then denied.
    queue = browser.get("/approvals").get_data(as_text=True)
    assert "Send back to change" in queue and "Deny for good" in queue
    sent = browser.post(
        f"/canvasses/{canvass_id}/send-back", data={"csrf_token": token, "reason": REASON}
    )
    assert sent.status_code == 302
    after = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Sent back." in after and "Nothing is waiting for you." in after

    desk, _ = logged_in(app, "det.lee@sfpd.example")
    page = desk.get(f"/canvasses/{canvass_id}").get_data(as_text=True)
    resubmitted = desk.post(f"/canvasses/{canvass_id}/submit", data={"csrf_token": csrf_of(page)})
    assert resubmitted.status_code == 302
    assert client.get(path, headers=detective).get_json()["status"] == "submitted"

    denied = browser.post(
        f"/canvasses/{canvass_id}/deny", data={"csrf_token": token, "reason": REASON}
    )
    assert "Denied." in browser.get(denied.headers["Location"]).get_data(as_text=True)
    view = client.get(path, headers=detective).get_json()
    assert view["status"] == "denied" and view["decision_reason"] == REASON
