"""A small city for tests that drive the service: staff, an owner whose camera looks at an
incident, a dispatched canvass, and the steps its residents can take through the API, the
pages and the operator's command line."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from geographiclib.geodesic import Geodesic
from hypothesis import currently_in_test_context, note

from tests.databases import postgres_schema, postgres_url
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_journey_api import PASSWORD, link_token, sign_up_and_verify
from tests.e2e.test_owner_pages import post_form
from tests.unit.test_footage_store import mp4

INCIDENT = (37.7614, -122.4241)  # Mission St & 20th St, San Francisco
AT = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
CAMERA = {
    "label": "Porch",
    "bearing_degrees": 180,
    "field_of_view_degrees": 90,
    "range_metres": 150,
    "retention_days": 14,
    "placement": "outdoor",
    "recording": "motion",
}
SITE = {
    "label": "Home",
    "latitude": Geodesic.WGS84.Direct(*INCIDENT, 0, 60)["lat2"],
    "longitude": INCIDENT[1],
    "kind": "home",
    "contact_for_requests": True,
    "categories": ["all"],
    "share_exact_location": False,
    "cameras": [CAMERA],
}
SITE_LOCATION = {k: SITE[k] for k in ("label", "latitude", "longitude")} | {"address": None}
CONSENT = {"contact_for_requests": True, "categories": ["all"], "share_exact_location": True}
CANVASS = {
    "case_number": "181-004512",
    "category": "property_crime",
    "incident": {"latitude": INCIDENT[0], "longitude": INCIDENT[1]},
    "window_start": (AT - timedelta(minutes=30)).isoformat(),
    "window_end": (AT + timedelta(minutes=30)).isoformat(),
    "area": {"radius_m": 250},
    "justification": "Looking for the suspect's route away from the scene.",
    "legal_basis": "owner_consent",
}
VISIT = {
    "latitude": INCIDENT[0],
    "longitude": INCIDENT[1],
    "address": "2000 Mission St",
    "result": "camera_present",
    "retention_days": 7,
    "clock_offset_seconds": -90,
    "contact_made": True,
    "revisit_due": (AT + timedelta(days=3)).date().isoformat(),
    "note": "Asked the shop to keep the recording.",
}
MISSING = "<missing>"
OWNER_EMAIL = "owner@example.org"
STAFF_PASSWORD = "a staff passphrase"  # what tests.e2e.test_canvass_api.staff sets
SITE_FORM_VALID = {
    "label": "Home",
    "kind": "home",
    "address": "",
    "latitude": str(SITE["latitude"]),
    "longitude": str(SITE["longitude"]),
    "contact_for_requests": "yes",
    "scope": "chosen",
    "categories": ["violent_crime", "missing_person"],
    "share_exact_location": "no",
}
CAMERA_FORM_VALID = {k: str(v) for k, v in CAMERA.items()}
CANVASS_FORM_VALID = {
    "case_number": "181-004512",
    "category": "property_crime",
    "latitude": str(INCIDENT[0]),
    "longitude": str(INCIDENT[1]),
    "address": "",
    "shape": "circle",
    "radius_m": "250",
    "polygon": "",
    "window_start": AT.replace(tzinfo=None).isoformat(timespec="minutes"),
    "window_end": (AT.replace(tzinfo=None) + timedelta(minutes=30)).isoformat(timespec="minutes"),
    "justification": "A burglary at a shop; the suspect left on foot towards 20th St.",
    "legal_basis": "owner_consent",
}
VISIT_FORM_VALID = {k: "yes" if v is True else str(v) for k, v in VISIT.items()}


@dataclass
class Residents:
    """Who acts in the city, and the records they made before the example starts."""

    investigator: dict[str, str]
    supervisor: dict[str, str]
    auditor: dict[str, str]
    owner: dict[str, str]
    sites: list[str] = field(default_factory=list)
    cameras: list[tuple[str, str]] = field(default_factory=list)
    canvasses: list[str] = field(default_factory=list)
    request_token: str = "no request was sent"
    sessions: dict[str, str] = field(default_factory=dict)  # whose browser: its cookie

    def copy(self) -> Residents:
        return replace(
            self, sites=list(self.sites), cameras=list(self.cameras), canvasses=list(self.canvasses)
        )


def bearer(token: str) -> dict[str, str]:
    """The header an API client sends with its token."""
    return {"Authorization": f"Bearer {token}"}


def settle(app, mailbox) -> Residents:
    """Staff of one agency, an owner whose camera looks at the incident, and a canvass of it
    approved and dispatched, so that the owner holds a request link."""
    client, cli = app.test_client(), app.test_cli_runner()
    people = {
        role: staff(cli, client, mailbox, role, "SFPD", f"{role}@sfpd.example")
        for role in ("investigator", "supervisor", "auditor")
    }
    owner = bearer(sign_up_and_verify(client, mailbox, OWNER_EMAIL))
    sessions = {
        who: signed_in_session(app, email, password)
        for who, email, password in (
            ("owner", OWNER_EMAIL, PASSWORD),
            ("investigator", "investigator@sfpd.example", STAFF_PASSWORD),
        )
    }
    city = City(app, mailbox, Residents(**people, owner=owner, sessions=sessions))
    city.register(SITE)
    city.open(CANVASS)
    city.act(city.investigator, "post", f"{city.canvass(0)}/submit")
    city.act(city.investigator, "post", f"{city.canvass(0)}/dispatch")
    city.services.outbox.send_pending()
    [request] = [m for m in mailbox.to(OWNER_EMAIL) if m["Subject"].startswith("A request")]
    city.residents.request_token = link_token(request)
    return city.residents


def remark(text: str) -> None:
    """Say what was sent, for the report of a failing example (outside one, nothing)."""
    if currently_in_test_context():
        note(text)


def signed_in_session(app, email: str, password: str) -> str:
    """The session cookie of a browser signed in to the pages."""
    browser = app.test_client()
    signed_in = post_form(browser, "/login", {"email": email, "password": password})
    assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
    return browser.get_cookie("session").value


def form_text(value) -> str:
    """What a browser would send for a value typed into a form field."""
    if value is None or value == MISSING:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value)
    return str(value)


def form_body(csrf_token: str, fields: dict) -> bytes:
    """A urlencoded form body; text that is not Unicode goes as the bytes a careless client
    would send for it."""
    pairs = [("csrf_token", csrf_token)]
    for name, value in fields.items():
        for item in value if isinstance(value, list) and name == "categories" else [value]:
            pairs.append((name, form_text(item)))
    return urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs]).encode()


class City:
    """One service on a database of its own, and the steps its residents can take."""

    def __init__(self, app, mailbox, residents: Residents) -> None:
        self.app, self.mailbox, self.residents = app, mailbox, residents
        self.client = app.test_client()
        self.services = app.extensions["canvass"]
        self.investigator, self.supervisor = residents.investigator, residents.supervisor
        self.auditor, self.owner = residents.auditor, residents.owner
        self.browsers = {}
        for who, cookie in residents.sessions.items():
            self.browsers[who] = app.test_client()
            self.browsers[who].set_cookie("session", cookie)

    def act(self, who: dict | None, method: str, path: str, **kwargs):
        """Send one request; it must be answered below 500, whatever it carries."""
        response = self.client.open(path, method=method.upper(), headers=who or {}, **kwargs)
        remark(f"{method.upper()} {path} -> {response.status_code}")
        assert response.status_code < 500, (path, response.status_code, response.data[:2000])
        return response

    def register(self, body: dict) -> None:
        answer = self.act(self.owner, "post", "/api/v1/sites", json=body)
        if answer.status_code == 201:
            site = answer.get_json()
            self.residents.sites.append(site["site_id"])
            self.residents.cameras += [(site["site_id"], c["camera_id"]) for c in site["cameras"]]

    def open(self, body: dict) -> None:
        answer = self.act(self.investigator, "post", "/api/v1/canvasses", json=body)
        if answer.status_code == 201:
            self.residents.canvasses.append(answer.get_json()["canvass_id"])

    def site(self, pick: int) -> str:
        sites = self.residents.sites
        return sites[pick % len(sites)] if sites else "no-such-site"

    def camera(self, pick: int) -> str:
        cameras = self.residents.cameras
        site, camera = cameras[pick % len(cameras)] if cameras else ("none", "none")
        return f"/api/v1/sites/{site}/cameras/{camera}"

    def canvass(self, pick: int) -> str:
        canvasses = self.residents.canvasses
        return f"/api/v1/canvasses/{canvasses[pick % len(canvasses)] if canvasses else 'none'}"

    def token(self, choice: str) -> str:
        return self.residents.request_token if choice == "the emailed link" else choice

    def take(self, step: tuple) -> None:
        """Carry out one step of an example."""
        name, *args = step
        getattr(self, f"step_{name}")(*args)

    def step_sign_up(self, display_name, valid_email: bool) -> None:
        email = f"new-{uuid.uuid4().hex[:12]}@example.org"
        body = {"email": email if valid_email else display_name, "password": PASSWORD}
        self.act(None, "post", "/api/v1/accounts", json=body | {"display_name": display_name})

    def step_register_site(self, body: dict) -> None:
        self.register(body)

    def step_change_site(self, pick: int, body: dict) -> None:
        self.act(self.owner, "patch", f"/api/v1/sites/{self.site(pick)}", json=body)

    def step_set_consent(self, pick: int, method: str, body: dict) -> None:
        self.act(self.owner, method, f"/api/v1/sites/{self.site(pick)}/consent", json=body)

    def step_add_camera(self, pick: int, body: dict) -> None:
        site = self.site(pick)
        answer = self.act(self.owner, "post", f"/api/v1/sites/{site}/cameras", json=body)
        if answer.status_code == 201 and "camera_id" in (answer.get_json() or {}):
            self.residents.cameras.append((site, answer.get_json()["camera_id"]))

    def step_change_camera(self, pick: int, body: dict) -> None:
        self.act(self.owner, "patch", self.camera(pick), json=body)

    def step_remove_camera(self, pick: int) -> None:
        self.act(self.owner, "delete", self.camera(pick))

    def step_site_action(self, pick: int, action: str) -> None:
        path = f"/api/v1/sites/{self.site(pick)}"
        if action == "unregister":
            self.act(self.owner, "delete", path)
        else:
            self.act(self.owner, "post", f"{path}/{action}")

    def step_open_canvass(self, body: dict) -> None:
        self.open(body)

    def step_check_canvass(self, body: dict) -> None:
        self.act(self.investigator, "post", "/api/v1/canvasses/check", json=body)

    def step_canvass_action(self, pick: int, action: str, reason) -> None:
        who = self.supervisor if action == "approve" else self.investigator
        body = {"json": {"reason": reason}} if action in ("approve", "cancel") else {}
        self.act(who, "post", f"{self.canvass(pick)}/{action}", **body)
        self.services.outbox.send_pending()

    def step_record_visit(self, pick: int, body: dict) -> None:
        self.act(self.investigator, "post", f"{self.canvass(pick)}/visits", json=body)

    def step_answer(self, token, answer, note_text) -> None:
        body = {"token": self.token(token), "answer": answer, "note": note_text}
        self.act(None, "post", "/api/v1/requests/answer", json=body)

    def step_upload(self, token, clock_offset, statement, digest: str, clip: int = 0) -> None:
        media = mp4(bytes([clip % 256]) * 2000)
        query = {"token": self.token(token), "clock_offset_seconds": clock_offset}
        query["statement"] = statement
        if digest != MISSING:
            query["sha256"] = hashlib.sha256(media if digest == "right" else b"x").hexdigest()
        self.act(
            None,
            "put",
            "/api/v1/requests/footage",
            query_string=urlencode(
                [(k, str(v).encode("utf-8", "surrogatepass")) for k, v in query.items()]
            ),
            data=media,
            content_type="video/mp4",
        )

    def step_audit_query(self, path: str, number) -> None:
        self.act(self.auditor, "get", path.format(number))

    def submit_form(self, who: str, page: str, action: str, fields: dict):
        """Fill in and send a form as a signed-in browser; any answer below 500 will do."""
        browser = self.browsers[who]
        shown = browser.get(page)
        assert shown.status_code < 500, (page, shown.status_code)
        found = re.search(r'name="csrf_token" value="([^"]+)"', shown.get_data(as_text=True))
        body = form_body(found.group(1) if found else "", fields)
        sent = browser.post(action, data=body, content_type="application/x-www-form-urlencoded")
        remark(f"form POST {action} -> {sent.status_code}")
        assert sent.status_code < 500, (action, sent.status_code, sent.data[:2000])

    def step_page_new_site(self, fields: dict) -> None:
        self.submit_form("owner", "/sites/new", "/sites/new", fields)

    def step_page_edit_site(self, pick: int, fields: dict) -> None:
        path = f"/sites/{self.site(pick)}"
        self.submit_form("owner", f"{path}/edit", f"{path}/edit", fields)

    def step_page_add_camera(self, pick: int, fields: dict) -> None:
        path = f"/sites/{self.site(pick)}"
        self.submit_form("owner", path, f"{path}/cameras", fields)

    def step_page_new_canvass(self, fields: dict) -> None:
        self.submit_form("investigator", "/canvasses/new", "/canvasses/new", fields)

    def step_page_visit(self, pick: int, fields: dict) -> None:
        path = self.canvass(pick).removeprefix("/api/v1")
        self.submit_form("investigator", path, f"{path}/visits", fields)

    def step_name_token(self, name) -> None:
        body = {"email": OWNER_EMAIL, "password": PASSWORD, "name": name}
        self.act(None, "post", "/api/v1/tokens", json=body)

    def step_staff_account(self, agency, display_name) -> None:
        """An operator creates a staff account: refused in words, or created, never a crash."""
        args = ["accounts", "create", "--role", "investigator", "--agency", form_text(agency)]
        args += ["--email", f"staff-{uuid.uuid4().hex[:12]}@sfpd.example"]
        args += ["--name", form_text(display_name)]
        result = self.app.test_cli_runner().invoke(args=args)
        remark(f"flask accounts create -> {result.exit_code}")
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"flask accounts create crashed: {result.exception!r}")

    def step_take_footage(self, pick: int) -> None:
        """The investigator downloads what owners sent, and the case package: each release is
        an access the audit projection records."""
        path = self.canvass(pick)
        listing = self.act(self.investigator, "get", f"{path}/footage")
        for item in (listing.get_json() or {}).get("files", [])[:2]:
            self.act(self.investigator, "get", f"{path}/footage/{item['sha256']}").close()
        self.act(self.investigator, "get", f"{path}/package").close()
        self.act(self.investigator, "get", f"{path}/export.csv").close()

    def step_scheduler_runs(self) -> None:
        """Every scheduled job runs once, as `flask scheduler run` would."""
        from service.scheduler import run_once

        remark(f"scheduler: {run_once(self.app)}")

    def step_erase_owner(self, password) -> None:
        self.act(self.owner, "post", "/api/v1/me/erasure", json={"password": password})


def new_database(backend: str, sqlite_template, directory: Path, cleanup: ExitStack):
    """A fresh, migrated database of the backend: its URL, and its schema on PostgreSQL."""
    if backend == "sqlite":
        return sqlite_template.fresh(directory), ""
    schema, url = cleanup.enter_context(postgres_schema("test", postgres_url(), migrate=True))
    return url, schema


def service(url: str, smtp_server, footage: Path, keys: Path | None = None):
    """The service on `url`, mailing the test SMTP server, keeping footage in `footage` (and
    people's data keys in `keys`: a database copied from another needs a copy of its keys)."""
    from service import create_app

    settings = {"DATABASE_URL": url, "TESTING": True, "FOOTAGE_DIR": str(footage)}
    if keys is not None:
        settings["KEY_STORE"] = str(keys)
    return create_app(settings | {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port})
