"""The service rides out a dropped database connection and a database that is down."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from flask import Flask
from sqlalchemy.engine import make_url

from service import create_app
from service import scheduler as jobs
from tests.support.faults import DatabaseProxy, named_connections, terminate_connections
from tests.support.live_server import serving

PASSWORD = "correct horse battery staple"


def app_on(url: str, instance: Path, smtp_port: int) -> Flask:
    """The service on `url`, sending mail to the test SMTP server."""
    settings = {
        "DATABASE_URL": url,
        "TESTING": True,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_port,
    }
    return create_app(settings)


@pytest.fixture
def instance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    return tmp_path / "instance"


def owner_token(app: Flask, client, mailbox, email: str = "maria@example.org") -> dict:
    """Sign an owner up through the API, confirm the emailed link, return bearer headers."""
    signed_up = client.post(
        "/api/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": "Maria"}
    )
    assert signed_up.status_code == 202
    app.extensions["canvass"].outbox.send_pending()
    link = re.search(r"token=([\w.-]+)", mailbox.to(email)[-1].get_content()).group(1)
    assert client.post("/api/v1/accounts/verify", json={"token": link}).status_code == 200
    issued = client.post(
        "/api/v1/tokens", json={"email": email, "password": PASSWORD, "name": "laptop"}
    )
    assert issued.status_code == 201, issued.get_json()
    return {"Authorization": f"Bearer {issued.get_json()['token']}"}


def a_site(label: str) -> dict:
    return {
        "label": label,
        "latitude": 36.6777,
        "longitude": -121.6555,
        "cameras": [
            {
                "label": "Front door",
                "bearing_degrees": 180,
                "field_of_view_degrees": 90,
                "range_metres": 15,
                "retention_days": 14,
            }
        ],
    }


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_every_request_after_the_database_drops_the_connections_succeeds(
    database_url, instance, smtp_server, mailbox
):
    url, name = named_connections(database_url)
    app = app_on(url, instance, smtp_server.port)
    client = app.test_client()
    try:
        bearer = owner_token(app, client, mailbox)
        assert client.post("/api/v1/sites", headers=bearer, json=a_site("Home")).status_code == 201

        for round_ in range(3):
            assert terminate_connections(name) >= 1
            listed = client.get("/api/v1/sites", headers=bearer)
            assert listed.status_code == 200
            assert len(listed.get_json()["sites"]) == round_ + 1

            assert terminate_connections(name) >= 1
            created = client.post("/api/v1/sites", headers=bearer, json=a_site(f"Shop {round_}"))
            assert created.status_code == 201, created.get_json()

            assert terminate_connections(name) >= 1
            assert client.get("/").status_code == 200
            assert client.get("/readyz").get_json()["status"] == "ready"

        sites = client.get("/api/v1/sites", headers=bearer).get_json()["sites"]
        assert sorted(site["label"] for site in sites) == ["Home", "Shop 0", "Shop 1", "Shop 2"]
    finally:
        app.extensions["canvass"].close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_server_with_many_threads_answers_every_request_after_its_connections_drop(
    database_url, instance, smtp_server, mailbox
):
    url, name = named_connections(database_url)
    app = app_on(url, instance, smtp_server.port)
    try:
        bearer = owner_token(app, app.test_client(), mailbox)
        with serving(app, threads=4) as base_url, ThreadPoolExecutor(8) as pool:

            def status_of(n: int) -> int:
                if n % 3 == 0:
                    body = json.dumps(a_site(f"Site {n}")).encode()
                    headers = bearer | {"Content-Type": "application/json"}
                    request = Request(f"{base_url}/api/v1/sites", body, headers, method="POST")
                else:
                    request = Request(f"{base_url}/api/v1/sites", headers=bearer)
                try:
                    with urlopen(request, timeout=30) as response:
                        return response.status
                except HTTPError as error:
                    return error.code

            assert set(pool.map(status_of, range(24))) <= {200, 201}
            assert terminate_connections(name) >= 4
            assert set(pool.map(status_of, range(24, 48))) <= {200, 201}
            assert terminate_connections(name) >= 4
            assert set(pool.map(status_of, range(48, 72))) <= {200, 201}
        sites = app.test_client().get("/api/v1/sites", headers=bearer).get_json()["sites"]
        assert len(sites) == 24
    finally:
        app.extensions["canvass"].close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_every_scheduled_job_runs_after_the_database_drops_the_connections(
    database_url, instance, smtp_server, mailbox
):
    url, name = named_connections(database_url)
    app = app_on(url, instance, smtp_server.port)
    client = app.test_client()
    try:
        owner_token(app, client, mailbox)
        failed = []
        with app.app_context():
            for job_name, _, job in jobs.JOBS:
                terminate_connections(name)
                try:
                    job(app.extensions["canvass"])
                except Exception as error:
                    failed.append(f"{job_name}: {type(error).__name__}")
        assert failed == []
        assert terminate_connections(name) >= 1
    finally:
        app.extensions["canvass"].close()


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_an_append_cut_off_by_a_dropped_connection_is_stored_once(database_url):
    from events_store import NO_STREAM, EventStore, NewEvent

    url, name = named_connections(database_url)
    store = EventStore.from_url(url)
    try:
        store.append("owner-1", [NewEvent("OwnerSignedUp", {})], NO_STREAM)
        again = NewEvent("OwnerNamed", {"step": 2})
        assert terminate_connections(name) == 1
        [first] = store.append("owner-1", [again], 1)
        assert terminate_connections(name) == 1
        [resent] = store.append("owner-1", [again], 1)  # what a client retrying would do
        assert resent.position == first.position == 2
        assert [event.type for event in store.read_stream("owner-1")] == [
            "OwnerSignedUp",
            "OwnerNamed",
        ]
    finally:
        store.close()


class Outage:
    """The database of a test going away and coming back: on PostgreSQL the server is cut
    off by a relay in front of it; on SQLite another process holds the database's lock."""

    def __init__(self, backend: str, database_url: str) -> None:
        self.backend = backend
        self._database_url = database_url
        self._proxy: DatabaseProxy | None = None
        self._holder: sqlite3.Connection | None = None

    def url(self) -> str:
        """Where the service finds its database (waiting at most half a second for locks)."""
        if self.backend == "sqlite":
            return (
                make_url(self._database_url)
                .update_query_dict({"timeout": "0.5"})
                .render_as_string()
            )
        parsed = make_url(self._database_url)
        self._proxy = DatabaseProxy(parsed.host or "127.0.0.1", parsed.port or 5432).start()
        return self._proxy.url_for(self._database_url)

    def begin(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()
        else:
            self._holder = sqlite3.connect(
                make_url(self._database_url).database, isolation_level=None
            )
            self._holder.execute("BEGIN IMMEDIATE")

    def end(self) -> None:
        if self._proxy is not None:
            self._proxy.start()
        elif self._holder is not None:
            self._holder.close()
            self._holder = None

    def close(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()
        if self._holder is not None:
            self._holder.close()


@contextmanager
def outage_of(backend: str, database_url: str) -> Iterator[Outage]:
    outage = Outage(backend, database_url)
    try:
        yield outage
    finally:
        outage.close()


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def assert_told_to_come_back(response, content_type: str) -> None:
    """503 with Retry-After, in plain words, with nothing of the failure's insides."""
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.mimetype == content_type
    text = response.get_data(as_text=True)
    for inside in ("Traceback", "psycopg", "sqlite3", "OperationalError", "SELECT", "INSERT"):
        assert inside not in text


def test_while_the_database_is_unavailable_requests_are_told_to_come_back_later(
    backend, database_url, instance, smtp_server, mailbox, caplog
):
    with outage_of(backend, database_url) as outage:
        app = app_on(outage.url(), instance, smtp_server.port)
        client = app.test_client()
        try:
            bearer = owner_token(app, client, mailbox)
            form = {
                "csrf_token": csrf_of(client.get("/signup").get_data(as_text=True)),
                "display_name": "Sam",
                "email": "sam@example.org",
                "password": PASSWORD,
            }

            outage.begin()
            written = client.post("/api/v1/sites", headers=bearer, json=a_site("Home"))
            assert_told_to_come_back(written, "application/json")
            assert written.get_json()["code"] == "database_unavailable"
            assert "try again" in written.get_json()["message"]
            assert_told_to_come_back(client.post("/signup", data=form), "text/html")
            if backend == "postgres":
                assert_told_to_come_back(
                    client.get("/api/v1/sites", headers=bearer), "application/json"
                )
                assert_told_to_come_back(client.get("/"), "text/html")
                ready = client.get("/readyz")
                assert ready.status_code == 503
                assert ready.get_json()["database"].startswith("cannot reach the database at")

            caplog.clear()
            assert set(jobs.run_once(app).values()) == {0}  # no job brings the scheduler down
            told = [r for r in caplog.records if r.name == "service.scheduler"]
            assert not [r for r in told if r.exc_info], "a stack trace for an outage"

            outage.end()
            assert (
                client.post("/api/v1/sites", headers=bearer, json=a_site("Home")).status_code == 201
            )
            assert client.post("/signup", data=form).status_code == 302
            assert [
                s["label"] for s in client.get("/api/v1/sites", headers=bearer).get_json()["sites"]
            ] == ["Home"]
            assert client.get("/").status_code == 200
            assert client.get("/readyz").status_code == 200
            with app.app_context():
                for _name, _, job in jobs.JOBS:
                    job(app.extensions["canvass"])  # every job runs again
        finally:
            app.extensions["canvass"].close()
