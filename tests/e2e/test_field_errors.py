"""A field in error says so to a screen reader: the input is marked invalid and described by
its hint and its message, both of which are on the page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.e2e.test_owner_pages import post_form, signed_in

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


class _Elements(HTMLParser):
    """Every element's attributes and text, by id."""

    def __init__(self) -> None:
        super().__init__()
        self.attributes: dict[str, dict[str, str]] = {}
        self.ids: list[str] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        found = {name: value or "" for name, value in attrs}
        if "id" in found:
            self.ids.append(found["id"])
            self.attributes[found["id"]] = found | {"tag": tag}
            if tag not in ("input", "select"):
                self._open.append(found["id"])
                self.text[found["id"]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open and self.attributes[self._open[-1]]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element in self._open:
            self.text[element] += data


def _elements(page: str) -> _Elements:
    parsed = _Elements()
    parsed.feed(page)
    return parsed


def _described_by(page: _Elements, field: str) -> list[str]:
    """The texts a screen reader reads after the field's label, each from an element found
    exactly once on the page."""
    ids = page.attributes[field].get("aria-describedby", "").split()
    for described in ids:
        assert page.ids.count(described) == 1, f"{field} points at {described}: not one element"
    return [" ".join(page.text[described].split()) for described in ids]


def test_a_bad_email_on_the_sign_up_form_is_read_with_the_field(client):
    response = post_form(
        client,
        "/signup",
        {"display_name": "Nadia", "email": "not-an-email", "password": "short"},
    )
    page = _elements(response.get_data(as_text=True))
    assert response.status_code == 422
    email, password, name = (page.attributes[f] for f in ("email", "password", "display_name"))
    assert email["aria-invalid"] == "true" and password["aria-invalid"] == "true"
    assert "aria-invalid" not in name
    (email_message,) = _described_by(page, "email")
    assert "like name@example.org" in email_message
    hint, message = _described_by(page, "password")
    assert hint.startswith("At least 10 characters")
    assert message.startswith("Use at least 10 characters")
    assert _described_by(page, "display_name") == ["As you would like to be greeted in our emails."]


def test_a_camera_sent_with_bad_numbers_ties_each_message_to_its_field(client, mailbox):
    signed_in(client, mailbox)
    site = post_form(
        client,
        "/sites/new",
        {
            "label": "Home",
            "kind": "home",
            "address": "",
            "latitude": "37.7793",
            "longitude": "-122.4193",
            "contact_for_requests": "yes",
            "scope": "all",
        },
    ).headers["Location"]
    camera = {"label": "Door", "bearing_degrees": "east", "field_of_view_degrees": "400"}
    camera |= {"range_metres": "20", "placement": "outdoor", "recording": "motion"}
    response = post_form(client, f"{site}/cameras", camera | {"retention_days": "14"})
    page = _elements(response.get_data(as_text=True))
    assert response.status_code == 422
    for field in ("bearing_degrees", "field_of_view_degrees"):
        assert page.attributes[field]["aria-invalid"] == "true"
        hint, message = _described_by(page, field)
        assert hint and message, field
    for field in ("label", "range_metres", "retention_days"):
        assert "aria-invalid" not in page.attributes[field]
        assert len(_described_by(page, field)) == 1  # the hint alone
