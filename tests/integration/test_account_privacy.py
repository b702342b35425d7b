"""Accounts as an adversary sees them: sign-up tells nobody which addresses are registered
(same answer, same email count, similar time for an unknown, an existing and an erased
address); an erased address is free for a new person; an account's email, name and password
hash are nowhere in clear on disk, and neither are the messages sent to it. SQLite and
PostgreSQL."""

from __future__ import annotations

import os
import re
import stat
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from accounts.email_index import CLAIM_GRACE, account_emails
from events_store.outbox import outbox
from events_store.vault import is_sealed
from tests.databases import raw_connection
from tests.support.mail import deliver_mail
from tests.support.people import people
from tests.support.raw_bytes import (
    Needles,
    findings,
    mail_files,
    postgres_relation_files,
    sqlite_files,
)

PASSWORD = "correct horse battery staple"
NAME = "Philippa Quarrington-Oyelaran"
EMAIL = "philippa.quarrington.5520@example.org"
ROUNDS = 15
VARY = ("set-cookie", "x-request-id")  # the session cookie, and a fresh id on every request


def sign_up(client, email: str, name: str = NAME):
    return client.post(
        "/api/v1/accounts", json={"email": email, "password": PASSWORD, "display_name": name}
    )


def sign_up_on_the_page(client, email: str):
    page = client.get("/signup").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = {"csrf_token": token, "display_name": NAME, "email": email, "password": PASSWORD}
    return client.post("/signup", data=form)


def queued(app) -> int:
    with app.extensions["canvass"].engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(outbox)).scalar_one())


def erased_address(app, email: str) -> str:
    """An address whose account was opened and then erased; returns the erased id."""
    services = app.extensions["canvass"]
    services.accounts.sign_up(email, PASSWORD, NAME)
    user_id = services.accounts.user_id_for(email)
    services.eraser.erase_owner(user_id, "owner_request", "owner")
    return user_id


def answer(response) -> tuple:
    """What the person (or a script) sees of a response, but its cookies and tokens."""
    headers = tuple(sorted((k, v) for k, v in response.headers.items() if k.lower() not in VARY))
    body = re.sub(r'name="csrf_token" value="[^"]+"', "", response.get_data(as_text=True))
    return response.status_code, headers, body


def test_sign_up_answers_an_unknown_an_existing_and_an_erased_address_alike(app, client):
    sign_up(client, "existing@example.org")
    erased_address(app, "erased@example.org")
    erased_address(app, "erased.too@example.org")
    before = queued(app)

    api = {
        kind: sign_up(client, address)
        for kind, address in (
            ("unknown", "unknown@example.org"),
            ("existing", "existing@example.org"),
            ("erased", "erased@example.org"),
        )
    }
    assert {kind: r.status_code for kind, r in api.items()} == dict.fromkeys(api, 202)
    assert len({answer(r) for r in api.values()}) == 1
    assert queued(app) == before + 3  # exactly one email each, none sent in the request

    pages = {
        kind: sign_up_on_the_page(client, address)
        for kind, address in (
            ("unknown", "unknown.too@example.org"),
            ("existing", "existing@example.org"),
            ("erased", "erased.too@example.org"),
        )
    }
    assert {kind: r.status_code for kind, r in pages.items()} == dict.fromkeys(pages, 302)
    assert len({answer(r) for r in pages.values()}) == 1
    assert pages["unknown"].headers["Location"].endswith("/signup/sent")
    assert queued(app) == before + 6


@pytest.mark.slow  # 60 sign-ups, each hashing its password as a real one does
@pytest.mark.shipped_password_cost
def test_sign_up_takes_about_as_long_for_an_unknown_an_existing_and_an_erased_address(app, client):
    sign_up(client, "existing@example.org")
    erased = [f"erased{n}@example.org" for n in range(ROUNDS)]
    for address in erased:
        erased_address(app, address)
    times: dict[str, list[float]] = {"unknown": [], "existing": [], "erased": []}
    for n in range(ROUNDS):
        addresses = {
            "unknown": f"unknown{n}@example.org",
            "existing": "existing@example.org",
            "erased": erased[n],
        }
        order = list(addresses)[n % 3 :] + list(addresses)[: n % 3]  # interleaved, rotated
        for kind in order:
            started = time.perf_counter()
            assert sign_up(client, addresses[kind]).status_code == 202
            times[kind].append(time.perf_counter() - started)
    medians = {kind: statistics.median(taken) for kind, taken in times.items()}
    assert max(medians.values()) < 3 * min(medians.values()) + 0.05, medians


def test_an_erased_address_signs_up_again_as_a_new_person_and_logs_in(app, client, mailbox):
    services = app.extensions["canvass"]
    first = erased_address(app, EMAIL)
    with services.engine.connect() as conn:
        rows = conn.execute(sa.select(account_emails).where(account_emails.c.user_id == first))
        assert rows.all() == []
    assert services.accounts.user_id_for(EMAIL) is None

    assert sign_up(client, EMAIL, "Pippa").status_code == 202
    deliver_mail(app)
    confirmation = [m for m in mailbox.to(EMAIL) if m["Subject"].startswith("Confirm")][-1]
    link = re.search(r"https?://\S+", confirmation.get_content()).group(0)
    token = link.split("token=", 1)[1]
    assert client.post("/api/v1/accounts/verify", json={"token": token}).status_code == 200
    issued = client.post("/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "x"})
    assert issued.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {issued.get_json()['token']}"})
    assert me.get_json()["display_name"] == "Pippa"
    assert me.get_json()["user_id"] != first
    assert [p.display_name for p in people(app)] == ["Pippa"]


def test_two_sign_ups_for_one_address_at_once_open_one_account(app):
    accounts = app.extensions["canvass"].accounts
    start = threading.Barrier(4)
    failures: list[BaseException] = []

    def sign_up_now() -> None:
        start.wait()
        try:
            accounts.sign_up(EMAIL, PASSWORD, NAME)
        except BaseException as error:  # reported below, in the test's thread
            failures.append(error)

    threads = [threading.Thread(target=sign_up_now) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [p.email for p in people(app)] == [EMAIL]
    with app.extensions["canvass"].engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(account_emails)).scalar() == 1


def test_a_claim_whose_account_never_came_is_taken_over_by_the_next_sign_up(app, client):
    services = app.extensions["canvass"]
    key = services.vault.pseudonym("account-email", EMAIL)
    long_ago = datetime.now(UTC) - CLAIM_GRACE - timedelta(seconds=1)
    with services.engine.begin() as conn:  # a sign-up that crashed after claiming
        conn.execute(
            account_emails.insert().values(
                email_key=key, user_id="uNeverAppended", created_at=long_ago
            )
        )
    assert sign_up(client, EMAIL).status_code == 202
    [person] = people(app)
    assert person.email == EMAIL and person.user_id != "uNeverAppended"
    assert services.accounts.user_id_for(EMAIL) == person.user_id


def test_an_accounts_email_name_and_password_are_sealed_on_disk(app, client, database_url):
    sign_up(client, EMAIL)
    sign_up(client, EMAIL)  # the holder is told, in a message of their own
    deliver_mail(app)
    services = app.extensions["canvass"]
    with services.engine.connect() as conn:
        rows = conn.execute(sa.select(outbox.c.recipient, outbox.c.body, outbox.c.sent_at)).all()
    assert len(rows) == 2 and all(is_sealed(r.recipient) and is_sealed(r.body) for r in rows)
    assert all(r.sent_at is not None for r in rows)

    needles = Needles()
    needles.text("email", EMAIL)
    needles.text("email's local part", EMAIL.split("@")[0])
    needles.text("name", NAME)
    needles.text("surname", "Quarrington")
    needles.text("password hash", "$argon2id$")
    if database_url.startswith("sqlite"):
        places = sqlite_files(database_url)
    else:
        places = postgres_relation_files(database_url)
        mine = own_relations(database_url)
        places = {k: v for k, v in places.items() if k.split(" of ", 1)[1].split(" (")[0] in mine}
        assert any("accounts_users" in k for k in places), "the test must see the table's files"
        assert any("account_emails" in k for k in places) and any(".outbox" in k for k in places)
    assert findings(needles, places) == {}


def own_relations(url: str) -> set[str]:
    """The relations of the test's schema and their TOAST tables and indexes, by name."""
    with raw_connection(url) as conn:
        rows = conn.execute(
            "SELECT n.nspname || '.' || c.relname, t.oid::regclass::text"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " LEFT JOIN pg_class t ON t.oid = c.reltoastrelid"
            " WHERE n.nspname = current_schema()"
        ).fetchall()
    names = {name for name, _ in rows}
    for _, toast in rows:
        if toast:
            names |= {toast, f"{toast}_index"}
    return names


@pytest.fixture
def file_app(database_url, tmp_path, monkeypatch):
    """The service writing mail as `.eml` files in its instance folder (no SMTP server)."""
    from service import create_app

    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    yield app
    app.extensions["canvass"].close()


def test_an_erased_persons_mail_files_are_deleted_and_every_file_is_private(file_app):
    services = file_app.extensions["canvass"]
    folder = Path(file_app.instance_path) / "outbox"
    folder.mkdir(mode=0o755, parents=True, exist_ok=True)
    os.chmod(folder, 0o755)  # as an older version, or a careless umask, left it
    client = file_app.test_client()
    sign_up(client, EMAIL)
    sign_up(client, "neighbour@example.org", "Neighbour Person")
    permissive = os.umask(0)
    try:
        assert deliver_mail(file_app) == 2
    finally:
        os.umask(permissive)
    written = sorted(p for p in folder.rglob("*") if p.is_file())
    assert len(written) == 2 and all(p.suffix == ".eml" for p in written)
    assert {stat.S_IMODE(p.stat().st_mode) for p in written} == {0o600}
    folders = [folder, *(p for p in folder.rglob("*") if p.is_dir())]
    assert {stat.S_IMODE(p.stat().st_mode) for p in folders} == {0o700}
    philippa = services.accounts.user_id_for(EMAIL)
    assert [p.parent.name for p in written if EMAIL.encode() in p.read_bytes()] == [philippa]

    services.eraser.erase_owner(philippa, "owner_request", "owner")

    assert not (folder / philippa).exists()
    left = mail_files(folder)
    assert len(left) == 2  # the neighbour's message, raw and decoded
    needles = Needles()
    needles.text("email", EMAIL)
    needles.text("name", NAME)
    assert findings(needles, left) == {}


def test_a_message_whose_person_was_erased_before_it_went_out_is_dropped(file_app):
    services = file_app.extensions["canvass"]
    sign_up(file_app.test_client(), EMAIL)
    services.vault.forget(services.accounts.user_id_for(EMAIL))  # erasure cut off after this

    assert deliver_mail(file_app) == 0
    assert queued(file_app) == 0
    folder = Path(file_app.instance_path) / "outbox"
    assert not folder.exists() or list(folder.rglob("*.eml")) == []
