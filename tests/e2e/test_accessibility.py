"""Every page of the service meets WCAG 2.1 A and AA as axe-core checks it, in a real browser,
at a phone's width (390 px), a desk's (1366 px) and the 320 px of reflow: public pages, the
owner's, the investigator's, the supervisor's, the auditor's and the API docs.

One city is made once through the API; each role has one browser context signed in as it;
each page is loaded once and checked at the three widths, and at 320 px it must not scroll
sideways (its document no wider than the window, tables included)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

from tests.databases import SQLiteTemplate
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from tests.smtp import SMTPServer
from tests.support import accessibility
from tests.support.city import CANVASS, STAFF_PASSWORD, settle, signed_in_session
from tests.support.live_server import serving

pytestmark = pytest.mark.skipif(
    not accessibility.AXE.exists() or not __import__("pathlib").Path(CHROMIUM).exists(),
    reason="axe-core (npm ci --prefix tests/js) or Debian's chromium is missing: scripts/test "
    "installs both",
)


def known_violations(rules: str, page: str):
    """A page whose template another part of the service owns, failing these axe rules
    today: strict, so the mark must go the day the page passes."""
    return pytest.mark.xfail(strict=True, reason=f"{page} still breaks axe rules {rules}")


PAGES = [
    # (who, page, address; {site}, {camera}, {canvass}, {waiting}, {draft} and {token} filled
    # from the city)
    ("public", "home", "/"),
    ("public", "public map", "/map"),
    ("public", "figures", "/transparency"),
    ("public", "sign up", "/signup"),
    ("public", "log in", "/login"),
    ("public", "forgot password", "/forgot-password"),
    ("public", "check your email", "/signup/sent"),
    ("public", "choose a password", "/set-password?token=not-a-link"),
    ("public", "confirm email", "/verify-email?token=not-a-link"),
    ("public", "stay registered", "/keep-account?token=not-a-link"),
    ("public", "page not found", "/no-such-page"),
    ("public", "API documentation", "/api/v1/docs"),
    ("public", "request answer", "/requests/answer?token={token}"),
    ("public", "footage upload", "/requests/upload?token={token}"),
    ("owner", "dashboard", "/dashboard"),
    ("owner", "new site", "/sites/new"),
    ("owner", "site", "/sites/{site}"),
    ("owner", "edit site", "/sites/{site}/edit"),
    ("owner", "edit camera", "/sites/{site}/cameras/{camera}/edit"),
    ("owner", "unregister site", "/sites/{site}/unregister"),
    ("owner", "requests", "/my-requests"),
    ("owner", "who saw my data", "/my-data"),
    ("owner", "delete account", "/account/delete"),
    ("owner", "log out everywhere", "/account/sessions"),
    ("investigator", "canvasses", "/canvasses"),
    ("investigator", "new canvass", "/canvasses/new"),
    ("investigator", "canvass", "/canvasses/{canvass}"),
    ("investigator", "report", "/canvasses/{canvass}/report"),
    ("investigator", "change canvass", "/canvasses/{draft}/change"),
    ("supervisor", "approvals", "/approvals"),
    ("auditor", "access log search", "/audit"),
    ("auditor", "access log results", "/audit?case_number=181-004512"),
    ("auditor", "timeline", "/audit/canvasses/{canvass}"),
    ("auditor", "erasures", "/audit/erasures"),
    ("auditor", "API tokens", "/tokens"),
]

# Forms sent empty: their errors must be as accessible as the form.
SENT_EMPTY = [
    ("public", "sign up, sent empty", "/signup", "Sign up"),
    ("public", "log in, sent empty", "/login", "Log in"),
    ("public", "forgot password, sent empty", "/forgot-password", "Send me a link"),
]

# Pages of other parts of the service that still break rules, and which: strict, so the mark
# must go the day the page passes.
EXPECTED_FAILURES: dict[str, str] = {}


def _params(rows) -> list:
    return [pytest.param(*row, id=f"{row[0]}: {row[1]}", marks=_marks(row[1])) for row in rows]


def _marks(name: str) -> list:
    return [known_violations(EXPECTED_FAILURES[name], name)] if name in EXPECTED_FAILURES else []


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Iterator[dict]:
    """One service with an owner's site, a dispatched canvass and one waiting for approval,
    served on the loopback; what the pages need to be addressed."""
    from service import create_app

    directory = tmp_path_factory.mktemp("accessibility")
    with SMTPServer() as smtp, pytest.MonkeyPatch.context() as patch:
        patch.setenv("CANVASS_INSTANCE_PATH", str(directory / "instance"))
        app = create_app(
            {
                "DATABASE_URL": SQLiteTemplate(directory).fresh(directory),
                "TESTING": True,
                "SMTP_HOST": "127.0.0.1",
                "SMTP_PORT": smtp.port,
            }
        )
        residents = settle(app, smtp.mailbox)
        client, cli = app.test_client(), app.test_cli_runner()
        waiting = client.post(
            "/api/v1/canvasses",
            headers=residents.investigator,
            json=CANVASS | {"case_number": "181-009988", "area": {"radius_m": 700}},
        ).get_json()["canvass_id"]
        client.post(f"/api/v1/canvasses/{waiting}/submit", headers=residents.investigator)
        draft = client.post(
            "/api/v1/canvasses",
            headers=residents.investigator,
            json=CANVASS | {"case_number": "181-009989"},
        ).get_json()["canvass_id"]
        staff(cli, client, smtp.mailbox, "supervisor", "SFPD", "sup.two@sfpd.example")
        sessions = dict(residents.sessions)
        sessions["supervisor"] = signed_in_session(app, "sup.two@sfpd.example", STAFF_PASSWORD)
        sessions["auditor"] = signed_in_session(app, "auditor@sfpd.example", STAFF_PASSWORD)
        with serving(app) as base_url:
            yield {
                "app": app,
                "base_url": base_url,
                "sessions": sessions,
                "fill": {
                    "site": residents.sites[0],
                    "camera": residents.cameras[0][1],
                    "canvass": residents.canvasses[0],
                    "waiting": waiting,
                    "draft": draft,
                    "token": residents.request_token,
                },
            }
        app.extensions["canvass"].close()


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def pages(city, browser) -> Iterator[dict]:
    """One tab per role, signed in as it, that never reaches past the loopback."""
    opened, contexts = {}, []
    local = urlparse(city["base_url"]).netloc

    def only_the_service(route):
        if urlparse(route.request.url).netloc == local:
            route.continue_()
        else:
            route.abort()

    for who in ("public", "owner", "investigator", "supervisor", "auditor"):
        context = browser.new_context(viewport={"width": 1366, "height": 900})
        context.route("**/*", only_the_service)
        if who in city["sessions"]:
            cookie = {"name": "session", "value": city["sessions"][who], "url": city["base_url"]}
            context.add_cookies([cookie])
        contexts.append(context)
        opened[who] = context.new_page()
    yield opened
    for context in contexts:
        context.close()


def _load(page, url: str) -> None:
    answer = page.goto(url)
    assert urlparse(page.url).path == urlparse(url).path, f"{url} led to {page.url}"
    assert answer.ok or "no-such" in url or "not-a-link" in url, f"{url}: {answer.status}"
    if page.locator(".map").count():  # the maps' scripts mark them ready when drawn
        page.locator(".map.ready").first.wait_for(timeout=10_000)
    if "/api/v1/docs" in url:
        page.locator(".opblock").first.wait_for()


@pytest.fixture(scope="module")
def to_review() -> Iterator[list]:
    """What axe could not decide on each page (contrast over a map, for instance), written to
    test-artifacts/ for the person who checks those by hand."""
    found: list = []
    yield found
    ARTIFACTS.mkdir(exist_ok=True)
    lines = [
        f"{name} at {width}: {rule}\n" + "".join(f"    {element}\n" for element in elements)
        for name, width, rule, elements in found
    ]
    (ARTIFACTS / "accessibility-to-review.txt").write_text("".join(lines))


def _assert_accessible(page, name: str, to_review: list) -> None:
    findings, undecided = accessibility.check(page)
    to_review += [(name, *item) for item in undecided]
    assert not findings, accessibility.report(name, page.url, findings)


# Routes that answer with something other than a page: files, data for the pages' scripts,
# health checks for the operator.
NOT_PAGES = {
    "account_pages.code": "the code after the password: axe checks it in test_mfa_browser",
    "account_pages.enrol": "setting up a second factor: axe checks it in test_mfa_browser",
    "address_pages.suggest": "suggestions for the address fields' script",
    "assets.asset": "scripts, styles and map libraries",
    "assets.basemap": "the basemap file, read by range requests",
    "canvass_pages.export": "a CSV or GeoJSON download",
    "canvass_pages.download_footage": "a footage file",
    "canvass_pages.case_package": "the case package, a zip",
    "canvass_pages.places": "the canvass form's address lookups, as JSON",
    "owner_pages.download_sites": "an owner's own data, as JSON",
    "health.healthz": "the operator's liveness check",
    "health.readyz": "the operator's readiness check",
    "static": "static files",
}


def test_every_page_of_the_service_is_checked(city):
    """A page added without a line in PAGES fails here, so "every page" stays true."""
    checked = {urlparse(path).path for _, _, path in PAGES}
    pages_served = {
        rule.rule: rule.endpoint
        for rule in city["app"].url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.rule.startswith(("/api/", "/static/"))
        and rule.endpoint not in NOT_PAGES
    }
    placeholders = {rule: re.sub(r"<(?:\w+:)?(\w+)>", "{}", rule) for rule in pages_served}
    written = {re.sub(r"{\w+}", "{}", path) for path in checked}
    unchecked = sorted(rule for rule, shape in placeholders.items() if shape not in written)
    assert not unchecked, f"pages no accessibility test loads: {unchecked}"


@pytest.mark.parametrize(("who", "name", "path"), _params(PAGES))
def test_the_page_has_no_wcag_21_aa_violation_at_any_width(city, pages, to_review, who, name, path):
    page = pages[who]
    _load(page, city["base_url"] + path.format(**city["fill"]))
    _assert_accessible(page, name, to_review)


@pytest.mark.parametrize(("who", "name", "path", "button"), _params(SENT_EMPTY))
def test_a_form_sent_empty_shows_its_errors_accessibly(
    city, pages, to_review, who, name, path, button
):
    page = pages[who]
    _load(page, city["base_url"] + path)
    page.get_by_role("button", name=button).click()
    summary = page.locator("#error-summary")
    summary.wait_for()
    # The summary takes the focus, so a screen reader reads it first; each field in error
    # says so and points at its message.
    page.wait_for_function("() => document.activeElement.id === 'error-summary'")
    assert summary.get_attribute("role") == "alert"
    for field in page.locator("[aria-invalid=true]").all():
        message = page.locator(f"#{field.get_attribute('id')}-error")
        assert f"{field.get_attribute('id')}-error" in field.get_attribute("aria-describedby")
        assert message.inner_text().strip()
    assert page.locator("[aria-invalid=true]").count() >= 1
    _assert_accessible(page, name, to_review)


def test_the_keyboard_reaches_the_content_first_and_every_control_shows_its_focus(city, pages):
    page = pages["public"]
    page.set_viewport_size({"width": 390, "height": 844})
    _load(page, city["base_url"] + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to main content"
    assert skip.bounding_box()["y"] >= 0  # shown on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "content"
    outlines = []
    for _ in range(6):  # the form's fields, its button and its links, in order
        page.keyboard.press("Tab")
        outlines.append(
            page.evaluate(
                """() => { const style = getComputedStyle(document.activeElement);
                           return [document.activeElement.id || document.activeElement.textContent,
                                   style.outlineStyle, parseFloat(style.outlineWidth)]; }"""
            )
        )
    names = [name for name, _, _ in outlines]
    assert names[:3] == ["email", "password", "Log in"], names
    assert all(style != "none" and width >= 2 for _, style, width in outlines), outlines


def test_at_320_px_a_table_stacks_its_rows_and_leads_each_cell_with_its_column(city, pages):
    page = pages["investigator"]
    page.set_viewport_size({"width": 320, "height": 640})
    _load(page, city["base_url"] + "/canvasses/{canvass}".format(**city["fill"]))
    cells = page.evaluate(
        """() => [...document.querySelectorAll("td[data-label]")].map((cell) => [
             cell.dataset.label, getComputedStyle(cell, "::before").content,
             cell.getBoundingClientRect().width])"""
    )
    assert cells, "the canvass page has no labelled table cells"
    for label, shown, width in cells:
        assert shown == f'"{label}: "', (label, shown)
        assert width <= 320, (label, width)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
