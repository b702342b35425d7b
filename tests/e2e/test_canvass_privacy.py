"""No canvass response shows an investigator an owner's name, email, address or position."""

from __future__ import annotations

import re

import pytest

from tests.e2e.test_canvass_requests import (  # noqa: F401
    INCIDENT,
    neighbourhood,
    open_and_dispatch,
)
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import link_token
from tests.support.people import people
from tests.support.sites import site_places
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def test_every_canvass_endpoint_answers_without_owners_personal_data(
    app,
    client,
    mailbox,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    for name in owners:
        [message] = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        upload(client, link_token(message), mp4())

    secrets = []
    for owner in people(app, "owner"):
        secrets += [owner.email, owner.display_name]
    for _, _, lat, lon in site_places(app.extensions["canvass"]):
        secrets += [f"{lat:.5f}", f"{lon:.5f}"]
    assert len(secrets) == 12

    canvass_id = path.rsplit("/", 1)[-1]
    sha = client.get(f"{path}/footage", headers=detective).get_json()["files"][0]["sha256"]
    routes = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/canvasses") and "GET" in rule.methods
    ]
    assert len(routes) >= 6
    for rule in routes:
        url = rule.replace("<canvass_id>", canvass_id).replace("<sha256>", sha)
        response = client.get(url, headers=detective)
        assert response.status_code == 200, url
        body = response.get_data(as_text=response.mimetype.startswith("application/json"))
        text = body if isinstance(body, str) else body.decode("latin-1")
        response.close()
        found = [secret for secret in secrets if secret in text]
        assert not found, (url, found)
        assert not re.search(r"@example\.org", text), url


def test_every_staff_page_shows_no_owners_personal_data(
    app,
    client,
    cli,
    mailbox,
    neighbourhood,  # noqa: F811
):
    from tests.e2e.test_canvass_api import staff
    from tests.e2e.test_canvass_pages import logged_in

    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    for name in owners:
        [message] = [
            m for m in mailbox.to(f"{name}@example.org") if m["Subject"].startswith("A request")
        ]
        upload(client, link_token(message), mp4(name.encode() * 100))
    staff(cli, client, mailbox, "supervisor", "SFPD", "sgt.kim@sfpd.example")
    # The cameras stand due north of the incident: their longitude is the incident's, which
    # the pages rightly show.
    incident = {f"{INCIDENT[0]:.5f}", f"{INCIDENT[1]:.5f}"}
    secrets = [secret for secret in owners_secrets(app) if secret not in incident]
    canvass_id = path.rsplit("/", 1)[-1]
    sha = client.get(f"{path}/footage", headers=detective).get_json()["files"][0]["sha256"]

    pages = [
        rule
        for rule in app.url_map.iter_rules()
        if (rule.rule.startswith("/canvasses") or rule.rule == "/approvals")
        and "GET" in rule.methods
    ]
    assert len(pages) >= 7
    for email in ("det.lee@sfpd.example", "sgt.kim@sfpd.example"):
        browser, _ = logged_in(app, email)
        for rule in pages:
            staff_only = {
                "/approvals": "sgt.",
                "/canvasses/new": "det.",
                "/canvasses/places": "det.",
                "/canvasses/<canvass_id>/change": "det.",
            }
            if not email.startswith(staff_only.get(rule.rule, email)):
                continue  # the other role's page
            url = (
                rule.rule.replace("<canvass_id>", canvass_id)
                .replace("<sha256>", sha)
                .replace("<kind>", "geojson")
            )
            if rule.rule == "/canvasses/places":
                url += "?address=1+Main+St"  # the form's lookup answers only what is asked
            # a dispatched canvass cannot be changed: its change page leads back to the case
            response = browser.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            text = response.get_data().decode("latin-1")
            response.close()
            assert not [secret for secret in secrets if secret in text], url
            assert "@example.org" not in text, url


def owners_secrets(app) -> list[str]:
    """Every owner's email and name, and each site's coordinates to five decimals."""
    secrets = []
    for owner in people(app, "owner"):
        secrets += [owner.email, owner.display_name]
    for _, _, lat, lon in site_places(app.extensions["canvass"]):
        secrets += [f"{lat:.5f}", f"{lon:.5f}"]
    assert len(secrets) == 12
    return secrets
