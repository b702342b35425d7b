"""Every field of every form, given bad values: the page names the problem, keeps the rest,
and nothing is stored."""

from __future__ import annotations

import html
import re

import pytest

from tests.e2e.test_owner_pages import csrf_of, signed_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

SITE = {
    "label": "Home",
    "kind": "home",
    "address": "",
    "latitude": "36.6777",
    "longitude": "-121.6555",
    "contact_for_requests": "yes",
    "scope": "all",
}
CAMERA = {
    "label": "Door",
    "bearing_degrees": "90",
    "field_of_view_degrees": "90",
    "range_metres": "20",
    "placement": "outdoor",
    "recording": "motion",
    "retention_days": "14",
}
LONG = "x" * 5000
LOCATION = {k: SITE[k] for k in ("label", "address", "latitude", "longitude")}

# form: (path, valid fields, {field: [(bad value, words the page must show)]})
FORMS = {
    "sign up": (
        "/signup",
        {"display_name": "N", "email": "n@example.org", "password": "a long passphrase"},
        {
            "display_name": [
                ("", "Enter your name (at most 80 characters)."),
                (LONG, "Use at most 80 characters."),
            ],
            "email": [
                ("", "Enter your email address, like name@example.org"),
                ("not-an-email", "like name@example.org"),
                (LONG, "Use at most 254 characters."),
            ],
            "password": [
                ("", "Use at least 10 characters; a short sentence is easy to remember."),
                ("short", "Use at least 10 characters; a short sentence is easy to remember."),
                (LONG, "Use at most 256 characters."),
            ],
        },
    ),
    "forgot password": (
        "/forgot-password",
        {"email": "n@example.org"},
        {
            "email": [
                ("", "Enter your email address, like name@example.org"),
                ("nope", "like name@example.org"),
            ],
        },
    ),
    "new site": (
        "/sites/new",
        SITE,
        {
            "label": [("", "Use 1 to 100 characters."), (LONG, "Use 1 to 100 characters.")],
            "kind": [("castle", "Choose one of: home, business.")],
            "address": [(LONG, "Use at most 200 characters.")],
            "latitude": [
                ("north", "Enter a number."),
                ("91", "Latitude must be a number from -90 to 90."),
            ],
            "longitude": [
                ("west", "Enter a number."),
                ("-181", "Longitude must be a number from -180 to 180."),
            ],
            "scope": [("chosen", "Tick at least one kind of incident")],
        },
    ),
    "edit site": (
        "/sites/{site}/edit",
        LOCATION,
        {
            "label": [("", "Use 1 to 100 characters."), (LONG, "Use 1 to 100 characters.")],
            "address": [(LONG, "Use at most 200 characters.")],
            "latitude": [("north", "Enter a number."), ("", "Give both latitude and longitude")],
            "longitude": [("181", "Longitude must be a number from -180 to 180.")],
        },
    ),
    "new camera": (
        "/sites/{site}/cameras",
        CAMERA,
        {
            "label": [("", "This field is required."), (LONG, "Use 1 to 100 characters.")],
            "bearing_degrees": [
                ("", "This field is required."),
                ("east", "Enter a number."),
                ("360", "from 0 (north) up to 360 degrees"),
            ],
            "field_of_view_degrees": [("0", "from 1 to 360 degrees"), ("wide", "Enter a number.")],
            "range_metres": [("501", "from 1 to 500 metres"), ("", "This field is required.")],
            "placement": [("underwater", "Choose one of: indoor, outdoor.")],
            "recording": [("sometimes", "Choose one of: continuous, motion.")],
            "retention_days": [
                ("0", "1 to 365"),
                ("7.5", "Enter a whole number of days."),
                (LONG, "Enter a whole number of days."),
            ],
        },
    ),
    "consent": (
        "/sites/{site}/consent",
        {"contact_for_requests": "yes", "scope": "all"},
        {
            "scope": [("chosen", "Tick at least one kind of incident")],
        },
    ),
}


def cases():
    for form, (path, valid, fields) in FORMS.items():
        for field, bad in fields.items():
            for value, words in bad:
                yield pytest.param(
                    path, valid, field, value, words, id=f"{form}-{field}-{value[:12]}"
                )


@pytest.mark.parametrize(("path", "valid", "field", "value", "words"), list(cases()))
def test_a_bad_value_in_a_form_is_explained_and_nothing_is_stored(
    app, client, mailbox, path, valid, field, value, words
):
    needs_site = "{site}" in path
    if path not in ("/signup", "/forgot-password") or needs_site:
        signed_in(client, mailbox)
    site_path = ""
    if needs_site:
        page = client.get("/sites/new").get_data(as_text=True)
        created = client.post("/sites/new", data={"csrf_token": csrf_of(page), **SITE})
        site_path = created.headers["Location"].split("?")[0]
    target = path.format(site=site_path.rsplit("/", 1)[-1])
    form_page = target if target.endswith("/edit") else (site_path or target)
    token = csrf_of(client.get(form_page).get_data(as_text=True))
    head = app.extensions["canvass"].store.head()

    response = client.post(target, data={"csrf_token": token, **valid, field: value})

    text = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 422, text[:500]
    assert words in text
    assert 'class="error"' in text
    assert "Traceback" not in text
    assert app.extensions["canvass"].store.head() == head


@pytest.mark.parametrize(
    ("password", "confirm", "words"),
    [
        ("short", "short", "at least 10 characters"),
        ("a long passphrase", "another one entirely", "The two passwords are not the same."),
        ("x" * 300, "x" * 300, "Use at most 256 characters."),
    ],
)
def test_the_set_password_form_explains_a_bad_password_and_changes_nothing(
    app, client, mailbox, password, confirm, words
):
    from tests.e2e.test_owner_journey_api import EMAIL, link_token

    signed_in(client, mailbox)
    client.post(
        "/logout", data={"csrf_token": csrf_of(client.get("/dashboard").get_data(as_text=True))}
    )
    client.post(
        "/forgot-password",
        data={
            "csrf_token": csrf_of(client.get("/forgot-password").get_data(as_text=True)),
            "email": EMAIL,
        },
    )
    path = f"/set-password?token={link_token(mailbox.to(EMAIL)[-1])}"
    head = app.extensions["canvass"].store.head()
    form = client.get(path).get_data(as_text=True)

    response = client.post(
        path, data={"csrf_token": csrf_of(form), "password": password, "confirm": confirm}
    )

    assert response.status_code == 422
    assert words in html.unescape(response.get_data(as_text=True))
    assert app.extensions["canvass"].store.head() == head


@pytest.mark.parametrize("email", ["nobody@example.org", "x" * 5000])
def test_the_login_form_refuses_unknown_credentials_without_saying_which_part_was_wrong(
    client, email
):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"csrf_token": csrf_of(page), "email": email, "password": "whatever it is"}
    )
    assert response.status_code == 401
    assert "That email address and password do not match an account." in response.get_data(
        as_text=True
    )


@pytest.mark.parametrize(
    ("email", "password", "words"),
    [
        ("", "whatever it is", {"email": "Enter your email address"}),
        ("n@example.org", "", {"password": "Enter your password."}),
        ("", "", {"email": "Enter your email address", "password": "Enter your password."}),
    ],
)
def test_the_login_form_sent_with_an_empty_field_says_what_to_enter_beside_it(
    client, email, password, words
):
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login", data={"csrf_token": csrf_of(page), "email": email, "password": password}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 401
    for field, message in words.items():
        assert re.search(rf'<div class="error" id="{field}-error" role="alert"><p>{message}', text)
        assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error" aria-invalid', text)
    assert "do not match an account" not in text


def test_the_sign_up_hint_and_error_state_one_password_rule(client):
    page = client.get("/signup").get_data(as_text=True)
    response = client.post(
        "/signup",
        data={"csrf_token": csrf_of(page), "display_name": "N", "email": "n@example.org"},
    )
    text = html.unescape(response.get_data(as_text=True))
    hint = re.search(r'<p class="hint" id="password-hint">([^<]+)</p>', text).group(1)
    error = re.search(r'<div class="error" id="password-error" role="alert"><p>([^<]+)', text)
    assert hint.startswith("At least 10 characters (at most 256).")
    assert error.group(1).startswith("Use at least 10 characters")
    assert 'aria-describedby="password-hint password-error" aria-invalid="true"' in text
    assert "Use 1 to 256" not in text
