"""RFC 8785's own examples: the sample input and output, member order, and appendix B."""

from __future__ import annotations

import struct

from hypothesis import strategies as st

MAX_EXACT_INTEGER = 2**53 - 1

# RFC 8785 section 3.2.2: the sample input, and (section 3.2.3) the canonical text it gives.
RFC_8785_SAMPLE = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC_8785_SAMPLE_OUTPUT = (
    r"""{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"""
    r""""string":"€$\u000f\nA'B\"\\\\\"/"}"""
)
# RFC 8785 section 3.2.3: member names sort by their UTF-16 code units.
RFC_8785_SORTING = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC_8785_SORTED_NAMES = ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


# RFC 8785 appendix B: the bits of a double, and how ECMAScript writes it.
APPENDIX_B_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]
# RFC 8785 appendix B: NaN and infinity, which have no JSON text.
APPENDIX_B_NOT_NUMBERS = ["7fffffffffffffff", "7ff0000000000000"]


def double(ieee_754: str) -> float:
    """The double whose big-endian IEEE 754 bits are these 16 hex digits."""
    (number,) = struct.unpack(">d", bytes.fromhex(ieee_754))
    return float(number)


def carried_exactly(number: float) -> bool:
    """Whether a double's RFC 8785 text reads back as the same number in every language:
    not a whole one from 2**53 up to 1e21, which is written as padded digits."""
    return not (number.is_integer() and 2**53 <= abs(number) < 1e21)


# Any JSON value the log carries: exact integers, finite doubles that read back exactly,
# Unicode text (no lone surrogates), nested.
SAFE_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-MAX_EXACT_INTEGER, MAX_EXACT_INTEGER)
    | st.floats(allow_nan=False, allow_infinity=False).filter(carried_exactly)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)
