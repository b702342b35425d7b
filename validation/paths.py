"""Ids in a path: one holding a control character names nothing, and PostgreSQL could not
even compare it, so such a path is not found rather than failed."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import NotFound

from .text import refused_character


def refuse_control_characters_in_path() -> None:
    """A before-request hook: a path parameter with a control character is not found."""
    for value in (request.view_args or {}).values():
        if isinstance(value, str) and refused_character(value, single_line=True):
            raise NotFound("There is nothing at this address.")
