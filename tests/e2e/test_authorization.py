"""The role x action table, route by route: every endpoint and page declares its action (or is
public on purpose), and every role gets exactly what the table says; staff never reach
another agency's canvasses."""

from __future__ import annotations

import uuid

import pytest

from accounts.permissions import ANY_ACCOUNT, PERMISSIONS
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_canvass_requests import neighbourhood, open_and_dispatch  # noqa: F401
from tests.e2e.test_owner_journey_api import sign_up_and_verify
from tests.e2e.test_owner_pages import post_form

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)

# Reached without an account on purpose: each either shows nothing personal, or is the
# owner's own emailed single-use link, or is how one gets an account or a token.
PUBLIC = {
    "static", "assets.asset", "assets.basemap", "home.index", "health.healthz", "health.readyz",
    "api-docs.openapi_json", "api-docs.openapi_swagger_ui",
    "account_pages.signup", "account_pages.signup_sent", "account_pages.verify_email",
    "account_pages.login", "account_pages.logout", "account_pages.forgot_password",
    "account_pages.code", "account_pages.enrol",
    "account_pages.set_password", "account_pages.keep_account",
    "accounts.sign_up", "accounts.verify", "accounts.request_reset", "accounts.set_password",
    "accounts.create_token",
    "public_pages.coverage_map", "transparency.coverage",
    "request_pages.answer", "request_pages.upload", "canvass.answer_request",
    "canvass.upload_footage",
    "audit.checkpoint", "audit.public_key",
    "transparency_pages.transparency", "transparency.transparency_figures",
}  # fmt: skip
PASSWORD = "a staff passphrase"


def declared(app):
    """Every route with its endpoint, method and declared action (None: public)."""
    routes = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        method = next(m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if m in rule.methods)
        routes.append((rule, method, getattr(view, "required_action", None)))
    return routes


def test_every_route_declares_its_action_or_is_public_on_purpose(app):
    undeclared = {rule.endpoint for rule, _, action in declared(app) if action is None}
    assert undeclared == PUBLIC
    actions = {action for _, _, action in declared(app) if action}
    assert actions == set(PERMISSIONS)  # and every declared action guards something


@pytest.fixture
def everyone(app, client, cli, mailbox):
    """A bearer header and a logged-in page client for each role, all of agency SFPD."""
    app.config["WTF_CSRF_ENABLED"] = False  # the table, not CSRF, is under test here
    people = {"owner": ("maria.lopez@example.org", "correct horse battery staple")}
    headers = {"owner": {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox)}}
    for role in ANY_ACCOUNT[1:]:
        email = f"{role}@sfpd.example"
        headers[role] = staff(cli, client, mailbox, role, "SFPD", email)
        people[role] = (email, PASSWORD)
    pages = {}
    for role, (email, password) in people.items():
        browser = app.test_client()
        assert (
            post_form(browser, "/login", {"email": email, "password": password}).status_code == 302
        )
        pages[role] = browser
    return headers, pages


def fill(rule) -> str:
    values = {name: uuid.uuid4().hex for name in rule.arguments}
    if "sha256" in rule.arguments:
        values["sha256"] = "0" * 64
    if "kind" in rule.arguments:
        values["kind"] = "csv"
    path = rule.rule
    for name, value in values.items():
        path = path.replace(f"<{name}>", value)
    return path


@pytest.mark.parametrize("role", ANY_ACCOUNT)
def test_each_role_reaches_exactly_the_actions_the_table_gives_it(app, client, everyone, role):
    headers, pages = everyone
    for rule, method, action in declared(app):
        if action is None:
            continue
        path = fill(rule)
        api = path.startswith("/api/")
        if api:
            response = client.open(path, method=method, headers=headers[role], json={})
        else:
            response = pages[role].open(path, method=method, data={})
        response.close()
        allowed = role in PERMISSIONS[action].roles
        where = f"{method} {rule.rule} as {role}"
        assert response.status_code < 500, where
        if allowed:
            assert response.status_code not in (401, 403), where
        else:
            assert response.status_code == 403, where


def test_without_an_account_the_api_answers_401_and_pages_send_to_login(app, client):
    app.config["WTF_CSRF_ENABLED"] = False
    for rule, method, action in declared(app):
        if action is None:
            continue
        response = client.open(fill(rule), method=method, json={} if "/api/" in rule.rule else None)
        response.close()
        if rule.rule.startswith("/api/"):
            assert response.status_code == 401, rule.rule
        else:
            assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_staff_never_reach_another_agencys_canvass(app, client, cli, mailbox, neighbourhood):  # noqa: F811
    _, detective = neighbourhood
    path, _ = open_and_dispatch(client, detective)
    canvass_id = path.rsplit("/", 1)[1]
    others = {
        role: staff(cli, client, mailbox, role, "OPD", f"{role}@opd.example")
        for role in ("investigator", "supervisor", "auditor")
    }
    for suffix in ("", "/candidates", "/requests", "/footage", "/visits", "/package",
                   "/export.csv", "/export.geojson"):  # fmt: skip
        for role in ("investigator", "supervisor"):
            response = client.get(path + suffix, headers=others[role])
            assert response.status_code == 404, (suffix, role)
            response.close()
    reason = {"reason": "Another agency has no business approving this canvass here."}
    assert (
        client.post(f"{path}/approve", headers=others["supervisor"], json=reason).status_code == 404
    )
    assert (
        client.post(f"{path}/cancel", headers=others["investigator"], json=reason).status_code
        == 404
    )
    assert client.post(f"{path}/dispatch", headers=others["investigator"]).status_code == 404
    timeline = f"/api/v1/audit/canvasses/{canvass_id}/timeline"
    assert client.get(timeline, headers=others["auditor"]).status_code == 404
    # ...and an investigator of the same agency does not reach a colleague's canvass either
    colleague = staff(cli, client, mailbox, "investigator", "SFPD", "det.roe@sfpd.example")
    assert client.get(path, headers=colleague).status_code == 404
