"""In a real browser: the operator creates a detective, who sets up an authenticator app at
the first login (the test plays the app, from the key printed beside the QR code), logs in
later with its code, then loses the phone and logs in once with a recovery code."""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.test_owner_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, pytestmark  # noqa: F401
from tests.e2e.test_owner_journey_api import link_token
from tests.support.accessibility import check, report
from tests.support.live_server import serving
from tests.support.sign_in import next_code

DETECTIVE = "det.ortiz@sfpd.example"
PASSWORD = "a staff passphrase"


@pytest.fixture
def detective(cli, client, mailbox):
    made = cli.invoke(
        args=[
            *("accounts", "create", "--role", "investigator", "--agency", "SFPD"),
            *("--email", DETECTIVE, "--name", "Ana Ortiz"),
        ]
    )
    assert made.exit_code == 0, made.output
    confirm = {"token": link_token(mailbox.to(DETECTIVE)[-1]), "password": PASSWORD}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200


@pytest.fixture
def page():
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)  # a shared machine: the service may answer slowly
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        yield context.new_page()
        context.close()
        browser.close()
    expect.set_options(timeout=5_000)


def accessible(page, name):
    """No WCAG 2.1 AA violation axe finds, at a phone's width, a desk's and 320 px; the page
    is left at the desk's width."""
    findings, _ = check(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert findings == [], report(name, page.url, findings)


def password_step(page, base_url):
    page.goto(f"{base_url}/login")
    page.get_by_label("Email address").fill(DETECTIVE)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()


def test_a_detective_sets_up_the_app_logs_in_with_it_and_once_with_a_recovery_code(
    app, detective, page
):
    from playwright.sync_api import expect

    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "content security policy" in message.text.lower()
            else None
        ),
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with serving(app) as base_url:
        password_step(page, base_url)
        expect(page.get_by_role("heading", name="Set up your second factor")).to_be_visible()
        qr = page.locator("img.qr-code")
        expect(qr).to_be_visible()
        assert qr.evaluate("image => image.complete && image.naturalWidth > 100")  # drawn
        page.screenshot(path=str(ARTIFACTS / "mfa-01-set-up.png"), full_page=True)
        accessible(page, "setting up the second factor")
        secret = page.locator("#totp-secret").inner_text().replace(" ", "")
        app_on_the_phone = pyotp.TOTP(secret)
        page.get_by_label("Code from the app").fill(app_on_the_phone.now())
        page.get_by_role("button", name="Set up and log in").click()

        expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
        codes = page.locator("ol.recovery-codes code").all_inner_texts()
        assert len(set(codes)) == 10
        page.screenshot(path=str(ARTIFACTS / "mfa-02-recovery-codes.png"), full_page=True)
        accessible(page, "the recovery codes")
        page.get_by_role("link", name="I have kept my codes: continue").click()
        expect(page.get_by_role("heading", name="Canvasses")).to_be_visible()
        log_out(page)

        # Later: the password, then the app's code (a fresh one: each works once).
        password_step(page, base_url)
        expect(page.get_by_role("heading", name="Your code")).to_be_visible()
        page.get_by_label("Code", exact=True).fill("000000")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("That code is not right").first).to_be_visible()
        accessible(page, "the code after the password, with its error")
        page.get_by_label("Code", exact=True).fill(next_code(app, DETECTIVE))
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Canvasses")).to_be_visible()
        log_out(page)

        # The phone is lost: a recovery code, once.
        password_step(page, base_url)
        page.get_by_label("Code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", name="Canvasses")).to_be_visible()
        log_out(page)
        password_step(page, base_url)
        page.get_by_label("Code", exact=True).fill(codes[0])
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("This recovery code was used already").first).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "mfa-03-recovery-code-used.png"), full_page=True)

    assert refused == []  # the content policy refused nothing on these pages
