"""The service as a load balancer, an operator and a visitor see it."""

from __future__ import annotations

import logging

import pytest

from events_store import NO_STREAM, NewEvent
from service import create_app
from tests.databases import SQLiteTemplate


def test_healthz_says_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "up"}


def test_readyz_is_ready_on_a_migrated_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["migrations"] == "current"
    assert body["revision"] == body["expected_revision"]


def test_readyz_says_what_to_run_when_migrations_are_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "not_ready"
    assert "flask --app wsgi db upgrade" in body["migrations"]
    app.extensions["canvass"].close()


def test_readyz_says_when_a_newer_release_migrated_the_database(app, client):
    import sqlalchemy as sa

    with app.extensions["canvass"].engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    body = client.get("/readyz").get_json()
    assert body["status"] == "not_ready"
    assert body["migrations"].startswith("ahead")


def test_readyz_reports_an_unreachable_database_without_leaking_its_address(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    url = "postgresql+psycopg://canvass:secret-password@127.0.0.1:9/nowhere?connect_timeout=2"
    app = create_app({"DATABASE_URL": url})
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("cannot reach the database at 127.0.0.1:9")
    assert b"secret-password" not in response.data
    app.extensions["canvass"].close()


def test_the_home_page_explains_the_service_and_counts_the_log(app, client):
    app.extensions["canvass"].store.append("s", [NewEvent("SiteRegistered", {})], NO_STREAM)
    page = client.get("/").get_data(as_text=True)
    assert "Register the cameras at your home or business" in page
    assert "The log holds <strong>1</strong>\nentry" in page


def test_an_unknown_page_gets_a_friendly_page_and_an_unknown_api_path_gets_json(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert page.mimetype == "text/html"
    assert "Page not found" in page.get_data(as_text=True)

    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404
    assert set(api.get_json()) == {"code", "message", "errors"}
    assert api.get_json()["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/boom", "/boom"])
def test_an_unexpected_failure_shows_no_stack_trace_and_quotes_the_request_id(app, path):
    @app.get(path)
    def boom():
        raise RuntimeError("secret internal detail")

    response = app.test_client().get(path, headers={"X-Request-ID": "support-1234"})

    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internal detail" not in text
    assert "Traceback" not in text
    assert "support-1234" in text
    assert response.headers["X-Request-ID"] == "support-1234"


def test_every_log_line_of_a_request_carries_its_request_id(client, caplog):
    caplog.set_level(logging.INFO)
    response = client.get("/healthz?email=maria@example.org")
    request_id = response.headers["X-Request-ID"]

    lines = [r for r in caplog.records if r.name == "service.access"]
    assert lines and all(r.request_id == request_id for r in lines)
    assert all("maria@example.org" not in r.getMessage() for r in caplog.records)


def test_an_unsafe_request_id_is_replaced(client):
    response = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})
    assert response.headers["X-Request-ID"] != "<script>alert(1)</script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_the_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/healthz", "/readyz"} <= set(spec["paths"])


def test_settings_come_from_defaults_then_environment_then_the_argument(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("CANVASS_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("CANVASS_SQLITE_SYNCHRONOUS", "FULL")
    app = create_app({"SQLITE_SYNCHRONOUS": "EXTRA"})
    try:
        assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'canvass.db'}"
        assert app.config["LOG_LEVEL"] == "WARNING"
        assert app.config["SQLITE_SYNCHRONOUS"] == "EXTRA"
        secret = (tmp_path / "secret_key").read_text()
        assert app.config["SECRET_KEY"] == secret and len(secret) == 64
        assert (tmp_path / "vault_master_key").stat().st_mode & 0o777 == 0o600
    finally:
        app.extensions["canvass"].close()


def test_a_second_start_reuses_the_secrets_of_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    first = create_app()
    second = create_app()
    try:
        assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    finally:
        first.extensions["canvass"].close()
        second.extensions["canvass"].close()


def test_db_upgrade_makes_a_new_database_ready(tmp_path, monkeypatch):
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    try:
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        assert result.exit_code == 0, result.output
        assert "Database is at revision" in result.output
        assert app.test_client().get("/readyz").status_code == 200
        current = app.test_cli_runner().invoke(args=["db", "current"])
        assert "up to date" in current.output
    finally:
        app.extensions["canvass"].close()


def test_projection_commands_show_status_and_rebuild(app, cli):
    store = app.extensions["canvass"].store
    for n in range(5):
        store.append(f"s{n}", [NewEvent("SiteRegistered", {})], NO_STREAM)

    before = cli.invoke(args=["projections", "status"])
    assert before.exit_code == 0
    assert "event_counts" in before.output and "5" in before.output

    rebuilt = cli.invoke(args=["projections", "rebuild", "event_counts"])
    assert rebuilt.exit_code == 0
    assert "event_counts: replayed 5 events." in rebuilt.output

    after = cli.invoke(args=["projections", "status"]).output.splitlines()
    assert "event_counts 5 5 0" in [" ".join(line.split()) for line in after]

    unknown = cli.invoke(args=["projections", "rebuild", "nonsense"])
    assert unknown.exit_code != 0
    assert "no projection named 'nonsense'" in unknown.output


def test_the_template_database_is_migrated_to_the_newest_revision(sqlite_template: SQLiteTemplate):
    import sqlite3

    from service.database import head_revision

    conn = sqlite3.connect(sqlite_template.path)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head_revision()
    conn.close()


def test_the_interactive_api_documentation_works_without_a_network(client):
    import re

    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))
    # the libraries from the wheel's assets, the page's own start-up script and style
    assert assets and all(url.startswith(("/assets/", "/static/")) for url in assets)
    for url in assets:
        with client.get(url) as response:
            assert response.status_code == 200
            # a library is large; the page's own start-up script and style are not empty
            assert len(response.get_data()) > (1000 if url.startswith("/assets/") else 100)
