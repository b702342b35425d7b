"""Investigators and supervisors work through the pages: the canvass form with its policy
feedback, the canvass page, the approval queue, visits and exports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_requests import AT, INCIDENT, neighbourhood  # noqa: F401
from tests.e2e.test_owner_pages import csrf_of, post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

PASSWORD = "a staff passphrase"


def logged_in(app, email):
    """A browser session of a staff member created by `staff` (password already set)."""
    browser = app.test_client()
    response = post_form(browser, "/login", {"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return browser, response.headers["Location"]


def canvass_form(**changes):
    """The form as an investigator fills it: 30 minutes, 250 m around the incident."""
    start = AT.replace(tzinfo=None)
    form = {
        "case_number": "181-004512",
        "category": "property_crime",
        "latitude": str(INCIDENT[0]),
        "longitude": str(INCIDENT[1]),
        "address": "",
        "shape": "circle",
        "radius_m": "250",
        "polygon": "",
        "window_start": start.isoformat(timespec="minutes"),
        "window_end": (start + timedelta(minutes=30)).isoformat(timespec="minutes"),
        "justification": "A burglary at a shop; the suspect left on foot towards 20th St.",
        "legal_basis": "owner_consent",
    }
    return form | changes


@pytest.fixture
def desk(app, client, cli, mailbox, neighbourhood):  # noqa: F811
    """The neighbourhood's detective, logged in to the pages, in Pacific time."""
    app.config["TIME_ZONE"] = "America/Los_Angeles"
    browser, landing = logged_in(app, "det.lee@sfpd.example")
    assert landing.endswith("/canvasses")
    return browser


def open_through_form(desk, **changes):
    return post_form(desk, "/canvasses/new", canvass_form(**changes))


def test_the_form_reports_the_policy_as_the_investigator_draws(desk):
    token = csrf_of(desk.get("/canvasses/new").get_data(as_text=True))

    def check(**changes):
        response = desk.post(
            "/canvasses/check", data={"csrf_token": token, **canvass_form(**changes)}
        )
        assert response.status_code == 200
        return response.get_json()

    within = check()
    assert within["within_limits"] is True
    assert within["area_square_miles"] == pytest.approx(0.0758, abs=0.0005)

    too_wide = check(radius_m="700")
    assert too_wide["within_limits"] is False and not too_wide["refusals"]
    assert "above the maximum of 0.5" in too_wide["exceedances"]["area"][0]

    never = check(category="immigration_enforcement")
    assert never["refusals"]["category"] == [
        "Canvassing for immigration enforcement is never allowed."
    ]

    unfinished = check(latitude="", longitude="", radius_m="")
    assert (
        "Click the map where it happened, or give its address."
        in unfinished["refusals"]["incident"]
    )
    assert unfinished["refusals"]["radius_m"] == ["Give the radius in metres, e.g. 250."]

    # nothing was opened by checking
    assert "You have not opened a canvass yet." in desk.get("/canvasses").get_data(as_text=True)


def test_a_canvass_within_the_limits_is_opened_ranked_and_sent_from_the_pages(desk, mailbox):
    opened = open_through_form(desk)
    assert opened.status_code == 302
    page = desk.get(opened.headers["Location"]).get_data(as_text=True)

    assert "Within your agency" in page or "you may send the requests" in page
    assert "Case 181-004512" in page and "approved" in page
    assert "Fri 14 Dec 2018, 21:40 PST" in page  # shown in the agency's time zone
    rows = re.findall(r'<tr class="candidate">(.*?)</tr>', page, re.S)
    assert len(rows) == 3
    distances = [int(re.search(r"about (\d+) m ", row).group(1)) for row in rows]
    assert distances == sorted(distances)  # same retention and all look at it: nearest first
    assert all("expires in 13 days" in row for row in rows)  # kept 14 days; a day has passed
    assert all("Not asked yet" in row for row in rows)

    sent = post_form(desk, opened.headers["Location"] + "/dispatch", {})
    assert sent.status_code == 302
    page = desk.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Requests made to 3 owners; their emails go out within a few minutes." in page
    assert "3 requests made" in page and page.count("No answer to show") >= 3
    assert "3</strong> not yet delivered" in page  # nothing is shown as sent before it is
    for name in ("ana", "ben", "cy"):
        assert f"{name}@example.org" not in page
    assert not [m for m in mailbox.messages if m["Subject"].startswith("A request")]

    desk.application.test_cli_runner().invoke(args=["outbox", "send"])  # the mail job
    page = desk.get(opened.headers["Location"]).get_data(as_text=True)
    assert "not yet delivered" not in page
    assert len([m for m in mailbox.messages if m["Subject"].startswith("A request")]) == 3


def test_an_unacceptable_form_is_explained_beside_its_fields_and_nothing_is_opened(desk):
    refused = open_through_form(desk, radius_m="lots", legal_basis="")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Enter a number." in page
    assert "Choose the legal basis for asking owners." in page
    assert 'value="lots"' in page  # what was typed is kept

    refused = open_through_form(desk, case_number="", window_end="2018-12-14T21:00")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "A case number is required." in page
    assert "The window must end after it starts." in page
    assert "You have not opened a canvass yet." in desk.get("/canvasses").get_data(as_text=True)


def test_a_supervisor_approves_a_wide_canvass_from_the_queue_with_a_reason(
    app, client, cli, mailbox, desk
):
    staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    supervisor, _ = logged_in(app, "sgt.kim@sfpd.example")
    opened = open_through_form(desk, radius_m="700", case_number="181-004600")
    page = desk.get(opened.headers["Location"]).get_data(as_text=True)
    assert "Waiting for a supervisor" in page and "above the maximum of 0.5" in page
    assert "Send the requests" not in page

    queue = supervisor.get("/approvals").get_data(as_text=True)
    assert "Case 181-004600" in queue and "above the maximum of 0.5" in queue
    canvass_id = opened.headers["Location"].rsplit("/", 1)[1]

    short = supervisor.post(
        f"/canvasses/{canvass_id}/approve", data={"csrf_token": csrf_of(queue), "reason": "ok"}
    )
    assert short.status_code == 422
    assert "Explain in at least 20 characters" in short.get_data(as_text=True)

    reason = "Suspect fled through the park; the wider area covers the escape route."
    approved = supervisor.post(
        f"/canvasses/{canvass_id}/approve", data={"csrf_token": csrf_of(queue), "reason": reason}
    )
    assert approved.status_code == 302
    assert "Nothing is waiting for you." in supervisor.get("/approvals").get_data(as_text=True)
    page = desk.get(opened.headers["Location"]).get_data(as_text=True)
    assert reason in page and "Send the requests" in page


def test_a_door_knock_is_logged_from_the_canvass_page_and_exported(desk):
    opened = open_through_form(desk)
    path = opened.headers["Location"]
    token = csrf_of(desk.get(path).get_data(as_text=True))
    visit = {
        "csrf_token": token,
        "address": "3321 20th St",
        "latitude": "37.75890",
        "longitude": "-122.41630",
        "result": "camera_present",
        "retention_days": "7",
        "clock_offset_seconds": "-45",
        "contact_made": "yes",
        "revisit_due": "2018-12-17",
        "note": "Manager will export the clip tomorrow.",
    }
    assert desk.post(f"{path}/visits", data=visit).status_code == 302
    page = desk.get(path).get_data(as_text=True)
    assert "The visit is logged." in page and "3321 20th St" in page and "keeps 7 days" in page

    bad = desk.post(f"{path}/visits", data=visit | {"retention_days": "many", "result": "?"})
    assert bad.status_code == 302
    page = desk.get(path).get_data(as_text=True)
    assert "The visit was not logged" in page and "keeps 7 days" in page
    assert page.count("3321 20th St") == 2  # the logged visit, and the refused one kept typed
    assert 'name="retention_days" type="text" value="many"' in page
    assert 'aria-describedby="retention_days-error"' in page and "Give a whole number." in page
    assert "Choose what you found at the door." in page
    assert desk.get(path).get_data(as_text=True).count("3321 20th St") == 1  # shown once only

    geojson = desk.get(f"{path}/export.geojson")
    assert (
        geojson.headers["Content-Disposition"]
        == 'attachment; filename="canvass-181-004512.geojson"'
    )
    kinds = [f["properties"]["kind"] for f in geojson.get_json()["features"]]
    assert kinds.count("visit") == 1 and kinds.count("candidate") == 3
    table = desk.get(f"{path}/export.csv").get_data(as_text=True)
    assert "camera_present" in table
    assert desk.get(f"{path}/export.pdf").status_code == 404


def test_staff_pages_are_closed_to_owners_and_to_other_investigators(
    app,
    client,
    cli,
    mailbox,
    desk,
    neighbourhood,  # noqa: F811
):
    opened = open_through_form(desk)
    staff(cli, client, mailbox, "investigator", "SFPD", "det.roe@sfpd.example")
    other, _ = logged_in(app, "det.roe@sfpd.example")
    assert other.get(opened.headers["Location"]).status_code == 404
    assert other.get("/approvals").status_code == 403

    owner = app.test_client()
    post_form(
        owner, "/login", {"email": "ana@example.org", "password": "correct horse battery staple"}
    )
    assert owner.get("/canvasses").status_code == 403
    assert owner.get("/canvasses/new").status_code == 403

    anonymous = app.test_client().get("/canvasses/new")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_the_api_checks_a_canvass_against_policy_without_opening_it(client, neighbourhood):  # noqa: F811
    from tests.e2e.test_canvass_api import canvass_body

    _, detective = neighbourhood
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    wide = canvass_body(place, AT, "property_crime", 700, {"case_number": "181-004512"})
    checked = client.post("/api/v1/canvasses/check", headers=detective, json=wide)
    assert checked.status_code == 200
    body = checked.get_json()
    assert body["within_limits"] is False and body["refusals"] == {}
    assert list(body["exceedances"]) == ["area"]
    assert body["area_square_miles"] == pytest.approx(0.5946, abs=0.001)
    assert client.get("/api/v1/canvasses", headers=detective).get_json()["canvasses"] == []

    malformed = client.post("/api/v1/canvasses/check", headers=detective, json={"area": {}})
    assert malformed.status_code == 422
    assert "case_number" in malformed.get_json()["errors"]


@pytest.mark.parametrize(
    "query",
    ["", "latitude=north&longitude=1", "latitude=91&longitude=0", "latitude=1e400&longitude=0"],
)
def test_the_form_s_address_lookup_explains_a_bad_place(desk, query):
    response = desk.get(f"/canvasses/places?{query}")
    assert response.status_code == 400
    assert "latitude (-90 to 90)" in response.get_json()["message"]


def test_the_form_s_address_lookup_finds_nothing_in_an_empty_gazetteer(desk):
    assert desk.get("/canvasses/places?address=1531+McKinnon+St").get_json() == {"candidates": []}
    near = desk.get(f"/canvasses/places?latitude={INCIDENT[0]}&longitude={INCIDENT[1]}")
    assert near.status_code == 200 and near.get_json() == {"address": None}
