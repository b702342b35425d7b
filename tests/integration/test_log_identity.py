"""The log keeps the name and key it was first signed under, whatever the settings say later."""

from __future__ import annotations

import pytest
from alembic import command
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from accounts.links import SET_PASSWORD, Links
from events_store import ANY, NewEvent
from events_store.store import utc_now
from service import create_app
from service.database import alembic_config, upgrade
from tests.support.tampering import rewrite_with_its_hash

CITY = "https://canvass.city.example"
FIRST_ORIGIN = "canvass.city.example/camera-registry-log"
LATER = {
    "no public address": {},
    "another public address": {"PUBLIC_URL": "https://registry.elsewhere.example:8443"},
}


@pytest.fixture
def start(database_url, tmp_path, monkeypatch):
    """Start the service on one database and one instance folder (so one key file), each
    time with other settings, as an operator restarting it would."""
    monkeypatch.setenv("CANVASS_INSTANCE_PATH", str(tmp_path / "instance"))
    started = []

    def start_with(**settings):
        app = create_app({"DATABASE_URL": database_url, "TESTING": True, **settings})
        started.append(app)
        return app

    yield start_with
    for app in started:
        app.extensions["canvass"].close()


def grow(app, count: int) -> None:
    store = app.extensions["canvass"].store
    for n in range(count):
        store.append(f"site-{n % 3}", [NewEvent("CameraRegistered", {"n": n})], ANY)


def signed(app) -> str:
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("later", list(LATER.values()), ids=list(LATER))
def test_a_log_signed_under_one_public_address_verifies_intact_under_another(start, later):
    first = start(PUBLIC_URL=CITY)
    grow(first, 12)
    assert signed(first).startswith(f"{FIRST_ORIGIN}\n12\n")

    result = start(**later).test_cli_runner().invoke(args=["events", "verify"])

    assert result.exit_code == 0, result.output
    assert "Tampering" not in result.output
    assert "The first 12 events match the newest signed checkpoint." in result.output


@pytest.mark.parametrize("later", list(LATER.values()), ids=list(LATER))
def test_tampering_is_still_found_under_another_public_address(start, database_url, later):
    first = start(PUBLIC_URL=CITY)
    grow(first, 12)
    signed(first)
    rewrite_with_its_hash(first.extensions["canvass"].store, database_url, 7, '{"n":700}')

    result = start(**later).test_cli_runner().invoke(args=["events", "verify"])

    assert result.exit_code == 1
    assert "every stored event matches its hash" in result.output  # the row alone passes
    assert "Tampering found: the first 12 events no longer match the checkpoint" in result.output


def test_checkpoints_signed_after_the_address_changed_keep_the_first_name(start):
    first = start(PUBLIC_URL=CITY)
    grow(first, 3)
    signed(first)
    later = start(PUBLIC_URL="https://registry.elsewhere.example")
    grow(later, 2)

    assert signed(later).startswith(f"{FIRST_ORIGIN}\n5\n")
    assert f"\n\u2014 {FIRST_ORIGIN} " in signed(later)
    public_key = later.test_client().get("/api/v1/audit/public-key").get_data(as_text=True)
    assert public_key.startswith(f"{FIRST_ORIGIN}+")
    assert public_key == first.test_client().get("/api/v1/audit/public-key").get_data(True)


def test_an_origin_set_to_another_name_later_is_refused_not_signed_under(start):
    first = start(PUBLIC_URL=CITY)
    grow(first, 3)
    signed(first)
    renamed = start(CHECKPOINT_ORIGIN="registry.elsewhere.example/log")
    grow(renamed, 2)

    result = renamed.test_cli_runner().invoke(args=["audit", "checkpoint"])

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert (
        "No checkpoint was signed: CANVASS_CHECKPOINT_ORIGIN is 'registry.elsewhere.example/log',"
        f" but this log was first signed as '{FIRST_ORIGIN}'"
    ) in result.output
    assert renamed.extensions["canvass"].log.checkpoints.latest().tree_size == 3
    verified = renamed.test_cli_runner().invoke(args=["events", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Warning: CANVASS_CHECKPOINT_ORIGIN is 'registry.elsewhere.example/log'" in (
        verified.output
    )


def auditor(app) -> dict[str, str]:
    """An auditor's token, the account opened with the link its welcome email would carry."""
    accounts = app.extensions["canvass"].accounts
    user_id = accounts.create_staff("aud.ray@sfpd.example", "Ray Aud", "auditor", "SFPD")
    link = Links(app.config["SECRET_KEY"]).make(SET_PASSWORD, user_id, "")
    accounts.set_password(link, "a staff passphrase")
    token = accounts.issue_token(accounts.user(user_id), "desk").secret
    return {"Authorization": f"Bearer {token}"}


def test_the_api_says_why_it_cannot_sign_and_shows_no_trace(start):
    first = start(PUBLIC_URL=CITY)
    signed(first)
    renamed = start(CHECKPOINT_ORIGIN="registry.elsewhere.example/log")

    answer = renamed.test_client().post("/api/v1/audit/checkpoint", headers=auditor(renamed))

    assert answer.status_code == 503
    assert answer.get_json()["code"] == "log_identity_mismatch"
    assert "CANVASS_CHECKPOINT_ORIGIN" in answer.get_json()["message"]


def test_the_origin_set_to_the_first_name_signs_as_before(start):
    first = start(PUBLIC_URL=CITY)
    signed(first)
    same = start(CHECKPOINT_ORIGIN=FIRST_ORIGIN)
    grow(same, 1)
    assert signed(same).startswith(f"{FIRST_ORIGIN}\n1\n")


def test_a_replaced_key_file_is_refused_rather_than_signing_under_a_second_key(start, tmp_path):
    first = start(PUBLIC_URL=CITY)
    signed(first)
    other_key = tmp_path / "other.pem"
    replaced = start(PUBLIC_URL=CITY, CHECKPOINT_KEY_FILE=str(other_key))
    grow(replaced, 1)

    result = replaced.test_cli_runner().invoke(args=["audit", "checkpoint"])

    assert result.exit_code == 1
    assert "the checkpoint key (CANVASS_CHECKPOINT_KEY_FILE) is not the key" in result.output
    assert replaced.extensions["canvass"].log.checkpoints.latest().tree_size == 0


def test_a_log_signed_before_identities_were_kept_takes_its_name_from_its_checkpoints(
    start, database_url
):
    first = start(PUBLIC_URL=CITY)
    grow(first, 4)
    command.downgrade(alembic_config(database_url), "0015")
    log = first.extensions["canvass"].log
    first.extensions["canvass"].projections.catch_up(["merkle"])
    key = log._configured.key
    log.checkpoints.issue(log.tree, key, FIRST_ORIGIN, FIRST_ORIGIN, utc_now())
    upgrade(database_url)

    later = start(PUBLIC_URL="https://registry.elsewhere.example")
    result = later.test_cli_runner().invoke(args=["events", "verify"])
    assert result.exit_code == 0, result.output
    assert "The first 4 events match the newest signed checkpoint." in result.output
    grow(later, 1)
    assert signed(later).startswith(f"{FIRST_ORIGIN}\n5\n")
    assert later.extensions["canvass"].log.identities.stored().verifier_key == (
        later.extensions["canvass"].log.signer.public_key_text
    )
    assert isinstance(key, Ed25519PrivateKey)
