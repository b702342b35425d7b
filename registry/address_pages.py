"""Address suggestions for the pages' address fields, answered to the signed-in browser,
and how a place the pages were sent came to be where it is.

The API refuses the session cookie by design, so the address fields of the pages ask here:
the same suggestions, for the same people, as GET /api/v1/geocode/suggest.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import EXCLUDE, ValidationError

from accounts.auth import page_allows

from . import actions
from .address_schemas import AddressSuggestionsSchema, AddressTypedSchema
from .api import address_suggestions
from .errors import InvalidSite
from .geodesy import Point, distance_m

address_pages = Blueprint("address_pages", __name__)

# A suggestion writes its place to six decimals (about 0.1 m): a pin within this distance
# of the address is where the suggestion put it, not where the person moved it.
SAME_PLACE_METRES = 1.0


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


def placed_by_address(body: dict[str, Any]) -> dict[str, Any]:
    """The form's site to locate by its address when its pin is where the address is (a
    suggestion chosen put it there), so the site records that it was placed by the
    address; a pin moved since, or an address with several places, stays a pin."""
    if not body.get("address") or body.get("latitude") is None:
        return body
    try:
        places = actions.candidates(body["address"])
    except InvalidSite:  # the address service is away: the pin is all there is
        return body
    pin = Point(body["latitude"], body["longitude"])
    if (
        len(places) == 1
        and distance_m(pin, Point(places[0].latitude, places[0].longitude)) <= SAME_PLACE_METRES
    ):
        return {k: v for k, v in body.items() if k not in ("latitude", "longitude")}
    return body
