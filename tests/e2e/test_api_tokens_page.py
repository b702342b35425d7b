"""The API tokens page: an auditor makes the token `canvass-verify` needs, sees it once, and
revokes it; a revoked token is refused at once. Through the Flask client, no browser."""

from __future__ import annotations

import html
import re
import subprocess

import pytest

from tests.e2e.test_audit_log import VERIFY
from tests.e2e.test_canvass_api import staff
from tests.e2e.test_owner_pages import csrf_of, post_form
from tests.support.city import STAFF_PASSWORD
from tests.support.live_server import serving
from tests.support.sign_in import next_code

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


@pytest.fixture
def desk(app, client, cli, mailbox):
    """An auditor's browser, signed in to the pages."""
    staff(cli, client, mailbox, "auditor", "SFPD", "aud.ray@sfpd.example")
    browser = app.test_client()
    signed_in = post_form(
        browser, "/login", {"email": "aud.ray@sfpd.example", "password": STAFF_PASSWORD}
    )
    assert signed_in.status_code == 302
    return browser


def made(desk, name: str):
    code = next_code(desk.application, "aud.ray@sfpd.example")
    return post_form(desk, "/tokens", {"name": name, "password": STAFF_PASSWORD, "code": code})


def secret_of(page: str) -> str:
    return html.unescape(re.search(r'id="issued-token"[^>]* value="([^"]+)"', page).group(1))


def test_a_token_made_on_the_page_is_shown_once_and_lets_canvass_verify_prove_the_log(
    app, client, desk, tmp_path
):
    answer = made(desk, "verifier on the audit laptop")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 201
    assert answer.headers["Cache-Control"] == "no-store"
    assert "shown this once only" in page
    token = secret_of(page)

    listed = desk.get("/tokens").get_data(as_text=True)
    assert "verifier on the audit laptop" in listed and "In use" in listed
    assert token not in listed  # never shown again

    key, checkpoint = tmp_path / "public.key", tmp_path / "saved.checkpoint"
    key.write_text(client.get("/api/v1/audit/public-key").get_data(as_text=True))
    checkpoint.write_text(client.get("/api/v1/audit/checkpoint").get_data(as_text=True))
    with serving(app) as base_url:
        result = subprocess.run(
            [VERIFY, "--public-key", str(key), "--checkpoint", str(checkpoint), "--url", base_url],
            capture_output=True,
            text=True,
            timeout=120,
            env={"CANVASS_TOKEN": token, "PATH": "/usr/bin:/bin"},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "VERIFIED: the log of" in result.stdout


def test_a_revoked_token_is_refused_at_once_and_listed_as_revoked(client, desk):
    token = secret_of(made(desk, "old laptop").get_data(as_text=True))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    listed = desk.get("/tokens").get_data(as_text=True)
    revoke = re.search(r'action="(/tokens/[^"]+/revoke)"', listed).group(1)

    answer = desk.post(revoke, data={"csrf_token": csrf_of(listed)}, follow_redirects=True)

    page = answer.get_data(as_text=True)
    assert "The token is revoked" in page and "Revoked " in page
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    again = desk.post(revoke, data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    assert "not among yours, or it is revoked already" in again.get_data(as_text=True)


@pytest.mark.parametrize(
    ("name", "words"),
    [("", "Name the token (at most 60 characters)."), ("x" * 61, "Use at most 60 characters.")],
)
def test_a_token_without_a_usable_name_is_refused_with_what_to_type(desk, name, words):
    answer = made(desk, name)
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert words in page
    assert 'aria-invalid="true"' in page and 'aria-describedby="name-hint name-error"' in page
    assert 'id="issued-token"' not in page


def test_the_tokens_page_asks_for_a_login(client):
    answer = client.get("/tokens")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
