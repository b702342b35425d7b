"""The gazetteer's table: one row per address point, as loaded from a city's or
OpenAddresses' file and matched by the offline geocoder."""

from __future__ import annotations

import sqlalchemy as sa

gazetteer = sa.Table(
    "gazetteer_addresses",
    sa.MetaData(),
    sa.Column("address_key", sa.BigInteger, primary_key=True, autoincrement=True),
    sa.Column("source_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("number", sa.String(20), nullable=False),
    # The number's digits alone, so the numbers nearest a mistyped one are an index range.
    sa.Column("number_value", sa.BigInteger, nullable=True),
    sa.Column("street", sa.String(120), nullable=False),
    sa.Column("unit", sa.String(40), nullable=False),
    sa.Column("city", sa.String(80), nullable=False),
    sa.Column("region", sa.String(40), nullable=False, server_default=""),
    sa.Column("postcode", sa.String(12), nullable=False),
    sa.Column("display", sa.String(250), nullable=False),
    sa.Column("latitude", sa.Float, nullable=False),
    sa.Column("longitude", sa.Float, nullable=False),
)

# Digits beyond this are not a house number any index needs to order.
NUMBER_DIGITS = 15


def number_value(number: str) -> int | None:
    """The leading digits of a house number ('5026A' -> 5026), None without any."""
    digits = ""
    for character in number[:NUMBER_DIGITS]:
        if not character.isascii() or not character.isdigit():
            break
        digits += character
    return int(digits) if digits else None
