"""The people a test's app knows, their sealed email and name opened as the service does."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from accounts.projection import users
from accounts.queries import accounts


@dataclass(frozen=True)
class Person:
    user_id: str
    role: str
    email: str | None
    display_name: str | None


def people(app: Flask, role: str | None = None) -> list[Person]:
    """Every account (of `role`, if given), oldest first."""
    services = app.extensions["canvass"]
    query = sa.select(users.c.user_id).order_by(users.c.created_at, users.c.user_id)
    if role is not None:
        query = query.where(users.c.role == role)
    with services.engine.connect() as conn:
        ids = list(conn.execute(query).scalars())
    found = accounts(services.engine, services.vault, ids)
    return [Person(a.user_id, a.role, a.email, a.display_name) for a in (found[i] for i in ids)]
