"""Which characters text may hold: what every field type and every decider agrees on."""

from __future__ import annotations

import unicodedata

LINE_BREAKS = frozenset("\n\t\r")
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))


def refused_character(text: str, single_line: bool) -> str | None:
    """The first character that text of this kind may not hold, or None."""
    for character in text:
        kind = unicodedata.category(character)
        if kind == "Cc" and (single_line or character not in LINE_BREAKS):
            return character
        if kind == "Cs" or (single_line and (character in BIDI_CONTROLS or kind in ("Zl", "Zp"))):
            return character
    return None
