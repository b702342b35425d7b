"""Every answer of the service carries its security headers, whoever asks and whatever the
answer: a content policy that lets no inline or foreign script run, no framing, no sniffing,
no referrer, no stored copy of anything personal; and the pages work under that policy in a
real browser, which reports no violation of it."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from service import create_app
from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, sign_up_and_verify
from tests.smtp import free_port
from tests.support.city import STAFF_PASSWORD, settle, signed_in_session
from tests.support.live_server import serving
from tests.support.mail import deliver_mail
from tests.support.sign_in import csrf_of

REPOSITORY = Path(__file__).resolve().parents[2]
STATIC = {"static", "assets.asset", "assets.basemap"}
# Path parameters of a shape their routes check: real files, so the walk meets their caching.
PLAUSIBLE = {"sha256": "0" * 64, "kind": "csv", "library": "leaflet", "filename": "leaflet.js"}
EVERY_ANSWER = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
POLICY_MUST_SAY = [
    "default-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
]


def directives(policy: str) -> dict[str, list[str]]:
    """A Content-Security-Policy header as its directives and their sources."""
    found = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *sources = directive.split()
        found[name] = sources
    return found


def routes(app, known):
    """Every route of the service with each method it answers, its path filled: the city's
    own site and canvass for GETs (so that pages with personal data answer 200), unknown
    ids for the rest (a 404 carries the headers as well)."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            values = {name: uuid.uuid4().hex for name in rule.arguments}
            if method == "GET":
                values |= {name: known[name] for name in rule.arguments if name in known}
            values |= {name: PLAUSIBLE[name] for name in rule.arguments if name in PLAUSIBLE}
            if rule.endpoint == "static":
                values["filename"] = "site.css"
            path = rule.rule
            for name, value in values.items():
                path = path.replace(f"<path:{name}>", value).replace(f"<{name}>", value)
            yield rule.endpoint, method, path


def assert_headers(response, endpoint, where):
    """The headers every answer carries; no-store on everything but library files."""
    for name, value in EVERY_ANSWER.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in POLICY_MUST_SAY:
        assert directive in policy, f"{where}: the policy lacks {directive}"
    assert directives(policy)["script-src"] == ["'self'"], where
    assert "unsafe-inline" not in policy, f"{where}: inline scripts or styles allowed"
    assert "Strict-Transport-Security" not in response.headers, where
    caching = response.headers.get("Cache-Control", "")
    if endpoint in STATIC:
        assert "no-store" not in caching, where
    else:
        assert caching == "no-store", where


@pytest.fixture
def city(app, mailbox):
    """A city with an owner's site and a dispatched canvass, and each role signed in."""
    residents = settle(app, mailbox)
    sessions = dict(residents.sessions)
    sessions["auditor"] = signed_in_session(app, "auditor@sfpd.example", STAFF_PASSWORD)
    return residents, sessions


def test_every_route_answers_with_the_security_headers_for_anyone(app, city):
    residents, sessions = city
    filled = {"site_id": residents.sites[0], "canvass_id": residents.canvasses[0]}
    bearers = {
        "owner": residents.owner,
        "investigator": residents.investigator,
        "auditor": residents.auditor,
    }
    walked = 0
    for who in ("anonymous", "owner", "investigator", "auditor"):
        client = app.test_client()
        if who != "anonymous":
            client.set_cookie("session", sessions[who])
        headers = bearers.get(who, {})
        for endpoint, method, path in routes(app, filled):
            api = path.startswith("/api/")
            response = client.open(
                path, method=method, headers=headers if api else {}, json={} if api else None
            )
            where = f"{method} {path} as {who} ({response.status_code})"
            assert response.status_code < 500, where
            assert_headers(response, endpoint, where)
            response.close()
            walked += 1
    assert walked > 300


@pytest.mark.parametrize("path", ["/no-such-page", "/api/v1/no-such-thing", "/x%0aFAKE"])
def test_an_address_that_is_not_there_answers_with_the_headers_too(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert_headers(response, None, path)


def test_pages_with_personal_data_are_never_stored_and_library_files_are_cached(
    app, client, mailbox
):
    bearer = {"Authorization": f"Bearer {sign_up_and_verify(client, mailbox)}"}
    client.set_cookie("session", signed_in_session(app, EMAIL, PASSWORD))
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200 and dashboard.headers["Cache-Control"] == "no-store"
    me = client.get("/api/v1/me", headers=bearer)
    assert me.get_json()["email"] == EMAIL and me.headers["Cache-Control"] == "no-store"
    leaflet = client.get("/assets/leaflet/leaflet.js")
    assert leaflet.status_code == 200 and "max-age=86400" in leaflet.headers["Cache-Control"]
    leaflet.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the same on both
@pytest.mark.parametrize(
    "tile_url, source",
    [
        ("https://tiles.city.example.gov/streets/{z}/{x}/{y}.png", "https://tiles.city.example.gov"),
        ("https://{s}.tile.example.org:8443/{z}/{x}/{y}.png?key=k", "https://*.tile.example.org:8443"),
    ],
)  # fmt: skip
def test_the_citys_tile_server_is_the_one_other_origin_maps_may_load_from(
    database_url, tmp_path, monkeypatch, tile_url, source
):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "MAP_TILE_URL": tile_url})
    try:
        policy = directives(app.test_client().get("/map").headers["Content-Security-Policy"])
    finally:
        app.extensions["canvass"].close()
    assert policy["img-src"] == ["'self'", "data:", "blob:", source]
    assert policy["connect-src"] == ["'self'", source]
    assert policy["script-src"] == ["'self'"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("seconds, expected", [(0, None), (31_536_000, "max-age=31536000")])
def test_hsts_is_sent_only_when_the_setting_asks_for_it(
    database_url, tmp_path, monkeypatch, seconds, expected
):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "HSTS_SECONDS": seconds})
    try:
        for path in ("/", "/healthz", "/static/site.css", "/no-such-page"):
            response = app.test_client().get(path)
            assert response.headers.get("Strict-Transport-Security") == expected, path
            response.close()
    finally:
        app.extensions["canvass"].close()


def test_the_emailed_confirmation_link_confirms_only_when_its_button_is_pressed(client, mailbox):
    person = {"email": EMAIL, "password": PASSWORD, "display_name": "Maria"}
    assert client.post("/api/v1/accounts", json=person).status_code == 202
    deliver_mail(client.application)
    [confirmation] = mailbox.to(EMAIL)
    link = urlsplit(re.search(r"https?://\S+", confirmation.get_content()).group(0))
    token_request = {"email": EMAIL, "password": PASSWORD, "name": "laptop"}

    # A mail scanner, or a preview, follows the link: nothing is confirmed yet.
    shown = client.get(f"{link.path}?{link.query}")
    assert shown.status_code == 200
    assert "Confirm my email address</button>" in shown.get_data(as_text=True)
    assert client.post("/api/v1/tokens", json=token_request).status_code == 403
    # The button without the form's CSRF token, as another site would send it, is refused.
    forged = client.post("/verify-email", data={"token": parse_qs(link.query)["token"][0]})
    assert forged.status_code == 400
    assert client.post("/api/v1/tokens", json=token_request).status_code == 403

    pressed = client.post(
        "/verify-email",
        data={
            "csrf_token": csrf_of(shown.get_data(as_text=True)),
            "token": parse_qs(link.query)["token"][0],
        },
    )
    assert pressed.status_code == 302 and pressed.headers["Location"].endswith("/login")
    assert client.post("/api/v1/tokens", json=token_request).status_code == 201


# Where each page is reached, by whom: the maps (public, the owner's, the detective's), the
# canvass form and a canvass, the owner's emailed request link, and the API documentation.
BROWSED = [
    ("public map", None, "/map"),
    ("API documentation", None, "/api/v1/docs"),
    ("request answer", None, "/requests/answer?token={token}"),
    ("owner's site", "owner", "/sites/{site}"),
    ("canvass form", "investigator", "/canvasses/new"),
    ("canvass", "investigator", "/canvasses/{canvass}"),
]
# An inline script the policy must refuse: proof that the policy is enforced and seen.
INLINE_SCRIPT = """() => {
  const script = document.createElement("script");
  script.textContent = "window.inlineScriptRan = true";
  document.body.appendChild(script);
  return window.inlineScriptRan === true;
}"""


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def mapped_city(database_url, tmp_path, monkeypatch, smtp_server, mailbox, shared_data):
    """The city on the quick start's street basemap, served on the loopback."""
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "TESTING": True,
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": smtp_server.port,
            "MAP_BASEMAP": str(shared_data / "sf_basemap_protomaps_z0-14.pmtiles"),
        }
    )
    residents = settle(app, mailbox)
    fill = {"site": residents.sites[0], "canvass": residents.canvasses[0]}
    fill["token"] = residents.request_token
    with serving(app) as base_url:
        yield base_url, residents.sessions, fill
    app.extensions["canvass"].close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_pages_work_in_a_browser_without_breaking_their_content_policy(mapped_city, browser):
    base_url, sessions, fill = mapped_city
    violations, failures, refused = [], [], []
    for name, who, address in BROWSED:
        context = browser.new_context(viewport={"width": 1200, "height": 900})
        if who:
            context.add_cookies([{"name": "session", "value": sessions[who], "url": base_url}])
        page = context.new_page()
        seen = []
        page.on("console", lambda message, seen=seen: seen.append(message.text))
        page.on("pageerror", lambda error, name=name: failures.append(f"{name}: {error}"))
        answer = page.goto(base_url + address.format(**fill))
        assert answer.status == 200, name
        assert "script-src 'self'" in answer.headers["content-security-policy"], name
        page.wait_for_load_state("networkidle")
        if name == "API documentation":
            page.locator(".opblock").first.wait_for()
        if page.locator(".leaflet-container").count():
            page.locator(".leaflet-container .leaflet-tile-loaded").first.wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"csp-{name.replace(' ', '-')}.png"))
        violations += [f"{name}: {text}" for text in seen if "Content Security Policy" in text]
        ran = page.evaluate(INLINE_SCRIPT)
        refused.append((name, ran, sum("Content Security Policy" in t for t in seen)))
        context.close()
    assert violations == []
    assert failures == []
    assert all(not ran and count == 1 for _, ran, count in refused), refused


# Request lines a client may send: each percent-escape is decoded into the logged path.
FORGING_PATHS = ["/x%0aFAKE", "/x%0d%0aFAKE", "/x%0bFAKE", "/x%e2%80%a8FAKE", "/x%1b[2JFAKE"]
# ...and how the access log shows each: escaped, on the request's own line.
SHOWN = ["/x\\nFAKE 404", "/x\\r\\nFAKE 404", "/x\\x0bFAKE 404", "/x\\u2028FAKE", "/x\\x1b[2JFAKE"]
LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ [A-Z]+ \[")


def test_a_control_character_in_an_address_cannot_forge_a_line_of_the_server_log(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CANVASS_")}
    env |= {
        "CANVASS_INSTANCE_PATH": str(tmp_path / "instance"),
        "CANVASS_DATABASE_URL": f"sqlite:///{tmp_path / 'service.db'}",
    }
    serve = [sys.executable, "-m", "waitress", "--host=127.0.0.1", f"--port={port}", "wsgi:app"]
    server = subprocess.Popen(
        serve, cwd=REPOSITORY, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        started = []
        while not any("Serving on" in line for line in started):
            started.append(server.stdout.readline())
            assert server.poll() is None, "".join(started)
        for path in FORGING_PATHS:
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(
                    f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
                )
                assert connection.makefile("rb").readline().startswith(b"HTTP/1.1 404")
    finally:
        server.terminate()
        logged = server.communicate(timeout=30)[0]
    lines = logged.splitlines()
    assert not [line for line in lines if line.startswith("FAKE")], logged
    assert all(LOG_LINE.match(line) for line in lines), logged
    for shown in SHOWN:
        assert any(shown in line for line in lines), (shown, logged)
