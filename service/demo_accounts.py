"""The demo's accounts: opened confirmed, with their passwords, through the accounts' own
commands and the event store, and without a confirmation email (their addresses are at a
reserved domain that no mail reaches).

Many are opened at once (an owner for every camera of the city), so what can be done
together is: the owners' keys are made side by side, and their addresses claimed in one
transaction. Each account is still its own stream and its own append.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from accounts import commands as ac
from accounts.decider import AccountState, decide, evolve
from accounts.email_index import EmailIndex, account_emails
from accounts.handlers import ACCOUNT
from events_store.handling import handle

from .wiring import Services

DEMO_ACTOR = {"actor": "demo-load", "role": "admin"}


@dataclass(frozen=True)
class DemoAccount:
    """An account the demo opens."""

    role: str
    agency: str | None
    email: str
    display_name: str


def account_id_for(services: Services, email: str) -> str:
    """The account id of a demo address: derived from it under the master key, so that a
    second load finds the same account and nothing outside can tell it from a random id."""
    return "u" + services.vault.pseudonym("demo-account", email)[:24]


def open_accounts(
    services: Services, wanted: Iterable[DemoAccount], password_hash: Callable[[], str]
) -> int:
    """Open every account not opened before (one erased since stays gone; an address
    someone signed up with is theirs); return how many were opened."""
    new = [account for account in wanted if not _ever_opened(services, account.email)]
    ids = {account.email: account_id_for(services, account.email) for account in new}
    _make_keys(services, list(ids.values()))
    claimed = _claim_addresses(services, ids)
    opened = 0
    for account in new:
        if account.email in claimed:
            _append(services, ids[account.email], account, password_hash())
            opened += 1
    return opened


def _ever_opened(services: Services, email: str) -> bool:
    return bool(services.store.read_stream(f"user-{account_id_for(services, email)}"))


def _make_keys(services: Services, subject_ids: list[str]) -> None:
    """Make the accounts' keys side by side: each key is synced to disk when it is made, and
    one after another that is most of the time a load takes. (A key made for an account
    that then does not open is never used: it seals nothing.)"""
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(
            pool.map(lambda subject: services.vault.seal(subject, "demo", "key", None), subject_ids)
        )


def _claim_addresses(services: Services, ids: dict[str, str]) -> set[str]:
    """Claim the free addresses for their accounts, in one transaction; the addresses now
    held by their demo account."""
    index = EmailIndex(services.engine, services.vault)
    held: set[str] = set()
    free: list[str] = []
    for email, user_id in ids.items():
        claim = index.find(email)
        if claim is None:
            free.append(email)
        elif claim.user_id == user_id:
            held.add(email)  # claimed by a load that stopped before the account was opened
    now = datetime.now(UTC)
    rows = [{"email_key": index.key_of(e), "user_id": ids[e], "created_at": now} for e in free]
    try:
        if rows:
            with services.engine.begin() as conn:
                conn.execute(account_emails.insert(), rows)
        held.update(free)
    except sa.exc.IntegrityError:  # someone signed up with one of them meanwhile
        held.update(email for email in free if index.claim(email, ids[email]))
    return held


def _append(services: Services, user_id: str, account: DemoAccount, password_hash: str) -> None:
    commands: list[ac.AccountCommand] = [
        ac.OpenAccount(user_id, account.role, account.agency, account.email, account.display_name),
        ac.SetPassword(user_id, password_hash),
        ac.VerifyEmail(user_id),
    ]

    def decide_all(state: AccountState) -> list[Any]:
        events: list[Any] = []
        for command in commands if not state.exists else []:
            for event in decide(command, state):
                state = evolve(state, event)
                events.append(event)
        return events

    handle(
        services.store,
        services.vault,
        f"user-{user_id}",
        ACCOUNT,
        decide_all,
        lambda _: user_id,
        DEMO_ACTOR,
    )
