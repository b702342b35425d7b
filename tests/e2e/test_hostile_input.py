"""Hostile input at every door: refused with the field named, nothing appended to the log,
never a 500, on both backends."""

from __future__ import annotations

import io

import pytest

from events_store import ANY, InvalidEventError, NewEvent
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_pages import (  # noqa: F401
    canvass_form,
    desk,
    logged_in,
    open_through_form,
)
from tests.e2e.test_canvass_requests import (  # noqa: F401
    AT,
    INCIDENT,
    neighbourhood,
    open_and_dispatch,
)
from tests.e2e.test_canvass_visits_exports import VISIT
from tests.e2e.test_owner_journey_api import link_token, sign_up_and_verify
from tests.e2e.test_owner_pages import csrf_of, post_form, signed_in
from tests.unit.test_footage_store import mp4

NUL = "Porch\x00light"
CAMERA = {
    "label": "Porch",
    "bearing_degrees": 180,
    "field_of_view_degrees": 90,
    "range_metres": 50,
    "retention_days": 14,
}
PIN = {"label": "Home", "latitude": 37.7620, "longitude": -122.4241}
# Corners of a bow-tie about 3 km across: its two lobes' signed areas cancel out.
BOW_TIE = [[37.75, -122.44], [37.77, -122.41], [37.77, -122.44], [37.75, -122.41]]
HUGE = str(10**30)


@pytest.fixture
def owner(client, mailbox):
    return {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox)}


@pytest.fixture
def detective(neighbourhood):  # noqa: F811
    return neighbourhood[1]


def head(app) -> int:
    return app.extensions["canvass"].store.head()


def refused(app, before: int, response, field: str) -> dict:
    """The answer is a 422 that names the field, and the log did not grow."""
    answer = response.get_json()
    assert response.status_code == 422, answer
    assert field in answer["errors"], answer
    assert head(app) == before
    return answer


def canvass(**changes):
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    return canvass_body(place, AT, "property_crime", 250, changes)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"clock_offset_seconds": 10**30}, "clock_offset_seconds"),
        ({"clock_offset_seconds": 3 * 86_400}, "clock_offset_seconds"),
        ({"address": "2400 Mission\x00 St"}, "address"),
        ({"note": "back at\x00 4"}, "note"),
        ({"retention_days": 10**30}, "retention_days"),
        ({"revisit_due": "0001-01-01"}, "revisit_due"),
    ],
)
def test_a_visit_the_read_model_could_not_hold_is_refused(app, client, detective, changes, field):
    path, _ = open_and_dispatch(client, detective)
    before = head(app)
    response = client.post(f"{path}/visits", headers=detective, json=VISIT | changes)
    refused(app, before, response, field)
    assert client.post(f"{path}/visits", headers=detective, json=VISIT).status_code == 201


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (PIN | {"label": NUL}, "label"),
        (PIN | {"label": "Home \u202eemoH"}, "label"),
        (PIN | {"label": "Home\nfront"}, "label"),
        (PIN | {"address": "1 Main\x00 St"}, "address"),
        (PIN | {"cameras": [CAMERA | {"label": NUL}]}, "cameras"),
        (PIN | {"cameras": [CAMERA | {"label": "   "}]}, "cameras"),
        (PIN | {"cameras": [CAMERA, CAMERA | {"retention_days": 10**30}]}, "cameras"),
        (PIN | {"latitude": 10**400}, "latitude"),
    ],
)
def test_a_site_is_registered_with_all_its_cameras_or_not_at_all(app, client, owner, body, field):
    before = head(app)
    refused(app, before, client.post("/api/v1/sites", headers=owner, json=body), field)
    assert client.get("/api/v1/sites", headers=owner).get_json()["sites"] == []


def test_a_site_with_its_cameras_is_one_append(app, client, owner):
    before = head(app)
    cameras = [CAMERA | {"label": f"Camera {n}"} for n in range(3)]
    response = client.post("/api/v1/sites", headers=owner, json=PIN | {"cameras": cameras})
    assert response.status_code == 201, response.get_json()
    assert [c["label"] for c in response.get_json()["cameras"]] == [c["label"] for c in cameras]
    appended = app.extensions["canvass"].store.read_all(after=before)
    assert [event.type for event in appended] == ["SiteRegistered"] + ["CameraAdded"] * 3
    assert len({event.stream_id for event in appended}) == 1


def test_text_is_stored_in_one_unicode_form(client, owner):
    decomposed = "Cafe\u0301"  # "e" and a combining accent
    response = client.post("/api/v1/sites", headers=owner, json=PIN | {"label": decomposed})
    assert response.status_code == 201
    assert response.get_json()["label"] == "Caf\u00e9"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"justification": "Suspect seen\x00 leaving."}, "justification"),
        ({"case_number": "181-\x00004512"}, "case_number"),
        ({"window_start": "0001-01-01T00:00:00+01:00"}, "window_start"),
        ({"window_end": "9999-12-31T23:00:00-05:00"}, "window_end"),
        ({"area": {"polygon": BOW_TIE}}, "area"),
        ({"area": {"polygon": [*BOW_TIE[:3], BOW_TIE[0]]}}, "area"),
        ({"area": {"polygon": [[37.75, -122.44], [37.77, -122.41], [137.7, -122.44]]}}, "area"),
        ({"area": {"radius_m": 10**400}}, "area"),
        ({"incident": {"latitude": 10**30, "longitude": -122.4}}, "incident"),
    ],
)
@pytest.mark.parametrize("endpoint", ["/api/v1/canvasses", "/api/v1/canvasses/check"])
def test_a_canvass_the_service_could_not_hold_is_refused(
    app, client, detective, endpoint, changes, field
):
    before = head(app)
    answer = refused(
        app, before, client.post(endpoint, headers=detective, json=canvass(**changes)), field
    )
    if "polygon" in changes.get("area", {}):
        assert "corner" in str(answer["errors"]["area"]["polygon"]).lower()


def test_a_bow_tie_is_refused_while_its_corners_in_order_measure_their_true_area(
    app, client, detective
):
    check = client.post(
        "/api/v1/canvasses/check", headers=detective, json=canvass(area={"polygon": BOW_TIE})
    )
    assert check.status_code == 422
    assert "corner 1 to corner 2" in str(check.get_json()["errors"])
    simple = [BOW_TIE[0], BOW_TIE[2], BOW_TIE[1], BOW_TIE[3]]
    fine = client.post(
        "/api/v1/canvasses/check", headers=detective, json=canvass(area={"polygon": simple})
    )
    assert fine.status_code == 200 and fine.get_json()["area_square_miles"] > 1


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/api/v1/audit/events", {"after": HUGE}, "after"),
        ("/api/v1/audit/events", {"limit": HUGE}, "limit"),
        ("/api/v1/audit/proof/inclusion", {"position": HUGE, "size": "1"}, "position"),
        ("/api/v1/audit/proof/inclusion", {"position": "1", "size": HUGE}, "size"),
        ("/api/v1/audit/proof/consistency", {"from": "1", "to": HUGE}, "to"),
        ("/api/v1/audit/proof/consistency", {"from": HUGE, "to": "2"}, "from"),
        ("/api/v1/audit/access", {"page": HUGE}, "page"),
        ("/api/v1/audit/access", {"per_page": HUGE}, "per_page"),
        ("/api/v1/audit/access", {"from": "0001-01-01T00:00:00+05:00"}, "from"),
        ("/api/v1/audit/access", {"case_number": "181\x00"}, "case_number"),
    ],
)
def test_an_auditors_query_out_of_range_is_refused_naming_the_parameter(
    app, client, cli, mailbox, path, query, field
):
    auditor = staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")
    refused(app, head(app), client.get(path, headers=auditor, query_string=query), field)


@pytest.mark.parametrize(
    ("query", "words"),
    [({"page": HUGE}, "0 accesses found"), ({"page": "-5"}, "0 accesses found"),
     ({"case_number": "1\x00"}, "control character"), ({"from": "0001-01-01"}, "1970"),
     ({"to": "9999-12-31"}, "9998")],
)  # fmt: skip
def test_the_access_log_page_answers_any_query_without_failing(
    app, client, cli, mailbox, query, words
):
    staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")
    browser = app.test_client()
    login = {"email": "aud.ray@sfpd.example", "password": "a staff passphrase"}
    assert post_form(browser, "/login", login).status_code == 302
    response = browser.get("/audit", query_string=query)
    assert response.status_code in (200, 422)
    assert words in response.get_data(as_text=True)


@pytest.fixture
def site(client, owner):
    body = PIN | {"categories": ["traffic"], "contact_for_requests": False}
    return client.post("/api/v1/sites", headers=owner, json=body).get_json()["site_id"]


@pytest.mark.parametrize(
    ("body", "missing"),
    [
        ({"share_exact_location": True}, {"contact_for_requests", "categories"}),
        ({}, {"contact_for_requests", "categories", "share_exact_location"}),
    ],
)
def test_replacing_consent_needs_every_choice(app, client, owner, site, body, missing):
    before = head(app)
    response = client.put(f"/api/v1/sites/{site}/consent", headers=owner, json=body)
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == missing
    assert head(app) == before
    kept = client.get(f"/api/v1/sites/{site}", headers=owner).get_json()
    assert (kept["contact_for_requests"], kept["categories"]) == (False, ["traffic"])


def test_changing_one_consent_choice_keeps_the_others(client, owner, site):
    response = client.patch(
        f"/api/v1/sites/{site}/consent", headers=owner, json={"share_exact_location": True}
    )
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()
    assert changed["share_exact_location"] is True
    assert (changed["contact_for_requests"], changed["categories"]) == (False, ["traffic"])
    bad = client.patch(f"/api/v1/sites/{site}/consent", headers=owner, json={"categories": []})
    assert bad.status_code == 422 and "categories" in bad.get_json()["errors"]


@pytest.mark.parametrize(
    "data",
    [
        {"label": 2**53},
        {"n": -(2**53)},
        {"nested": {"deep": [1, 2, 10**30]}},
        {"label": "a\x00b"},
        {"keys": {"a\x00": 1}},
    ],
)
def test_the_log_refuses_what_its_canonical_encoding_cannot_hold(store, data):
    with pytest.raises(InvalidEventError):
        store.append("site-1", [NewEvent("SiteRenamed", data)], ANY)
    assert store.head() == 0
    store.append("site-1", [NewEvent("SiteRenamed", {"n": 2**53 - 1, "m": -(2**53 - 1)})], ANY)
    assert store.head() == 1


# --- the pages ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"label": NUL}, "control character"),
        ({"address": "1 Main\x00 St"}, "control character"),
        ({"latitude": "1e400"}, "ordinary number"),
    ],
)
def test_the_new_site_form_explains_hostile_input(app, client, mailbox, changes, words):
    signed_in(client, mailbox)
    before = head(app)
    form = {"label": "Home", "kind": "home", "address": "", "latitude": "37.762",
            "longitude": "-122.4241", "contact_for_requests": "yes", "scope": "all"}  # fmt: skip
    response = post_form(client, "/sites/new", form | changes)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert head(app) == before


@pytest.mark.parametrize(
    ("changes", "words"),
    [({"label": NUL}, "control character"), ({"retention_days": HUGE}, "1 to 365")],
)
def test_the_camera_form_explains_hostile_input(app, client, mailbox, changes, words):
    signed_in(client, mailbox)
    form = {"label": "Home", "kind": "home", "address": "", "latitude": "37.762",
            "longitude": "-122.4241", "contact_for_requests": "yes", "scope": "all"}  # fmt: skip
    path = post_form(client, "/sites/new", form).headers["Location"]
    before = head(app)
    token = csrf_of(client.get(path).get_data(as_text=True))
    camera = {"csrf_token": token, "label": "Door", "bearing_degrees": "90",
              "field_of_view_degrees": "90", "range_metres": "20", "placement": "outdoor",
              "recording": "motion", "retention_days": "14"}  # fmt: skip
    response = client.post(f"{path}/cameras", data=camera | changes)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert head(app) == before


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"justification": "Seen\x00 leaving"}, "control character"),
        ({"window_start": "0001-01-01T00:00+01:00"}, "1970"),
        ({"shape": "polygon", "polygon": str(BOW_TIE)}, "corner 1 to corner 2"),
        ({"shape": "polygon", "polygon": "[[1, 2], 3, [4]]"}, "corner"),
        (
            {"shape": "polygon", "polygon": "[[37.75, -122.44], [37.77, 200], [37.77, -122.41]]"},
            "longitude",
        ),
        ({"shape": "polygon", "polygon": '[["x", 1], [2, 3], [4, 5]]'}, "corner"),
        ({"shape": "polygon", "polygon": "[[NaN, 1], [2, 3], [4, 5]]"}, "corner"),
        ({"shape": "polygon", "polygon": "[[1e400, 1], [2, 3], [4, 5]]"}, "corner"),
        ({"radius_m": HUGE}, "50,000"),
    ],
)
def test_the_canvass_form_explains_hostile_input(app, desk, changes, words):  # noqa: F811
    before = head(app)
    response = open_through_form(desk, **changes)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert head(app) == before
    token = csrf_of(desk.get("/canvasses/new").get_data(as_text=True))
    checked = desk.post("/canvasses/check", data=canvass_form(**changes) | {"csrf_token": token})
    assert checked.status_code == 200 and checked.get_json()["within_limits"] is False


@pytest.mark.parametrize(
    "changes",
    [{"clock_offset_seconds": HUGE}, {"address": "3321\x00 20th St"}, {"note": "a\x00b"},
     {"latitude": "1e400"}, {"revisit_due": "0001-01-01"}],
)  # fmt: skip
def test_the_visit_form_explains_hostile_input(app, desk, changes):  # noqa: F811
    path = open_through_form(desk).headers["Location"]
    before = head(app)
    token = csrf_of(desk.get(path).get_data(as_text=True))
    visit = {"csrf_token": token, "address": "3321 20th St", "latitude": "37.75890",
             "longitude": "-122.41630", "result": "camera_present", "retention_days": "7",
             "clock_offset_seconds": "-45", "revisit_due": "2018-12-17"}  # fmt: skip
    response = desk.post(f"{path}/visits", data=visit | changes)
    assert response.status_code == 302
    assert "The visit was not logged" in desk.get(path).get_data(as_text=True)
    # Each view of the canvass page lists its candidates, and that listing is recorded;
    # nothing else may have been appended.
    appended = app.extensions["canvass"].store.read_all(before)
    assert [event.type for event in appended] == ["CandidatesListed"] * len(appended)


@pytest.fixture
def ben_link(client, mailbox, neighbourhood):  # noqa: F811
    """Ben's emailed link to a dispatched canvass's request."""
    open_and_dispatch(client, neighbourhood[1])
    [message] = [m for m in mailbox.to("ben@example.org") if m["Subject"].startswith("A request")]
    return link_token(message)


@pytest.mark.parametrize(
    ("query", "field"),
    [({"clock_offset_seconds": HUGE}, "clock_offset_seconds"),
     ({"statement": "From the DVR\x00"}, "statement"), ({"token": "t\x00"}, "token")],
)  # fmt: skip
def test_an_upload_with_hostile_details_is_refused_before_it_is_kept(
    app, client, ben_link, query, field
):
    before = head(app)
    response = client.put(
        "/api/v1/requests/footage",
        query_string={"token": ben_link} | query,
        data=mp4(b"\x03" * 5000),
        content_type="video/mp4",
    )
    refused(app, before, response, field)


@pytest.mark.parametrize(
    ("fields", "words"),
    [({"clock_offset_seconds": HUGE}, "within a day"),
     ({"clock_offset_seconds": "-30", "statement": "DVR\x00"}, "control character")],
)  # fmt: skip
def test_the_upload_page_explains_hostile_details(app, client, ben_link, fields, words):
    page = client.get(f"/requests/upload?token={ben_link}").get_data(as_text=True)
    before = head(app)
    response = client.post(
        "/requests/upload",
        data={"csrf_token": csrf_of(page), "token": ben_link, **fields,
              "footage": (io.BytesIO(mp4(b"\x04" * 5000)), "clip.mp4")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert head(app) == before


def test_the_answer_page_explains_a_hostile_note(app, client, ben_link):
    page = client.get(f"/requests/answer?token={ben_link}").get_data(as_text=True)
    before = head(app)
    form = {"csrf_token": csrf_of(page), "token": ben_link, "answer": "no_footage"}
    response = client.post("/requests/answer", data=form | {"note": "none\x00"})
    assert response.status_code == 422
    assert "control character" in response.get_data(as_text=True)
    assert head(app) == before
    assert client.post("/requests/answer", data=form | {"note": "none"}).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/sites/a%00b"),
        ("PATCH", "/api/v1/sites/a%00b/consent"),
        ("GET", "/api/v1/canvasses/a%00b"),
        ("GET", "/api/v1/canvasses/a%1bb/visits"),
        ("GET", "/api/v1/audit/owners/a%00b/timeline"),
        ("GET", "/sites/a%00b"),
        ("GET", "/canvasses/a%00b"),
    ],
)
def test_an_id_with_a_control_character_in_the_path_names_nothing(app, client, owner, method, path):
    before = head(app)
    response = client.open(path, method=method, headers=owner, json={"categories": ["all"]})
    assert response.status_code == 404
    assert head(app) == before


def test_an_approval_reason_with_a_control_character_is_explained_and_not_recorded(
    app,
    client,
    cli,
    mailbox,
    desk,  # noqa: F811
):
    staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    supervisor, _ = logged_in(app, "sgt.kim@sfpd.example")
    opened = open_through_form(desk, radius_m="700", case_number="181-004600")
    canvass_id = opened.headers["Location"].rsplit("/", 1)[1]
    queue = supervisor.get("/approvals").get_data(as_text=True)
    before = head(app)
    reason = "The suspect fled\x1b[2J far beyond the usual area."
    response = supervisor.post(
        f"/canvasses/{canvass_id}/approve", data={"csrf_token": csrf_of(queue), "reason": reason}
    )
    assert response.status_code == 422
    assert "control character" in response.get_data(as_text=True)
    assert head(app) == before


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--agency", "SF\x00PD"),
        ("--agency", "\ud800"),
        ("--name", "Lee\x00"),
        ("--name", "\ud800 Lee"),
        ("--agency", "x" * 81),
    ],
)
def test_a_staff_account_the_service_could_not_hold_is_refused_on_the_command_line(
    app, cli, option, value
):
    before = head(app)
    arguments = {"--agency": "SFPD", "--name": "Det. Lee"} | {option: value}
    result = cli.invoke(
        args=["accounts", "create", "--role", "investigator", "--email", "lee@sfpd.example"]
        + [part for pair in arguments.items() for part in pair]
    )
    assert result.exit_code == 1
    assert f"Error: {option}:" in result.output and "Traceback" not in result.output
    assert head(app) == before
    assert app.extensions["canvass"].outbox.status().waiting == 0


def test_the_consent_page_never_opts_an_owner_in_for_a_choice_left_out(app, client, mailbox):
    signed_in(client, mailbox)
    form = {"label": "Home", "kind": "home", "address": "", "latitude": "37.762",
            "longitude": "-122.4241", "contact_for_requests": "no", "scope": "chosen",
            "categories": "traffic"}  # fmt: skip
    path = post_form(client, "/sites/new", form).headers["Location"]
    before = head(app)

    response = post_form(client, f"{path}/consent", {"share_exact_location": "yes"})

    assert response.status_code == 422
    assert head(app) == before
    page = client.get(path).get_data(as_text=True)
    assert 'name="contact_for_requests" value="no" checked' in page
    assert 'name="scope" value="chosen" checked' in page
