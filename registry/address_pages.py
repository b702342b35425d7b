"""Address suggestions for the pages' address fields, answered to the signed-in browser.

The API refuses the session cookie by design, so the address fields of the pages ask here:
the same suggestions, for the same people, as GET /api/v1/geocode/suggest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import EXCLUDE, ValidationError

from accounts.auth import page_allows

from .address_schemas import AddressSuggestionsSchema, AddressTypedSchema
from .api import address_suggestions

address_pages = Blueprint("address_pages", __name__)


@address_pages.get("/addresses/suggest")
@page_allows("address.lookup")
def suggest() -> Any:
    """Up to eight addresses for what the person has typed in an address field."""
    try:
        typed = AddressTypedSchema(unknown=EXCLUDE).load(request.args)
    except ValidationError as error:
        return jsonify(
            code="invalid_input", message="Check the address typed.", errors=error.messages
        ), 422
    found = {"suggestions": address_suggestions(typed["q"])}
    return jsonify(AddressSuggestionsSchema().dump(found))
