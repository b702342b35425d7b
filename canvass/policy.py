"""An agency's rules for canvasses, checked in code and reported field by field.

The defaults follow the published rules of the largest past programme: a search area of
0.025 to 0.5 square miles, an incident window of 15 minutes to 12 hours that has ended, a
case number, and purposes that are never allowed whatever anyone approves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SQUARE_METRES_PER_SQUARE_MILE = 2_589_988.110336

CATEGORIES = ("violent_crime", "property_crime", "missing_person", "traffic")
NEVER_ALLOWED = ("lawful_protest_or_assembly", "immigration_enforcement")
CATEGORY_NAMES = {
    "violent_crime": "violent crime",
    "property_crime": "property crime",
    "missing_person": "a missing person",
    "traffic": "a traffic incident",
    "lawful_protest_or_assembly": "a lawful protest or assembly",
    "immigration_enforcement": "immigration enforcement",
}


@dataclass(frozen=True)
class AgencyPolicy:
    """One agency's limits. Exceeding a limit needs a supervisor; some things never pass."""

    min_area_sq_mi: float = 0.025
    max_area_sq_mi: float = 0.5
    min_window: timedelta = timedelta(minutes=15)
    max_window: timedelta = timedelta(hours=12)
    case_number_pattern: str = r"[A-Z0-9][A-Z0-9-]{3,31}"
    case_number_example: str = "2026-004512"
    never_allowed: tuple[str, ...] = NEVER_ALLOWED
    # a dispatched canvass closes this long after it was opened, answered or not
    deadline: timedelta = timedelta(days=30)


@dataclass(frozen=True)
class CanvassScope:
    """What a canvass asks for, as the policy sees it."""

    case_number: str
    category: str
    window_start: datetime
    window_end: datetime
    area_m2: float


@dataclass(frozen=True)
class PolicyReport:
    """The outcome of checking a canvass against policy.

    `refusals` can never be overridden; `exceedances` can, by a supervisor with a reason.
    Both map a field name to the sentences that explain the problem.
    """

    refusals: dict[str, list[str]] = field(default_factory=dict)
    exceedances: dict[str, list[str]] = field(default_factory=dict)

    @property
    def within_limits(self) -> bool:
        """Nothing refused and nothing beyond the limits."""
        return not self.refusals and not self.exceedances


def check(scope: CanvassScope, policy: AgencyPolicy, now: datetime) -> PolicyReport:
    """Every way the canvass breaks policy, field by field."""
    refusals: dict[str, list[str]] = {}
    exceedances: dict[str, list[str]] = {}
    if scope.category in policy.never_allowed:
        name = CATEGORY_NAMES.get(scope.category, scope.category)
        refusals["category"] = [f"Canvassing for {name} is never allowed."]
    elif scope.category not in CATEGORIES:
        refusals["category"] = [f"Choose one of: {', '.join(CATEGORIES)}."]
    if not scope.case_number.strip():
        refusals["case_number"] = ["A case number is required."]
    elif not re.fullmatch(policy.case_number_pattern, scope.case_number.strip()):
        refusals["case_number"] = [
            f"Write the case number as your agency does, e.g. {policy.case_number_example}."
        ]
    if scope.window_end <= scope.window_start:
        refusals["window_end"] = ["The window must end after it starts."]
    elif scope.window_end > now:
        refusals["window_end"] = ["The incident window cannot end in the future."]
    else:
        _window(scope.window_end - scope.window_start, policy, exceedances)
    _area(scope.area_m2 / SQUARE_METRES_PER_SQUARE_MILE, policy, exceedances)
    return PolicyReport(refusals, exceedances)


def _window(length: timedelta, policy: AgencyPolicy, found: dict[str, list[str]]) -> None:
    if length < policy.min_window:
        found["window"] = [f"The window is shorter than {_duration(policy.min_window)}."]
    elif length > policy.max_window:
        found["window"] = [f"The window is longer than {_duration(policy.max_window)}."]


def _area(square_miles: float, policy: AgencyPolicy, found: dict[str, list[str]]) -> None:
    if square_miles < policy.min_area_sq_mi:
        found["area"] = [
            f"The area is {square_miles:.3f} square miles, below the minimum of "
            f"{policy.min_area_sq_mi} (too small to protect the owners' privacy)."
        ]
    elif square_miles > policy.max_area_sq_mi:
        found["area"] = [
            f"The area is {square_miles:.3f} square miles, above the maximum of "
            f"{policy.max_area_sq_mi}."
        ]


def _duration(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def policy_from_settings(settings: dict[str, object] | None) -> AgencyPolicy:
    """An agency's policy from its settings (limits in square miles and minutes), defaults
    for anything not given."""
    given = dict(settings or {})
    changes: dict[str, object] = {}
    for key in ("min_area_sq_mi", "max_area_sq_mi"):
        if key in given:
            changes[key] = float(given.pop(key))  # type: ignore[arg-type]
    for key in ("min_window", "max_window"):
        if f"{key}_minutes" in given:
            changes[key] = timedelta(minutes=float(given.pop(f"{key}_minutes")))  # type: ignore[arg-type]
    if "deadline_days" in given:
        changes["deadline"] = timedelta(days=float(given.pop("deadline_days")))  # type: ignore[arg-type]
    for key in ("case_number_pattern", "case_number_example"):
        if key in given:
            changes[key] = str(given.pop(key))
    if given:
        raise ValueError(f"unknown canvass policy settings: {', '.join(sorted(given))}")
    return AgencyPolicy(**changes)  # type: ignore[arg-type]
