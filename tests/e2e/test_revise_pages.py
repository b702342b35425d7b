"""The page that changes a canvass a supervisor sent back: filled in with the canvass as it
stands, each refusal shown beside its field with what was typed kept, and a canvass past
changing sent back to its page with the reason, never an error page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_requests import AT, INCIDENT
from tests.e2e.test_owner_pages import csrf_of, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PASSWORD = "a staff passphrase"
REASON = "The circle takes in the whole district; keep it to the blocks around the shop."
PLACE = type("Place", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})


def signed_in(app, email):
    browser = app.test_client()
    response = post_form(browser, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser


@pytest.fixture
def sent_back(app, client, cli, mailbox):
    """A canvass 700 m around the incident, beyond the limits, sent back by the supervisor;
    the detective's signed-in browser, the canvass's API path and the detective's token."""
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    app.extensions["canvass"].canvass.clock = lambda: AT + timedelta(days=1)
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    supervisor = staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    body = canvass_body(PLACE, AT, "property_crime", 700, {"case_number": "181-004600"})
    path = (
        "/api/v1/canvasses/"
        + (client.post("/api/v1/canvasses", headers=detective, json=body).get_json()["canvass_id"])
    )
    assert client.post(f"{path}/submit", headers=detective).get_json()["status"] == "submitted"
    returned = client.post(f"{path}/send-back", headers=supervisor, json={"reason": REASON})
    assert returned.get_json()["status"] == "sent_back"
    return signed_in(app, "det.lee@sfpd.example"), path, detective


def change_page(path):
    return path.removeprefix("/api/v1") + "/change"


def form_of(page):
    """The form's fields as the page fills them in (text inputs, textareas, checked radios,
    the chosen option)."""
    inputs = r'<input id="([a-z_]+)" name="[a-z_]+" type="[a-z-]+" value="([^"]*)"'
    fields = dict(re.findall(inputs, page))
    fields |= dict(re.findall(r'<textarea id="([a-z_]+)"[^>]*>([^<]*)</textarea>', page))
    fields |= dict(re.findall(r'name="([a-z_]+)" value="([a-z_]+)"\s*checked', page))
    fields["category"] = re.search(r'<option value="([a-z_]+)" selected', page).group(1)
    return fields


def test_the_change_page_holds_the_canvass_as_it_stands_and_the_supervisors_reason(sent_back):
    desk, path, _ = sent_back
    shown = desk.get(change_page(path))
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert REASON in page
    fields = form_of(page)
    assert fields["case_number"] == "181-004600"
    assert fields["radius_m"] == "700"
    assert fields["shape"] == "circle"
    assert fields["legal_basis"] == "owner_consent"
    assert fields["category"] == "property_crime"
    assert float(fields["latitude"]) == pytest.approx(INCIDENT[0])
    assert float(fields["longitude"]) == pytest.approx(INCIDENT[1])
    # the window in Pacific time, as the browser's date-and-time fields write it
    assert fields["window_start"] == (AT - timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    assert fields["window_end"] == (AT + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    assert fields["justification"] == "Looking for the suspect&#39;s route away from the scene."


def test_the_canvass_page_shows_the_reason_and_leads_to_the_change_page(sent_back):
    desk, path, _ = sent_back
    page = desk.get(path.removeprefix("/api/v1")).get_data(as_text=True)
    assert "sent this canvass back to you to change" in page and REASON in page
    assert f'href="{change_page(path)}"' in page
    assert ">Submit again</button>" in page


def the_form_as_shown(desk, path, **changes):
    fields = form_of(desk.get(change_page(path)).get_data(as_text=True))
    fields["justification"] = "Looking for the suspect's route away from the scene."
    return fields | changes


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"window_start": "the night before"}, "window_start", "like 2026-11-20 21:30"),
        ({"window_end": ""}, "window_end", "Give a date and time."),
        ({"radius_m": "60000"}, "radius_m", "From 1 to 50,000 metres."),
        ({"radius_m": "wide"}, "radius_m", ""),
        ({"case_number": ""}, "case_number", ""),
        ({"case_number": "   "}, "case_number", ""),
        ({"shape": "polygon", "corners": "37.76, north"}, "corners", "Corner 1"),
    ],
)
def test_each_refusal_is_shown_beside_its_field_with_what_was_typed_kept(
    client, sent_back, changes, field, message
):
    desk, path, detective = sent_back
    sent = post_form(desk, change_page(path), the_form_as_shown(desk, path, **changes))
    assert sent.status_code == 422
    page = sent.get_data(as_text=True)
    beside = re.search(rf'id="{field}-error"[^>]*>(.*?)</(div|p)>', page, re.S)
    assert beside, f"no message beside {field}"
    assert beside.group(1).strip() and message in beside.group(1)
    assert f'href="#{field}"' in page  # the summary at the top leads to it
    typed = changes[field] if field != "corners" else changes["corners"]
    if typed.strip():
        assert f'value="{typed}"' in page or f">{typed}</textarea>" in page
    assert 'value="181-004600"' in page or field == "case_number"
    # nothing changed: the canvass is still as the supervisor sent it back
    view = client.get(path, headers=detective).get_json()
    assert view["status"] == "sent_back" and view["case_number"] == "181-004600"


def test_a_changed_canvass_is_submitted_again_to_the_supervisor(client, sent_back):
    desk, path, detective = sent_back
    fields = the_form_as_shown(desk, path, radius_m="650", case_number="181-004601")
    sent = post_form(desk, change_page(path), fields)
    assert sent.status_code == 302
    assert sent.headers["Location"].endswith(path.removeprefix("/api/v1"))
    page = desk.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Changed and submitted again: a supervisor must approve it." in page
    assert "Case 181-004601" in page and "Waiting for a supervisor" in page
    view = client.get(path, headers=detective).get_json()
    assert view["status"] == "submitted" and view["area"] == {"circle": {"radius_m": 650.0}}


def test_a_change_within_the_limits_is_approved_at_once(client, sent_back):
    desk, path, detective = sent_back
    sent = post_form(desk, change_page(path), the_form_as_shown(desk, path, radius_m="250"))
    page = desk.get(sent.headers["Location"]).get_data(as_text=True)
    assert "within your agency&#39;s limits, you may send the requests" in page
    assert client.get(path, headers=detective).get_json()["status"] == "approved"


def test_a_dispatched_canvass_cannot_be_changed_and_the_page_says_why(client, sent_back):
    desk, path, detective = sent_back
    fields = the_form_as_shown(desk, path, radius_m="250")
    post_form(desk, change_page(path), fields)
    assert client.post(f"{path}/dispatch", headers=detective).status_code == 200
    canvass_page = path.removeprefix("/api/v1")

    shown = desk.get(change_page(path))
    assert shown.status_code == 302 and shown.headers["Location"].endswith(canvass_page)
    page = desk.get(canvass_page).get_data(as_text=True)
    assert "Only a draft canvass, or one sent back to you, can be changed." in page
    assert f'href="{change_page(path)}"' not in page

    token = csrf_of(page)
    sent = desk.post(change_page(path), data={"csrf_token": token, **fields})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(canvass_page)
    assert "can be changed." in desk.get(canvass_page).get_data(as_text=True)
    assert client.get(path, headers=detective).get_json()["status"] == "dispatched"


def test_a_canvass_of_another_detective_or_none_is_not_found(app, client, cli, mailbox, sent_back):
    _, path, _ = sent_back
    staff(cli, client, mailbox, "investigator", "SFPD", "det.ono@sfpd.example")
    other = signed_in(app, "det.ono@sfpd.example")
    assert other.get(change_page(path)).status_code == 404
    assert other.get("/canvasses/no-such-canvass/change").status_code == 404
