"""Personal fields are sealed per person, bound to their event, and gone once forgotten."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from events_store import NO_STREAM, DecryptionError, NewEvent, SubjectErasedError
from events_store.database import create_engine
from events_store.integrity import verify_log
from events_store.keystore import FileKeyStore
from events_store.model import new_event_id
from events_store.vault import KeyVault, is_sealed

EMAIL = "maria.lopez@example.org"


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def keys(tmp_path) -> FileKeyStore:
    return FileKeyStore(tmp_path / "keys")


@pytest.fixture
def vault(engine: sa.Engine, keys: FileKeyStore) -> KeyVault:
    return KeyVault(engine, KeyVault.generate_master_key(), keys)


def test_a_sealed_field_opens_for_its_event_and_field_only(vault):
    event_id = new_event_id()
    sealed = vault.seal("owner-1", event_id, "email", EMAIL)

    assert is_sealed(sealed)
    assert EMAIL not in sealed
    assert vault.open(sealed, event_id, "email") == EMAIL
    with pytest.raises(DecryptionError, match="altered or moved"):
        vault.open(sealed, new_event_id(), "email")
    with pytest.raises(DecryptionError, match="altered or moved"):
        vault.open(sealed, event_id, "phone")


def test_sealed_values_keep_their_json_type(vault):
    event_id = new_event_id()
    point = {"lat": 36.6002, "lon": -121.8947}
    assert vault.open(vault.seal("owner-1", event_id, "point", point), event_id, "point") == point


def test_each_subject_has_a_key_of_its_own(vault):
    event_id = new_event_id()
    sealed = vault.seal("owner-1", event_id, "email", EMAIL)
    moved = sealed.replace("owner-1", "owner-2")
    vault.seal("owner-2", new_event_id(), "email", "someone@example.org")
    with pytest.raises(DecryptionError):
        vault.open(moved, event_id, "email")


def test_forgetting_a_subject_makes_their_past_events_unreadable_but_still_verifiable(vault, store):
    event = NewEvent("OwnerSignedUp", {})
    sealed = vault.seal("owner-1", event.event_id, "email", EMAIL)
    store.append(
        "owner-1",
        [NewEvent("OwnerSignedUp", {"email": sealed}, event_id=event.event_id)],
        NO_STREAM,
    )
    other = vault.seal("owner-2", event.event_id, "email", "kept@example.org")

    vault.forget("owner-1")

    [stored] = store.read_stream("owner-1")
    with pytest.raises(SubjectErasedError):
        vault.open(stored.data["email"], stored.event_id, "email")
    with pytest.raises(SubjectErasedError):
        vault.seal("owner-1", new_event_id(), "email", EMAIL)
    assert vault.is_forgotten("owner-1")
    assert not vault.is_forgotten("owner-2")
    assert vault.open(other, event.event_id, "email") == "kept@example.org"
    assert verify_log(store).intact


def test_keys_are_stored_wrapped_and_useless_without_the_master_key(vault, engine, keys):
    event_id = new_event_id()
    sealed = vault.seal("owner-1", event_id, "email", EMAIL)
    wrapped = keys.get("owner-1")
    assert wrapped is not None
    assert len(wrapped) == 12 + 32 + 16  # nonce, key, tag: never the bare key

    stranger = KeyVault(engine, KeyVault.generate_master_key(), keys)
    with pytest.raises(DecryptionError, match="master key"):
        stranger.open(sealed, event_id, "email")


@pytest.mark.parametrize(
    "damaged",
    ["pd1.owner-1", "pd1.owner-1.!!!", "pd1.bad subject.AAAA", "plain text", "pd1.owner-1.AAAA"],
)
def test_damaged_sealed_values_are_refused_clearly(vault, damaged):
    vault.seal("owner-1", new_event_id(), "email", EMAIL)
    with pytest.raises(DecryptionError):
        vault.open(damaged, new_event_id(), "email")
