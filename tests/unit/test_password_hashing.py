"""Passwords are kept as Argon2id hashes at the cost RFC 9106 recommends where memory is
plentiful, and an unknown account costs a login as much as a wrong password does."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from accounts import passwords
from accounts.passwords import hash_password, verify_password

pytestmark = pytest.mark.shipped_password_cost


def test_a_password_is_kept_as_an_argon2id_hash_at_the_shipped_cost():
    kept = hash_password("correct horse battery staple")
    assert kept.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert "correct horse" not in kept
    assert verify_password(kept, "correct horse battery staple")
    assert not verify_password(kept, "correct horse battery stapler")


def test_a_login_for_an_unknown_account_verifies_against_a_decoy_of_the_same_cost():
    assert not verify_password(None, "a decoy password that matches no account")
    decoy = PasswordHasher().check_needs_rehash
    assert not decoy(passwords._DECOY)  # the decoy is hashed at the shipped parameters


def test_a_hash_that_is_not_argon2_matches_nothing():
    assert not verify_password("not a hash at all", "anything")
