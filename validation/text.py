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


def allowed_pattern(single_line: bool, non_blank: bool) -> str:
    """The characters `refused_character` lets through, as a regular expression for the API
    document (ECMA 262 syntax, which Python reads too); `non_blank` needs one that is not
    white space, as trimmed text of at least one character does.

    Lone surrogates are refused too, but left out of the pattern: a regular expression that
    names them is not one that JSON Schema validators accept, and well-formed JSON text
    cannot carry them anyway."""
    refused = r"\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
    if single_line:
        refused += r"\u0009\u000a\u000d\u2028\u2029\u202a-\u202e\u2066-\u2069"
    if non_blank:
        return rf"^[^{refused}]*[^{refused}\s][^{refused}]*$"
    return rf"^[^{refused}]*$"
