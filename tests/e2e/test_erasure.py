"""An owner who leaves is erased for good: not a byte of their email, name, address or words
stays in the database files, the outbox or the footage store, while the log and its proofs
still verify. On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from geographiclib.geodesic import Geodesic
from sqlalchemy.engine import make_url

from tests.databases import raw_connection
from tests.e2e.test_canvass_api import canvass_body, staff
from tests.e2e.test_canvass_requests import AT, INCIDENT
from tests.e2e.test_footage_intake import upload
from tests.e2e.test_owner_journey_api import PASSWORD, link_token, sign_up_and_verify
from tests.unit.test_footage_store import mp4

EMAIL = "rosa.quintero.7731@example.org"
NAME = "Rosa Delgado-Quintero"
ADDRESS = "4417 Calle Zafiro Imaginaria"
NOTE = "Ring the side bell, Rosa is home after six"
STATEMENT = "Exported by Rosa from the garage recorder"
SECRETS = (EMAIL, NAME, ADDRESS, NOTE, STATEMENT)


def raw_bytes(url: str) -> bytes:
    """Everything the database holds: the SQLite file and its write-ahead log as bytes, or
    every row of every PostgreSQL table of the test's schema as text."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        files = [Path(parsed.database), Path(f"{parsed.database}-wal")]
        return b"".join(path.read_bytes() for path in files if path.exists())
    with raw_connection(url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        ]
        dump = []
        for table in tables:
            dump += [str(row[0]) for row in conn.execute(f'SELECT t::text FROM "{table}" t')]
    return "\n".join(dump).encode()


@pytest.fixture
def answered(app, client, cli, mailbox):
    """Rosa's camera looks at an incident; she offered footage with a note and uploaded it."""
    services = app.extensions["canvass"]
    services.canvass.clock = lambda: AT + timedelta(days=1)
    bearer = {"Authorization": "Bearer " + sign_up_and_verify(client, mailbox, EMAIL, NAME)}
    spot = Geodesic.WGS84.Direct(INCIDENT[0], INCIDENT[1], 0, 60)
    site = client.post(
        "/api/v1/sites",
        headers=bearer,
        json={
            "label": "Garage",
            "address": ADDRESS,
            "latitude": spot["lat2"],
            "longitude": spot["lon2"],
            "cameras": [
                {
                    "label": "Driveway",
                    "bearing_degrees": 180,
                    "field_of_view_degrees": 90,
                    "range_metres": 120,
                    "retention_days": 14,
                }
            ],
        },
    )
    assert site.status_code == 201, site.get_json()
    detective = staff(cli, client, mailbox, "investigator", "SFPD", "det.lee@sfpd.example")
    place = type("P", (), {"latitude": INCIDENT[0], "longitude": INCIDENT[1]})
    body = canvass_body(place, AT, "property_crime", 250)
    opened = client.post("/api/v1/canvasses", headers=detective, json=body).get_json()
    path = f"/api/v1/canvasses/{opened['canvass_id']}"
    client.post(f"{path}/submit", headers=detective)
    assert client.post(f"{path}/dispatch", headers=detective).get_json()["requests"] == {
        "requested": 1
    }
    services.outbox.send_pending()
    [request] = [m for m in mailbox.to(EMAIL) if m["Subject"].startswith("A request")]
    token = link_token(request)
    answer = {"token": token, "answer": "share_now", "note": NOTE}
    assert client.post("/api/v1/requests/answer", json=answer).status_code == 200
    clip = mp4(b"\x09" * 4000)
    assert upload(client, token, clip, statement=STATEMENT).status_code == 201
    return bearer, detective, path, hashlib.sha256(clip).hexdigest()


def test_an_erased_owner_leaves_no_byte_behind_and_the_log_still_verifies(
    app, client, cli, database_url, answered
):
    bearer, detective, path, digest = answered
    services = app.extensions["canvass"]
    rosa = services.accounts.user_id_for(EMAIL)
    services.log.issue_checkpoint()
    before = raw_bytes(database_url)
    assert rosa.encode() in before  # the test reads the files where her data is (sealed)
    store_root = services.footage.files.root
    assert [p.name for p in store_root.rglob("*") if p.is_file()] == [digest]

    wrong = client.post("/api/v1/me/erasure", headers=bearer, json={"password": "not it"})
    assert wrong.status_code == 401
    erased = client.post("/api/v1/me/erasure", headers=bearer, json={"password": PASSWORD})
    assert erased.status_code == 200
    assert erased.get_json()["message"] == "Your account and your personal data are erased."

    after = raw_bytes(database_url)
    assert [s for s in SECRETS if s.encode() in after] == []
    assert [p for p in store_root.rglob("*") if p.is_file()] == []
    assert client.get("/api/v1/me", headers=bearer).status_code == 401
    login = client.post("/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "x"})
    assert login.status_code == 401

    # Investigators keep the counts, lose the file; custody records its removal.
    summary = client.get(f"{path}/requests", headers=detective).get_json()
    assert summary["counts"]["offered_footage"] == 0  # the owner who offered it has left
    assert summary["counts"]["owner_left"] == 1
    assert client.get(f"{path}/footage", headers=detective).get_json()["files"] == []
    assert client.get(f"{path}/candidates", headers=detective).get_json()["ranked"] == []

    # The log is whole: every event matches its hash and the checkpoint signed before.
    checked = cli.invoke(args=["events", "verify"])
    assert checked.exit_code == 0, checked.output
    assert "match the newest signed checkpoint" in checked.output
    kinds = [event.type for event in services.store.iter_all()]
    # the tombstone follows the sites' unregistering (the candidates listed after it are
    # access events of the detective's own)
    assert kinds.index("AccountErased") > kinds.index("SiteUnregistered")
    assert set(kinds[kinds.index("AccountErased") + 1 :]) <= {"CandidatesListed"}
    handled = [e.data for e in services.store.iter_all() if e.type == "FootageHandled"]
    assert handled[-1]["action"] == "purged"

    # Rebuilt read models hold nothing of hers either.
    for name in ("accounts", "registry", "canvass_requests"):
        assert cli.invoke(args=["projections", "rebuild", name]).exit_code == 0
    with services.engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM accounts_users WHERE role = 'owner'")
            ).scalar()
            == 0
        )
        assert conn.execute(sa.text("SELECT count(*) FROM registry_sites")).scalar() == 0
        assert conn.execute(sa.text("SELECT count(*) FROM canvass_footage")).scalar() == 0
    assert [s for s in SECRETS if s.encode() in raw_bytes(database_url)] == []

    assert services.accounts.user_id_for(EMAIL) is None  # the address is free again
    again = services.eraser.erase_owner(rosa, "owner_request", "x")
    assert not again.newly_erased and again.files_deleted == 0


def test_an_owner_deletes_their_account_from_the_pages(app, client, mailbox):
    from tests.e2e.test_owner_pages import csrf_of, post_form

    sign_up_and_verify(client, mailbox, EMAIL, NAME)
    post_form(client, "/login", {"email": EMAIL, "password": PASSWORD})
    assert "Delete my account and my data" in client.get("/dashboard").get_data(as_text=True)
    page = client.get("/account/delete").get_data(as_text=True)
    refused = client.post("/account/delete", data={"csrf_token": csrf_of(page), "password": "no"})
    assert refused.status_code == 401
    done = client.post("/account/delete", data={"csrf_token": csrf_of(page), "password": PASSWORD})
    assert done.status_code == 302
    home = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Your account and your personal data are erased." in home
    assert client.get("/dashboard").status_code == 302  # logged out
    again = post_form(client, "/login", {"email": EMAIL, "password": PASSWORD})
    assert again.status_code == 401
    signup = client.post(
        "/api/v1/accounts", json={"email": EMAIL, "password": PASSWORD, "display_name": NAME}
    )
    assert signup.status_code == 202  # a returning resident is simply new


def test_inactive_owners_are_told_first_then_erased_unless_they_stay(app, client, mailbox):
    from datetime import UTC, datetime

    from tests.e2e.test_owner_pages import csrf_of

    services = app.extensions["canvass"]
    sign_up_and_verify(client, mailbox, EMAIL, NAME)
    sign_up_and_verify(client, mailbox, "tom@example.org", "Tom Brady-Okafor")
    start, inactive, notice = datetime.now(UTC), timedelta(days=730), timedelta(days=30)
    retention = services.eraser.apply_retention

    assert retention(start + inactive - timedelta(days=1), inactive, notice) == (0, 0)
    assert retention(start + inactive + timedelta(days=1), inactive, notice) == (2, 0)
    assert retention(start + inactive + timedelta(days=2), inactive, notice) == (0, 0)  # once
    services.outbox.send_pending()
    [rosa_notice] = [m for m in mailbox.to(EMAIL) if "will be removed" in m["Subject"]]
    [tom_notice] = [m for m in mailbox.to("tom@example.org") if "will be removed" in m["Subject"]]
    assert "If you do nothing, you will not hear from us again." in rosa_notice.get_content()

    token = link_token(tom_notice)
    page = client.get(f"/keep-account?token={token}").get_data(as_text=True)
    kept = client.post("/keep-account", data={"csrf_token": csrf_of(page), "token": token})
    assert kept.status_code == 302

    due = start + inactive + timedelta(days=1) + notice
    # Tom's "keep" was recorded at today's real time, long before this simulated date, so he
    # is inactive again and told again; Rosa is erased.
    assert retention(due, inactive, notice) == (1, 1)
    login = client.post("/api/v1/tokens", json={"email": EMAIL, "password": PASSWORD, "name": "x"})
    assert login.status_code == 401
    tom = client.post(
        "/api/v1/tokens", json={"email": "tom@example.org", "password": PASSWORD, "name": "x"}
    )
    assert tom.status_code == 201
    [tombstone] = [e for e in services.store.iter_all() if e.type == "AccountErased"]
    assert tombstone.data["reason"] == "inactive"
