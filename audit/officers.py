"""Who acted, as an auditor reads it: staff accounts by name and role, owners never.

Staff names are not owners' personal data: an auditor needs them to ask the right person about
a release. Only accounts whose role is a staff role are opened, so an owner's name stays
sealed behind the gateway and shows as an opaque id, as before."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from accounts.permissions import ADMIN, AUDITOR, INVESTIGATOR, SUPERVISOR
from accounts.projection import users
from accounts.queries import accounts

OWNER_LINK = "owner-link"  # the actor of what an owner does from an emailed link
STAFF_ROLES = (INVESTIGATOR, SUPERVISOR, AUDITOR, ADMIN)
ROLE_WORDS = {
    INVESTIGATOR: "investigator",
    SUPERVISOR: "supervisor",
    AUDITOR: "auditor",
    ADMIN: "administrator",
    "owner": "camera owner",
    "system": "the service",
    "scheduler": "the service's schedule",
}


@dataclass(frozen=True)
class Officer:
    """A staff member as the audit pages name them."""

    account_id: str
    name: str
    role: str
    agency: str | None

    def __str__(self) -> str:
        return f"{self.name} ({ROLE_WORDS.get(self.role, self.role)}, {self.agency})"


def officers(services: Any, account_ids: Iterable[str | None]) -> dict[str, Officer]:
    """The staff among these account ids, by id; owners and unknown ids are left out, and an
    erased officer's account shows as "erased account"."""
    wanted = {account_id for account_id in account_ids if account_id}
    if not wanted:
        return {}
    query = sa.select(users.c.user_id).where(
        users.c.user_id.in_(wanted), users.c.role.in_(STAFF_ROLES)
    )
    with services.engine.connect().execution_options(read_only=True) as conn:
        staff_ids = list(conn.execute(query).scalars())
    return {
        found.user_id: Officer(
            found.user_id, found.display_name or "erased account", found.role, found.agency
        )
        for found in accounts(services.engine, services.vault, staff_ids).values()
    }


def who(officer_list: dict[str, Officer], account_id: str | None, role: str | None) -> str:
    """The words for whoever acted: an officer's name and role, else the role's words and,
    for an owner, their opaque id."""
    if account_id in officer_list:
        return str(officer_list[account_id])
    words = ROLE_WORDS.get(role or "", role or "someone")
    if role != "owner" or not account_id:
        return words
    return (
        f"{words}, from the emailed link" if account_id == OWNER_LINK else f"{words} {account_id}"
    )
