"""Signing in through the login form, as a person does (with the form's CSRF token)."""

from __future__ import annotations

import re
from typing import Any


def csrf_of(page: str) -> str:
    """The CSRF token of the first form on the page."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, email: str, password: str) -> Any:
    """Post the login form; returns the response (a redirect when the password is right)."""
    token = csrf_of(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})
