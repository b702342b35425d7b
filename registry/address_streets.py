"""The streets and towns the gazetteer knows, and which of them a person meant.

People leave out the street's kind ("Mission" for Mission St), type its name with a letter
or two wrong ("Misson"), run the town on after the street without a comma, or are still
typing. Each of those is resolved against the known names only: a name that is close to
nothing known matches nothing, and names equally close all match, so nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from .address_parsing import STREET_TYPES

TOWN_NICKNAMES = {"SF": "SAN FRANCISCO"}
# Streets offered while a person is still typing the name.
MAX_COMPLETIONS = 40


def typos_allowed(name: str) -> int:
    """How many letters may be wrong in a name of this length: none in very short ones."""
    letters = len(name.replace(" ", ""))
    return 0 if letters <= 3 else 1 if letters <= 6 else 2


def without_type(street: str) -> str:
    """'MISSION ST' -> 'MISSION'; a street that is only its kind stays as it is."""
    words = street.split()
    return " ".join(words[:-1]) if len(words) > 1 and words[-1] in STREET_TYPES else street


@dataclass(frozen=True)
class StreetMatch:
    """The streets a person meant, and the words they typed after the street."""

    streets: list[str]
    rest: str


class StreetIndex:
    """Known streets and towns, held in memory: a few thousand names even for a city."""

    def __init__(self, streets: Iterable[str], towns: Iterable[str]) -> None:
        self.streets = sorted(set(streets))
        self._known = set(self.streets)
        self._by_name: dict[str, list[str]] = {}
        for street in self.streets:
            self._by_name.setdefault(without_type(street), []).append(street)
        self._names = list(self._by_name)
        self.towns = {town.upper(): town for town in towns if town}

    def resolve(self, typed: str) -> StreetMatch:
        """The street at the start of `typed` ('MISSON ST SAN FRANCISCO'): the longest
        leading words that name a street, exactly or within a typo or two, followed by
        nothing or by a town."""
        words = typed.split()
        for length in range(len(words), 0, -1):
            street, rest = " ".join(words[:length]), " ".join(words[length:])
            if rest and self.town(rest) is None:
                continue
            found = self.exact(street) or self.close(street)
            if found:
                return StreetMatch(found, rest)
        return StreetMatch([], typed)

    def exact(self, street: str) -> list[str]:
        """The street as typed, or the streets of that name when its kind differs or is
        left out."""
        if street in self._known:
            return [street]
        return list(self._by_name.get(without_type(street), []))

    def close(self, street: str) -> list[str]:
        """The streets nearest in spelling, within the typos a name of its length allows."""
        best: list[str] = []
        for choices, typed in ((self.streets, street), (self._names, without_type(street))):
            limit = typos_allowed(typed)
            if not limit:
                continue
            found = process.extract(
                typed, choices, scorer=Levenshtein.distance, score_cutoff=limit, limit=None
            )
            if found:
                nearest = min(distance for _, distance, _ in found)
                best += [choice for choice, distance, _ in found if distance == nearest]
                break
        return sorted({s for name in best for s in self._by_name.get(name, [name])})

    def completions(self, typed: str) -> list[str]:
        """Streets a person may be in the middle of typing: the name resolved so far first,
        then every street whose name starts with what was typed."""
        found = self.resolve(typed).streets
        starting = [s for s in self.streets if s.startswith(typed) and s not in found]
        return (found + starting)[:MAX_COMPLETIONS]

    def town(self, typed: str) -> str | None:
        """The known town a person meant ('SF', 'San Fransisco'), None if none is close."""
        typed = TOWN_NICKNAMES.get(typed, typed)
        if typed in self.towns:
            return self.towns[typed]
        limit = typos_allowed(typed)
        found = process.extractOne(
            typed, list(self.towns), scorer=Levenshtein.distance, score_cutoff=limit
        )
        return self.towns[found[0]] if found and limit else None
