"""What the address suggestions take and give, for the API and the pages' address fields."""

from __future__ import annotations

from marshmallow import Schema, fields

from validation.fields import Text

from .geocoding import MAX_SUGGESTIONS

MAX_TYPED = 200
TYPED_LENGTH = f"Type 1 to {MAX_TYPED} characters of the address."


class AddressTypedSchema(Schema):
    q = Text(
        MAX_TYPED,
        1,
        required=True,
        length_error=TYPED_LENGTH,
        metadata={
            "description": "The address as typed so far: a house number, then the start of "
            "the street (for example '1 dr carlton b goodlett pl' or '1021 misson st'). "
            f"At most {MAX_TYPED} characters."
        },
    )


class AddressSuggestionSchema(Schema):
    address = fields.String(metadata={"description": "The address as the gazetteer writes it."})
    latitude = fields.Float()
    longitude = fields.Float()
    exact = fields.Boolean(
        metadata={
            "description": "False when the street has no such number: the suggestions are "
            "then the nearest numbers on that street, for the person to choose from."
        }
    )


class AddressSuggestionsSchema(Schema):
    suggestions = fields.List(
        fields.Nested(AddressSuggestionSchema),
        metadata={"description": f"At most {MAX_SUGGESTIONS}, best first; empty if none."},
    )
