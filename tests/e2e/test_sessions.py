"""Sessions and API tokens tried as an attacker would: a copied cookie after logout or a
password reset, a token after a reset, a token asked for with a wrong password, a browser
left alone, a token past its end or beyond its scope; and the agency's use notice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, link_token, sign_up_and_verify
from tests.support.mail import deliver_mail
from tests.support.sign_in import csrf_of, sign_in

PAGE = "/account/sessions"  # any page that needs a login


@pytest.fixture
def owner(client, mailbox):
    """A confirmed owner's bearer token (the owner then signs in with EMAIL and PASSWORD)."""
    return sign_up_and_verify(client, mailbox)


@pytest.fixture
def clock(app):
    """The accounts' clock, which the test moves on; it starts now."""
    accounts = app.extensions["canvass"].accounts
    moved = {"by": timedelta(0)}
    accounts.clock = lambda: datetime.now(UTC) + moved["by"]

    def move_on(**delta: float) -> None:
        moved["by"] += timedelta(**delta)

    return move_on


def browser_signed_in(app):
    """A new browser, signed in as the owner through the login form."""
    browser = app.test_client()
    assert sign_in(browser, EMAIL, PASSWORD).status_code == 302
    assert browser.get(PAGE).status_code == 200
    return browser


def copy_of(app, browser):
    """Another browser holding a copy of `browser`'s session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", browser.get_cookie("session").value)
    return thief


def post(browser, path: str, data: dict | None = None):
    token = csrf_of(browser.get(PAGE).get_data(as_text=True))
    return browser.post(path, data={"csrf_token": token, **(data or {})})


def is_sent_to_login(answer) -> bool:
    return answer.status_code == 302 and "/login" in answer.headers["Location"]


def reset_password(client, mailbox, new="a brand new passphrase"):
    assert client.post("/api/v1/password-reset", json={"email": EMAIL}).status_code == 202
    deliver_mail(client.application)
    confirm = {"token": link_token(mailbox.to(EMAIL)[-1]), "password": new}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200


def event_types(app) -> list[str]:
    return [event.type for event in app.extensions["canvass"].store.read_all()]


def test_a_copied_cookie_signs_nobody_in_after_its_browser_logs_out(app, owner):
    browser = browser_signed_in(app)
    thief = copy_of(app, browser)
    assert thief.get(PAGE).status_code == 200  # the copy works while the session lasts

    post(browser, "/logout")

    assert is_sent_to_login(thief.get(PAGE))
    assert is_sent_to_login(browser.get(PAGE))


def test_every_page_of_a_signed_in_person_leads_to_log_out_everywhere(app, client, owner):
    browser = browser_signed_in(app)
    for page in ("/dashboard", "/my-requests", "/my-data"):
        assert f'href="{PAGE}">Log out everywhere' in browser.get(page).get_data(as_text=True)
    assert "Log out everywhere" not in client.get("/").get_data(as_text=True)  # not signed in


def test_logging_out_one_browser_leaves_the_others_signed_in(app, owner):
    desk, laptop = browser_signed_in(app), browser_signed_in(app)
    post(desk, "/logout")
    assert laptop.get(PAGE).status_code == 200


def test_logging_out_everywhere_ends_every_browsers_session_but_keeps_tokens(app, client, owner):
    desk, laptop = browser_signed_in(app), browser_signed_in(app)
    thief = copy_of(app, laptop)

    answer = post(desk, PAGE)

    assert is_sent_to_login(answer)
    for browser in (laptop, thief):
        told = browser.get(PAGE, follow_redirects=True).get_data(as_text=True)
        assert "You were logged out. Log in again to go on." in told
    assert is_sent_to_login(desk.get(PAGE))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {owner}"}).status_code == 200
    assert "SessionsEnded" in event_types(app)


def test_a_password_reset_ends_every_session_and_revokes_every_token(app, client, mailbox, owner):
    browser = browser_signed_in(app)
    thief = copy_of(app, browser)
    other = client.post(
        "/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "second"}
    ).get_json()["token"]

    reset_password(client, mailbox)

    assert is_sent_to_login(thief.get(PAGE))
    assert is_sent_to_login(browser.get(PAGE))
    for token in (owner, other):
        refused = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    again = browser_signed_in_with(app, "a brand new passphrase")
    assert again.get(PAGE).status_code == 200
    revoked = [e for e in app.extensions["canvass"].store.read_all() if e.type == "TokenRevoked"]
    assert len(revoked) == 2


def browser_signed_in_with(app, password):
    browser = app.test_client()
    assert sign_in(browser, EMAIL, password).status_code == 302
    return browser


def test_a_browser_left_alone_for_the_idle_limit_must_log_in_again(app, owner, clock):
    browser = browser_signed_in(app)
    clock(minutes=29)
    assert browser.get(PAGE).status_code == 200  # used in time: the idle limit starts again
    clock(minutes=29)
    assert browser.get(PAGE).status_code == 200
    clock(minutes=30)

    refused = browser.get(PAGE)

    assert is_sent_to_login(refused)
    page = browser.get(refused.headers["Location"]).get_data(as_text=True)
    assert "You were away for a while, so you were logged out." in page
    assert is_sent_to_login(browser.get(PAGE))  # and it stays over


def test_a_session_in_constant_use_still_ends_at_the_absolute_limit(app, owner, clock):
    app.config["SESSION_MAX_HOURS"] = 2
    browser = browser_signed_in(app)
    for _ in range(5):
        clock(minutes=20)
        assert browser.get(PAGE).status_code == 200
    clock(minutes=20)

    refused = browser.get(PAGE)

    assert is_sent_to_login(refused)
    page = browser.get(refused.headers["Location"]).get_data(as_text=True)
    assert "Your session reached its time limit." in page


def test_a_valid_bearer_token_with_a_wrong_password_makes_no_token(app, client, owner):
    bearer = {"Authorization": f"Bearer {owner}"}
    body = {"email": EMAIL, "password": "not the password", "name": "attacker"}

    answer = client.post("/api/v1/tokens", headers=bearer, json=body)

    assert answer.status_code == 401
    assert "do not match an account" in answer.get_json()["message"]
    listed = client.get("/api/v1/tokens", headers=bearer).get_json()["tokens"]
    assert [token["name"] for token in listed] == ["laptop"]


def test_a_bearer_token_without_a_password_makes_no_token(client, owner):
    bearer = {"Authorization": f"Bearer {owner}"}
    answer = client.post("/api/v1/tokens", headers=bearer, json={"email": EMAIL, "name": "x"})
    assert answer.status_code == 422
    assert "password" in answer.get_json()["errors"]


def test_a_token_works_for_the_default_days_then_answers_401_saying_it_expired(
    app, client, owner, clock
):
    made = client.post(
        "/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "short"}
    ).get_json()
    ends = datetime.fromisoformat(made["expires_at"])
    assert timedelta(days=89) < ends - datetime.now(UTC) <= timedelta(days=90)
    bearer = {"Authorization": f"Bearer {made['token']}"}
    clock(days=89)
    assert client.get("/api/v1/me", headers=bearer).status_code == 200
    clock(days=1, seconds=1)

    refused = client.get("/api/v1/me", headers=bearer)

    assert refused.status_code == 401
    assert "This API token expired at" in refused.get_json()["message"]
    assert "make a new one" in refused.get_json()["message"]


@pytest.mark.parametrize(
    ("days", "status", "said"),
    [(7, 201, None), (366, 422, "at most 365 days"), (0, 422, "from 1"), ("ten", 422, "from 1")],
)
def test_a_token_may_be_asked_to_end_sooner_but_not_later_than_the_longest_allowed(
    client, owner, days, status, said
):
    body = {"email": EMAIL, "password": PASSWORD, "name": "n", "expires_in_days": days}
    answer = client.post("/api/v1/tokens", json=body)
    assert answer.status_code == status, answer.get_json()
    if said:
        assert said in str(answer.get_json()["errors"]["expires_in_days"])
    else:
        ends = datetime.fromisoformat(answer.get_json()["expires_at"])
        assert ends - datetime.now(UTC) <= timedelta(days=7)


def test_a_read_only_token_reads_but_may_not_change_anything(client, owner):
    body = {"email": EMAIL, "password": PASSWORD, "name": "reader", "scope": "read"}
    made = client.post("/api/v1/tokens", json=body).get_json()
    assert made["scope"] == "read"
    reader = {"Authorization": f"Bearer {made['token']}"}
    assert client.get("/api/v1/me", headers=reader).get_json()["role"] == "owner"
    listed = client.get("/api/v1/tokens", headers=reader).get_json()["tokens"]
    full = next(token for token in listed if token["name"] == "laptop")

    refused = client.delete(f"/api/v1/tokens/{full['token_id']}", headers=reader)

    assert refused.status_code == 403
    assert "may only read" in refused.get_json()["message"]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {owner}"}).status_code == 200


def test_a_token_of_an_unknown_scope_is_refused_in_words(client, owner):
    body = {"email": EMAIL, "password": PASSWORD, "name": "x", "scope": "admin"}
    answer = client.post("/api/v1/tokens", json=body)
    assert answer.status_code == 422
    assert "Choose read" in str(answer.get_json()["errors"]["scope"])


def test_the_agencys_use_notice_is_shown_above_the_login_form_when_set(app, client):
    assert "Use notice" not in client.get("/login").get_data(as_text=True)
    app.config["LOGIN_BANNER"] = "This system is for authorized use by SFPD staff only."
    page = client.get("/login").get_data(as_text=True)
    assert "This system is for authorized use by SFPD staff only." in page
    assert page.index("Use notice") < page.index('name="password"')


def test_logins_and_their_end_are_events_in_the_log(app, owner):
    browser = browser_signed_in(app)
    post(browser, PAGE)
    types = event_types(app)
    assert "LoggedIn" in types and types.index("LoggedIn") < types.index("SessionsEnded")
