"""The owners' pages through the Flask test client: forms, CSRF, redirects and privacy."""

from __future__ import annotations

import html
import re
from collections import Counter

import pytest

from audit import coverage
from registry.cells import cell_of
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, link_token
from tests.support.mail import deliver_mail
from tests.support.sign_in import sign_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def post_form(client, path, data):
    if path == "/login":  # and the code after the password, for staff
        return sign_in(client, data["email"], data["password"])
    token = csrf_of(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def signed_in(client, mailbox):
    response = post_form(
        client, "/signup", {"display_name": "Maria", "email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/signup/sent")
    deliver_mail(client.application)
    link = f"/verify-email?token={link_token(mailbox.to(EMAIL)[0])}"
    verified = post_form(client, link, {})
    assert verified.status_code == 302
    login = post_form(client, "/login", {"email": EMAIL, "password": PASSWORD})
    assert login.status_code == 302 and login.headers["Location"].endswith("/dashboard")
    return client


def test_an_owner_adds_a_site_by_pin_and_a_camera_through_the_pages(app, client, mailbox):
    signed_in(client, mailbox)
    created = post_form(
        client,
        "/sites/new",
        {
            "label": "Home",
            "kind": "home",
            "address": "",
            "latitude": "36.6777",
            "longitude": "-121.6555",
            "contact_for_requests": "yes",
            "scope": "chosen",
            "categories": ["violent_crime", "missing_person"],
        },
    )
    assert created.status_code == 302
    site_path = created.headers["Location"]
    page = client.get(site_path).get_data(as_text=True)
    assert "Your site is registered" in page

    added = client.post(
        f"{site_path}/cameras",
        data={
            "csrf_token": csrf_of(page),
            "label": "Front door",
            "bearing_degrees": "180",
            "field_of_view_degrees": "90",
            "range_metres": "15",
            "placement": "outdoor",
            "recording": "motion",
            "retention_days": "14",
        },
    )
    assert added.status_code == 302
    page = client.get(site_path).get_data(as_text=True)
    assert "Front door" in page and "14 days" in page
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Home" in dashboard and "1 camera" in dashboard
    assert '"label": "Front door"' in dashboard.replace("&#34;", '"')


def test_a_form_with_mistakes_keeps_what_was_typed_and_names_each_problem(app, client, mailbox):
    signed_in(client, mailbox)
    before = app.extensions["canvass"].store.head()  # the sign-up's and the login's events
    response = post_form(
        client,
        "/sites/new",
        {
            "label": "",
            "kind": "home",
            "address": "",
            "latitude": "91",
            "longitude": "",
            "contact_for_requests": "yes",
            "scope": "all",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "This field is required." in page or "Use 1 to 100 characters." in page
    assert "Latitude must be a number from -90 to 90." in page
    assert 'value="91"' in page
    assert app.extensions["canvass"].store.head() == before  # nothing more


def test_a_camera_with_a_bad_value_is_explained_next_to_the_field(app, client, mailbox):
    signed_in(client, mailbox)
    created = post_form(
        client,
        "/sites/new",
        {
            "label": "Shop",
            "kind": "business",
            "latitude": "36.6",
            "longitude": "-121.6",
            "contact_for_requests": "yes",
            "scope": "all",
        },
    )
    site_path = created.headers["Location"]
    page = client.get(site_path).get_data(as_text=True)
    response = client.post(
        f"{site_path}/cameras",
        data={
            "csrf_token": csrf_of(page),
            "label": "Till",
            "bearing_degrees": "400",
            "field_of_view_degrees": "90",
            "range_metres": "ten",
            "placement": "outdoor",
            "recording": "motion",
            "retention_days": "two weeks",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "The direction must be from 0 (north) up to 360 degrees." in text
    assert "Enter a number." in text
    assert "Enter a whole number of days." in text
    assert 'value="Till"' in text


def test_pages_for_owners_send_strangers_to_the_login_page(client):
    for path in ("/dashboard", "/sites/new", "/sites/anything"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login?next=" in response.headers["Location"]


def test_a_form_without_its_csrf_token_is_refused(client, mailbox):
    response = client.post(
        "/signup", data={"display_name": "M", "email": EMAIL, "password": PASSWORD}
    )
    assert response.status_code == 400
    assert "Traceback" not in response.get_data(as_text=True)
    assert mailbox.messages == []


def test_login_does_not_redirect_to_other_websites(client, mailbox):
    signed_in(client, mailbox)
    client.post(
        "/logout", data={"csrf_token": csrf_of(client.get("/dashboard").get_data(as_text=True))}
    )
    page = client.get("/login?next=https://evil.example/").get_data(as_text=True)
    response = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page),
            "email": EMAIL,
            "password": PASSWORD,
            "next": "https://evil.example/",
        },
    )
    assert response.headers["Location"].endswith("/dashboard")


def test_the_public_map_counts_cameras_per_square_and_hides_sparse_squares(
    app, client, cli, shared_data
):
    cli.invoke(
        args=[
            "registry",
            "import",
            str(shared_data / "baltimore_cctv_locations.csv"),
            "--format",
            "baltimore-citiwatch",
        ]
    )
    body = client.get("/api/v1/public/coverage").get_json()
    blocks = body["blocks"]
    assert blocks and all(block["owners"] >= 10 for block in blocks)
    # What the noise was drawn from: the true owners per square this month.
    with app.extensions["canvass"].engine.connect() as conn:
        counted = coverage.contributions(conn, body["period"])
    true_owners = Counter(contribution.block for contribution in counted.values())
    shown = {
        cell_of((b["south"] + b["north"]) / 2, (b["west"] + b["east"]) / 2).block for b in blocks
    }
    assert shown <= set(true_owners)  # noise never invents a square without cameras
    # Sparse squares are hidden. Noise of 7 owners or more happens about once in 2,000
    # squares, so "at most a tenth shown" fails about never while a broken threshold fails it.
    sparse = {block for block, n in true_owners.items() if n <= 3}
    assert len(sparse) >= 10
    assert len(shown & sparse) <= len(sparse) // 10
    busy = {block for block, n in true_owners.items() if n >= 25}
    assert busy and busy <= shown  # and squares with many owners are on the map
    text = str(body)
    assert "site_id" not in text and "latitude" not in text
    assert client.get("/map").status_code == 200


def test_another_owners_site_page_is_not_found_and_cannot_be_changed(app, client, mailbox):
    from tests.e2e.test_owner_journey_api import sign_up_and_verify

    bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, "alice@example.org")}
    site = client.post(
        "/api/v1/sites",
        headers=bearer,
        json={"label": "Alice's", "latitude": 36.6, "longitude": -121.6},
    ).get_json()
    signed_in(client, mailbox)  # Maria
    head = app.extensions["canvass"].store.head()
    for path in (
        f"/sites/{site['site_id']}",
        f"/sites/{site['site_id']}/edit",
        f"/sites/{site['site_id']}/unregister",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "Page not found" in response.get_data(as_text=True)
    token = csrf_of(client.get("/dashboard").get_data(as_text=True))
    for action in ("pause", "resume", "unregister", "consent", "cameras"):
        response = client.post(f"/sites/{site['site_id']}/{action}", data={"csrf_token": token})
        assert response.status_code == 404, action
    assert app.extensions["canvass"].store.head() == head
    assert "Alice" not in client.get("/dashboard").get_data(as_text=True)


def test_the_public_map_page_loads_its_own_script_and_leaflet_from_the_service(client):
    page = client.get("/map").get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts == [
        "/assets/leaflet/leaflet.js",
        "/static/js/maps.js",
        "/static/js/coverage-map.js",
    ]
    for script in scripts:
        response = client.get(script)
        assert response.status_code == 200
        response.close()


def test_choosing_only_some_incidents_but_ticking_none_says_what_to_do(app, client, mailbox):
    signed_in(client, mailbox)
    refused = post_form(
        client,
        "/sites/new",
        {
            "label": "Home",
            "kind": "home",
            "address": "",
            "latitude": "37.7614",
            "longitude": "-122.4241",
            "contact_for_requests": "yes",
            "scope": "chosen",
        },
    )
    assert refused.status_code == 422
    page = html.unescape(refused.get_data(as_text=True))
    assert "Tick at least one kind of incident under “Only these”" in page
    assert "1 to 4 kinds" not in page


def test_a_camera_change_with_a_bad_value_is_explained_and_nothing_changes(app, client, mailbox):
    from tests.e2e.test_owner_journey_api import sign_up_and_verify

    signed_in(client, mailbox)
    created = post_form(
        client,
        "/sites/new",
        {"label": "Shop", "kind": "business", "latitude": "37.76", "longitude": "-122.42",
         "contact_for_requests": "yes", "scope": "all"},
    )  # fmt: skip
    site_path = created.headers["Location"]
    camera = {"label": "Till", "bearing_degrees": "90", "field_of_view_degrees": "90",
              "range_metres": "15", "placement": "indoor", "recording": "motion",
              "retention_days": "7"}  # fmt: skip
    page = client.get(site_path).get_data(as_text=True)
    client.post(f"{site_path}/cameras", data={"csrf_token": csrf_of(page), **camera})
    edit_path = re.search(r'href="(/sites/[^"]+/cameras/[^"]+/edit)"', client.get(site_path).text)
    edit_path = edit_path.group(1)
    form = client.get(edit_path).get_data(as_text=True)
    assert 'value="Till"' in form and 'value="90"' in form and 'value="7"' in form

    head = app.extensions["canvass"].store.head()
    refused = client.post(
        edit_path, data={"csrf_token": csrf_of(form), **camera, "bearing_degrees": "east"}
    )
    assert refused.status_code == 422
    assert "Enter a number." in refused.get_data(as_text=True)
    assert 'value="east"' in refused.get_data(as_text=True)
    assert app.extensions["canvass"].store.head() == head

    saved = client.post(
        edit_path, data={"csrf_token": csrf_of(form), **camera, "retention_days": "30"}
    )
    assert saved.status_code == 302
    assert "30 days" in client.get(site_path).get_data(as_text=True)

    # Another owner can neither open nor change it.
    sign_up_and_verify(client, mailbox, "eve@example.org")
    client.post("/logout", data={"csrf_token": csrf_of(form)})
    login = post_form(client, "/login", {"email": "eve@example.org", "password": PASSWORD})
    assert login.status_code == 302
    assert client.get(edit_path).status_code == 404
    token = csrf_of(client.get("/dashboard").get_data(as_text=True))
    head = app.extensions["canvass"].store.head()
    assert client.post(edit_path, data={"csrf_token": token, **camera}).status_code == 404
    assert app.extensions["canvass"].store.head() == head
