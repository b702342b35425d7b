"""Addresses as people type them, taken apart into the words the gazetteer stores.

Both sides go through the same functions: the address points when they are loaded and the
text a person types, so "3rd Street", "03RD ST" and "Third St" end up as the same "3RD ST".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ABBREVIATIONS = {
    "STREET": "ST",
    "STR": "ST",
    "AVENUE": "AVE",
    "AV": "AVE",
    "AVN": "AVE",
    "ROAD": "RD",
    "DRIVE": "DR",
    "DOCTOR": "DR",
    "BOULEVARD": "BLVD",
    "BL": "BLVD",
    "BOUL": "BLVD",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "CIRCLE": "CIR",
    "TERRACE": "TER",
    "TERR": "TER",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "TRAIL": "TRL",
    "PLAZA": "PLZ",
    "SQUARE": "SQ",
    "CANYON": "CYN",
    "ALLEY": "ALY",
    "STAIRWAY": "STWY",
    "CROSSING": "XING",
    "TUNNEL": "TUNL",
    "WY": "WAY",
    "MOUNT": "MT",
    "SAINT": "ST",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
# The last word of a street name that says what kind of street it is: it may be left out.
STREET_TYPES = frozenset(
    {"ST", "AVE", "RD", "DR", "BLVD", "LN", "CT", "PL", "CIR", "TER", "PKWY", "HWY", "TRL"}
    | {"PLZ", "SQ", "CYN", "ALY", "STWY", "XING", "TUNL", "WAY", "LOOP", "WALK", "ROW", "HL"}
    | {"EXPY", "FWY"}
)
_UNITS = ["FIRST", "SECOND", "THIRD", "FOURTH", "FIFTH", "SIXTH", "SEVENTH", "EIGHTH", "NINTH"]
_TEENS = ["TENTH", "ELEVENTH", "TWELFTH", "THIRTEENTH", "FOURTEENTH", "FIFTEENTH"]
_TEENS += ["SIXTEENTH", "SEVENTEENTH", "EIGHTEENTH", "NINETEENTH"]
_TENS = {"TWENTY": 20, "THIRTY": 30, "FORTY": 40, "FIFTY": 50}
_ORDINAL_WORDS = {word: n for n, word in enumerate(_UNITS + _TEENS, start=1)}
_ORDINAL_WORDS |= {"TWENTIETH": 20, "THIRTIETH": 30, "FORTIETH": 40, "FIFTIETH": 50}
_ORDINAL = re.compile(r"^0*(\d+)(?:ST|ND|RD|TH)$")
_UNIT = re.compile(
    r"(?:#\s*|\b(?:APT|APARTMENT|UNIT|STE|SUITE|SPC|SPACE|BLDG|RM|ROOM)\b\.?\s*#?\s*)"
    r"([A-Z0-9][A-Z0-9-]*)\b"
)
_NUMBER = re.compile(r"^(\d+)(?:\s*-?\s*(½|1/2)|-?([A-Z])\b)?\s+(.+)$")
_POSTCODE = re.compile(r"\b(\d{5})(?:-\d{4})?$")
_OUR_STATE = re.compile(r"\s+(?:CA|CALIF|CALIFORNIA)$")
_DIRECTIONS = frozenset(["N", "S", "E", "W"])


def ordinal(number: int) -> str:
    """12 as '12TH', 3 as '3RD': how the gazetteer writes numbered streets."""
    if 10 <= number % 100 <= 20:
        return f"{number}TH"
    return f"{number}{ {1: 'ST', 2: 'ND', 3: 'RD'}.get(number % 10, 'TH') }"


def normalize_street(text: str) -> str:
    """Upper case, no punctuation, every word in its abbreviated form, numbered streets
    without zero padding ('03RD'), in digits ('Third') and with their suffix ('24 St')."""
    words = re.sub(r"[^\w\s]", " ", text.upper()).split()
    words = [_ABBREVIATIONS.get(word, word) for word in _spelled_ordinals(words)]
    words = [_ORDINAL.sub(lambda m: ordinal(int(m.group(1))), word) for word in words]
    if len(words) == 2 and words[0].isdecimal() and words[1] in STREET_TYPES:
        words[0] = ordinal(int(words[0]))
    return " ".join(words)


def _spelled_ordinals(words: list[str]) -> list[str]:
    out: list[str] = []
    for word in words:
        if word in _ORDINAL_WORDS and out and out[-1] in _TENS:
            out[-1] = ordinal(_TENS[out[-1]] + _ORDINAL_WORDS[word])
        elif word in _ORDINAL_WORDS:
            out.append(ordinal(_ORDINAL_WORDS[word]))
        else:
            out.append(word)
    return out


def normalize_number(digits: str, suffix: str = "") -> str:
    """A house number with its suffix as stored: '5026A', '3309½'."""
    suffix = suffix.strip().upper().replace("1/2", "½")
    return f"{int(digits)}{suffix}" if digits.isdecimal() else digits.upper()


def street_title(street: str) -> str:
    """'DR CARLTON B GOODLETT PL' as 'Dr Carlton B Goodlett Pl', '3RD ST' as '3rd St'."""
    return " ".join(word.lower() if word[:1].isdigit() else word.title() for word in street.split())


@dataclass(frozen=True)
class AddressQuery:
    """What a person typed, taken apart. Without commas the town may still be at the end
    of `street`: the gazetteer, which knows the streets, splits it off."""

    number: str
    street: str
    unit: str
    city: str
    postcode: str


def parse_address(text: str) -> AddressQuery | None:
    """'1531 McKinnon St #C, Salinas, CA 93906' into its parts; None without a number."""
    parts = [part.strip() for part in text.upper().split(",") if part.strip()]
    if not parts:
        return None
    first = re.sub(r"\s+-\s+\S+$", "", parts[0])  # "123 MAIN ST - BP" style suffixes
    postcode, city = "", ""
    if len(parts) == 1:
        first, postcode = _without_postcode(first)
        first = _OUR_STATE.sub("", first)
    unit = ""
    if match := _UNIT.search(first):
        unit, first = match.group(1), (first[: match.start()] + first[match.end() :]).strip()
    match = _NUMBER.match(first)
    if not match:
        return None
    number = normalize_number(match.group(1), match.group(2) or match.group(3) or "")
    street = normalize_street(match.group(4))
    number, street = _letter_after_number(number, street)
    for part in parts[1:]:
        rest, code = _without_postcode(part)
        postcode = code or postcode
        rest = re.sub(r"\s+[A-Z]{2}$", "", rest).strip()
        if rest and not re.fullmatch(r"[A-Z]{2}", rest) and not city:
            city = rest
    return AddressQuery(number, street, unit, city, postcode) if street else None


def _without_postcode(text: str) -> tuple[str, str]:
    if code := _POSTCODE.search(text):
        return text[: code.start()].strip(), code.group(1)
    return text, ""


def _letter_after_number(number: str, street: str) -> tuple[str, str]:
    """'5026 A Mission St' is 5026A on Mission St; 'N' before a street is its direction."""
    first, _, rest = street.partition(" ")
    letter = len(first) == 1 and first.isalpha() and first not in _DIRECTIONS
    if number.isdigit() and rest and (letter or first == "½"):
        return number + first, rest
    return number, street
