"""No personal data leaves without its access record: every GET endpoint and page, as every
role, with real ids; a response that carries an owner's personal data to someone else must
be matched by a new access event naming that owner."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from accounts.permissions import ANY_ACCOUNT
from tests.e2e.test_authorization import declared
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_pages import logged_in
from tests.e2e.test_canvass_requests import (  # noqa: F401
    INCIDENT,
    neighbourhood,
    open_and_dispatch,
)
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import link_token
from tests.e2e.test_owner_pages import post_form
from tests.support.people import people
from tests.support.sites import site_places
from tests.unit.test_footage_store import mp4

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

CLIP_MARK = b"ana's driveway, 21:42, a figure runs east" * 20


def personal_data(app) -> dict[str, list[bytes]]:
    """Each owner's email, name and site coordinates, by owner id."""
    found: dict[str, list[bytes]] = {}
    for owner in people(app, "owner"):
        found[owner.user_id] = [owner.email.encode(), owner.display_name.encode()]
    for owner_id, _, lat, lon in site_places(app.extensions["canvass"]):
        found[owner_id] += [f"{lat:.5f}".encode(), f"{lon:.5f}".encode()]
    return found


def accesses(app) -> list[tuple[str, str]]:
    services = app.extensions["canvass"]
    services.projections.catch_up(["access_log"])
    with services.engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT position, subject_id FROM audit_access")))


def test_every_release_of_personal_data_to_someone_else_is_recorded(
    app,
    client,
    cli,
    mailbox,
    neighbourhood,  # noqa: F811
):
    owners, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    [request] = [m for m in mailbox.to("ana@example.org") if m["Subject"].startswith("A request")]
    assert upload(client, link_token(request), mp4(CLIP_MARK)).status_code == 201
    canvass_id = path.rsplit("/", 1)[1]
    sha = client.get(f"{path}/footage", headers=detective).get_json()["files"][0]["sha256"]
    site_id = owners["ana"][1]
    ana = client.get("/api/v1/me", headers=owners["ana"][0]).get_json()["user_id"]
    app.config["WTF_CSRF_ENABLED"] = False

    headers = {"owner": owners["ana"][0], "investigator": detective}
    browsers = {"owner": app.test_client()}
    post_form(
        browsers["owner"],
        "/login",
        {"email": "ana@example.org", "password": "correct horse battery staple"},
    )
    browsers["investigator"], _ = logged_in(app, "det.lee@sfpd.example")
    for role in ("supervisor", "auditor", "admin"):
        headers[role] = staff(cli, client, mailbox, role, "SFPD", f"{role}@sfpd.example")
        browsers[role], _ = logged_in(app, f"{role}@sfpd.example")
    secrets = personal_data(app)
    secrets[ana].append(CLIP_MARK[:64])
    # The owners share the name the API documentation uses as its example: not a release.
    # The cameras stand due north of the incident, whose longitude the pages rightly show.
    documented = client.get("/api/v1/openapi.json").get_data()
    incident = f"{INCIDENT[1]:.5f}".encode()
    secrets = {
        owner: [s for s in data if s not in documented and s != incident]
        for owner, data in secrets.items()
    }

    values = {"canvass_id": canvass_id, "sha256": sha, "site_id": site_id, "kind": "csv"}
    checked = released = 0
    for role in ANY_ACCOUNT:
        me = client.get("/api/v1/me", headers=headers[role]).get_json()["user_id"]
        for rule, method, _ in declared(app):
            if method != "GET" or not set(rule.arguments) <= set(values):
                continue
            url = rule.rule
            for name in rule.arguments:
                url = url.replace(f"<{name}>", values[name])
            before = accesses(app)
            if url.startswith("/api/"):
                response = client.get(url, headers=headers[role])
            else:
                response = browsers[role].get(url)
            body = response.get_data()
            response.close()
            new = [subject for _, subject in accesses(app)[len(before) :]]
            checked += 1
            for owner, data in secrets.items():
                if owner == me:
                    continue  # an owner reading their own data
                if any(item in body for item in data):
                    released += 1
                    which = [item for item in data if item in body]
                    assert owner in new, f"{url} as {role} released {which} unrecorded"
    assert checked > 5 * 40
    assert released >= 4  # the clip and the package, to the investigator and the supervisor
