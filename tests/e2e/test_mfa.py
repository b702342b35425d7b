"""The second factor: staff made by the operator set up an app at their first login, log in
with its code after the password, cannot use a code twice, and use each recovery code once;
the secret is sealed in the database and goes with an erasure. Codes are computed from the
key the set-up page shows, as an authenticator app would."""

from __future__ import annotations

import re

import pyotp
import pytest
import segno

from accounts.second_factor import ISSUER
from tests.e2e.test_owner_journey_api import EMAIL, PASSWORD, link_token, sign_up_and_verify
from tests.support.raw_bytes import table_text
from tests.support.sign_in import csrf_of, enrol, next_code, send_code, shown_secret

DETECTIVE = "det.lee@sfpd.example"
STAFF_PASSWORD = "a staff passphrase"


@pytest.fixture
def detective(cli, client, mailbox):
    """An investigator the operator created, who has chosen a password by the emailed link."""
    made = cli.invoke(
        args=[
            *("accounts", "create", "--role", "investigator"),
            *("--agency", "SFPD", "--email", DETECTIVE),
        ]
    )
    assert made.exit_code == 0, made.output
    assert "second factor" in made.output
    welcome = mailbox.to(DETECTIVE)[-1]
    assert "second factor" in welcome.get_content()
    confirm = {"token": link_token(welcome), "password": STAFF_PASSWORD}
    assert client.post("/api/v1/password-reset/confirm", json=confirm).status_code == 200
    return DETECTIVE


def log_in(browser, email=DETECTIVE, password=STAFF_PASSWORD):
    token = csrf_of(browser.get("/login").get_data(as_text=True))
    return browser.post("/login", data={"csrf_token": token, "email": email, "password": password})


def is_signed_in(browser) -> bool:
    return browser.get("/account/sessions").status_code == 200


def recovery_codes_of(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def enrolled_with_codes(app, email=DETECTIVE):
    """Set up the second factor in a browser; its key and the ten recovery codes shown."""
    browser = app.test_client()
    assert log_in(browser, email).headers["Location"].endswith("/login/enrol")
    page = browser.get("/login/enrol").get_data(as_text=True)
    secret = shown_secret(page)
    code = pyotp.TOTP(secret).at(app.extensions["canvass"].accounts.clock())
    done = browser.post("/login/enrol", data={"csrf_token": csrf_of(page), "code": code})
    assert done.status_code == 201
    return secret, recovery_codes_of(done.get_data(as_text=True)), browser


def test_staff_set_up_the_app_at_their_first_login_from_a_qr_code_or_the_typed_key(app, detective):
    browser = app.test_client()
    answer = log_in(browser)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login/enrol")
    assert not is_signed_in(browser)  # the password alone signs nobody in

    page = browser.get("/login/enrol").get_data(as_text=True)
    secret = shown_secret(page)
    assert len(secret) == 32 and pyotp.TOTP(secret).now().isdigit()
    image = re.search(r'<img class="qr-code" src="([^"]+)"', page).group(1)
    assert image.startswith("data:image/svg+xml")  # an image the content policy allows
    uri = pyotp.TOTP(secret).provisioning_uri(name=DETECTIVE, issuer_name=ISSUER)
    assert image.replace("&amp;", "&") == segno.make(uri, error="m").svg_data_uri(scale=4, border=4)
    assert "<script" not in page.split("<main", 1)[-1].split("</main>")[0]
    wrong = browser.post("/login/enrol", data={"csrf_token": csrf_of(page), "code": "000000"})
    assert wrong.status_code == 422 and "That code is not right" in wrong.get_data(as_text=True)
    assert browser.get("/login/enrol").get_data(as_text=True).count(secret[:4]) >= 1
    assert shown_secret(browser.get("/login/enrol").get_data(as_text=True)) == secret

    code = pyotp.TOTP(secret).at(app.extensions["canvass"].accounts.clock())
    done = browser.post("/login/enrol", data={"csrf_token": csrf_of(page), "code": code})

    assert done.status_code == 201 and done.headers["Cache-Control"] == "no-store"
    codes = recovery_codes_of(done.get_data(as_text=True))
    assert len(set(codes)) == 10
    assert is_signed_in(browser)
    assert "recovery" not in browser.get("/account/sessions").get_data(as_text=True).lower()


def test_an_enrolled_person_logs_in_with_the_apps_code_after_the_password(app, detective):
    enrolled_with_codes(app)
    browser = app.test_client()
    answer = log_in(browser)
    assert answer.headers["Location"].endswith("/login/code")
    assert not is_signed_in(browser)
    wrong = send_code(browser, "123456")
    assert wrong.status_code == 401 and "That code is not right" in wrong.get_data(as_text=True)
    types = [e.type for e in app.extensions["canvass"].store.read_all(limit=10_000)]
    assert types[-1] == "SecondFactorFailed"  # for an auditor: someone knows the password

    signed = send_code(browser, next_code(app, DETECTIVE))

    assert signed.status_code == 302 and signed.headers["Location"] == "/canvasses"
    assert is_signed_in(browser)


def test_a_code_used_once_is_refused_the_second_time_within_its_window(app, detective):
    enrolled_with_codes(app)
    code = next_code(app, DETECTIVE)
    first, second = app.test_client(), app.test_client()
    log_in(first), log_in(second)
    assert send_code(first, code).status_code == 302

    again = send_code(second, code)  # seen over the shoulder, typed at once

    assert again.status_code == 401
    assert "This code was used already" in again.get_data(as_text=True)
    assert not is_signed_in(second)


def test_each_recovery_code_works_once_in_place_of_the_app(app, detective):
    _, codes, _ = enrolled_with_codes(app)
    browser = app.test_client()
    log_in(browser)
    assert send_code(browser, codes[3].upper()).status_code == 302  # as typed from paper
    assert is_signed_in(browser)

    thief = app.test_client()
    log_in(thief)
    refused = send_code(thief, codes[3])

    assert refused.status_code == 401
    assert "This recovery code was used already" in refused.get_data(as_text=True)
    log_in(thief)
    assert send_code(thief, codes[4]).status_code == 302
    types = [e.type for e in app.extensions["canvass"].store.read_all(limit=10_000)]
    assert types.count("RecoveryCodeUsed") == 2
    assert "SecondFactorEnrolled" in types and "TotpCodeUsed" in types


def test_the_code_step_asks_for_the_password_first(client):
    answer = client.get("/login/code")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/login")
    assert client.get("/login/enrol").status_code == 302


def test_an_api_token_for_staff_needs_the_password_and_a_fresh_code(app, client, detective):
    body = {"email": DETECTIVE, "password": STAFF_PASSWORD, "name": "desk"}
    before = client.post("/api/v1/tokens", json=body)
    assert (
        before.status_code == 403
        and "Set up your second factor first" in (before.get_json()["message"])
    )
    enrolled_with_codes(app)
    without = client.post("/api/v1/tokens", json=body)
    assert without.status_code == 401 and "second factor" in without.get_json()["message"]
    code = next_code(app, DETECTIVE)
    made = client.post("/api/v1/tokens", json=body | {"code": code})
    assert made.status_code == 201
    replayed = client.post("/api/v1/tokens", json=body | {"code": code})
    assert replayed.status_code == 401
    wrong_password = client.post(
        "/api/v1/tokens", json=body | {"password": "not it", "code": next_code(app, DETECTIVE)}
    )
    assert wrong_password.status_code == 401


def test_setting_up_a_second_factor_ends_every_session_and_token_before_it(app, client, mailbox):
    token = sign_up_and_verify(client, mailbox)
    before = app.test_client()
    assert log_in(before, EMAIL, PASSWORD).status_code == 302
    assert is_signed_in(before)
    app.config["MFA_REQUIRED_FOR"] = "everyone"

    enrol(app, EMAIL, PASSWORD)

    assert not is_signed_in(before)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    ended = [e for e in app.extensions["canvass"].store.read_all() if e.type == "SessionsEnded"]
    assert ended[-1].data["reason"] == "second_factor_changed"


def test_owners_sign_in_with_the_password_alone_unless_the_setting_says_everyone(
    app, client, mailbox
):
    sign_up_and_verify(client, mailbox)
    browser = app.test_client()
    assert log_in(browser, EMAIL, PASSWORD).headers["Location"] == "/dashboard"
    app.config["MFA_REQUIRED_FOR"] = "everyone"
    later = app.test_client()
    assert log_in(later, EMAIL, PASSWORD).headers["Location"].endswith("/login/enrol")


def test_the_secret_is_sealed_in_the_database_and_unreadable_after_erasure(app, client, mailbox):
    sign_up_and_verify(client, mailbox)
    app.config["MFA_REQUIRED_FOR"] = "everyone"
    secret = enrol(app, EMAIL, PASSWORD)
    services = app.extensions["canvass"]
    url = app.config["DATABASE_URL"]
    for table in ("accounts_users", "events"):
        assert secret.encode() not in table_text(url, table)
    assert services.accounts.has_second_factor(services.accounts.user_id_for(EMAIL))

    user_id = services.accounts.user_id_for(EMAIL)
    services.eraser.erase_owner(user_id, "owner_request", "owner")

    assert not services.accounts.has_second_factor(user_id)
    assert log_in(app.test_client(), EMAIL, PASSWORD).status_code == 401
