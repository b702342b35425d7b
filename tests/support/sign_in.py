"""Signing in through the login form, as a person does (with the form's CSRF token), with
the second factor's code computed from the secret the person's app was given."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any

import pyotp

from accounts.handlers import ACCOUNT
from accounts.queries import account

STEP = timedelta(seconds=30)


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on the page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, email: str, password: str) -> Any:
    """Post the login form, and the code after it when the account has a second factor (set
    up first, as at a first login, when it must have one); returns the last response: a
    redirect into the service when the password is right."""
    answer = _post_login(client, email, password)
    where = answer.headers.get("Location", "") if answer.status_code == 302 else ""
    if where.endswith("/login/enrol"):
        _set_up_here(client)
        answer = _post_login(client, email, password)
        where = answer.headers.get("Location", "")
    if where.endswith("/login/code"):
        return send_code(client, next_code(client.application, email))
    return answer


def send_code(client: Any, code: str) -> Any:
    """Type `code` on the page that asks for it after the password."""
    token = csrf_of(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"csrf_token": token, "code": code})


def enrol(app: Any, email: str, password: str) -> str:
    """Log in for the first time in a browser of its own and set up the second factor as a
    person does: read the key shown beside the QR code, type the app's code. Returns the key."""
    browser = app.test_client()
    answer = _post_login(browser, email, password)
    assert answer.headers.get("Location", "").endswith("/login/enrol"), answer.status_code
    return _set_up_here(browser)


def type_code(page: Any, app: Any, email: str) -> None:
    """In a real browser, on the page that asks for it after the password, type the code."""
    page.get_by_label("Code", exact=True).fill(next_code(app, email))
    page.get_by_role("button", name="Log in").click()


def set_up_in_browser(page: Any) -> str:
    """In a real browser, on the set-up page of a first login: type the key shown into an
    "app" (pyotp), its code into the page, and go on past the recovery codes. The key."""
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Set up and log in").click()
    page.get_by_role("link", name="I have kept my codes: continue").click()
    return str(secret)


def _post_login(client: Any, email: str, password: str) -> Any:
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def _set_up_here(browser: Any) -> str:
    page = browser.get("/login/enrol").get_data(as_text=True)
    secret = shown_secret(page)
    code = pyotp.TOTP(secret).at(browser.application.extensions["canvass"].accounts.clock())
    done = browser.post("/login/enrol", data={"csrf_token": csrf_of(page), "code": code})
    assert done.status_code == 201, done.get_data(as_text=True)[:2000]
    return secret


def shown_secret(page: str) -> str:
    """The key the set-up page shows for typing into an app, without its spaces."""
    found = re.search(r'id="totp-secret"[^>]*>([^<]+)<', page)
    assert found, "the page shows no key to type"
    return html.unescape(found.group(1)).replace(" ", "")


def next_code(app: Any, email: str) -> str:
    """A code of the account's app that the service has not accepted yet.

    A code works once, and an app shows a new one every 30 seconds; rather than wait for it,
    the accounts' clock is moved on by a step when the current one is used up."""
    services = app.extensions["canvass"]
    accounts = services.accounts
    user_id = accounts.user_id_for(email)
    found = account(services.engine, services.vault, user_id)
    assert found is not None and found.totp_secret, f"{email} has no second factor"
    totp = pyotp.TOTP(found.totp_secret)
    used = ACCOUNT.fold(services.store.read_stream(f"user-{user_id}")).last_step
    now = totp.timecode(accounts.clock())
    if used >= now + 1:
        earlier = accounts.clock
        shift = STEP * (used - now)
        accounts.clock = lambda: earlier() + shift
        now = totp.timecode(accounts.clock())
    return str(totp.generate_otp(max(now, used + 1)))
