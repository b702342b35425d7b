"""The accounts' rules where sign-up meets an address that is taken or was erased."""

from __future__ import annotations

import pytest

from accounts import commands as c
from accounts import events as e
from accounts.decider import AccountState, decide, evolve
from accounts.errors import AccountExists, AccountNotFound

OPEN = c.OpenAccount("uAna", "owner", None, " Ana@Example.org ", "Ana")


def fold(*events: e.AccountEvent) -> AccountState:
    state = AccountState()
    for event in events:
        state = evolve(state, event)
    return state


def test_an_account_opens_with_its_address_normalized():
    [opened] = decide(OPEN, AccountState())
    assert opened == e.AccountOpened("uAna", "owner", None, "ana@example.org", "Ana")


@pytest.mark.parametrize(
    "history",
    [
        (e.AccountOpened("uAna", "owner", None, "ana@example.org", "Ana"),),
        (
            e.AccountOpened("uAna", "owner", None, "ana@example.org", "Ana"),
            e.AccountErased("uAna", "owner_request"),
        ),
    ],
    ids=["open", "erased"],
)
def test_an_account_id_is_never_opened_twice(history):
    with pytest.raises(AccountExists):
        decide(OPEN, fold(*history))


def test_signing_up_again_is_recorded_on_an_open_account_only():
    opened = e.AccountOpened("uAna", "owner", None, "ana@example.org", "Ana")
    assert decide(c.RepeatSignUp("uAna"), fold(opened)) == [e.SignUpRepeated("uAna")]
    with pytest.raises(AccountNotFound):
        decide(c.RepeatSignUp("uAna"), fold(opened, e.AccountErased("uAna", "inactive")))
    with pytest.raises(AccountNotFound):
        decide(c.RepeatSignUp("uAna"), AccountState())
