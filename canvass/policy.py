"""An agency's rules for canvasses, checked in code and reported field by field.

The defaults follow the published rules of the largest past programme: a search area of
0.025 to 0.5 square miles, an incident window of 15 minutes to 12 hours that has ended, a
case number, and purposes that are never allowed whatever anyone approves.
"""

from __future__ import annotations

import difflib
import math
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


def policy_from_settings(settings: object) -> AgencyPolicy:
    """An agency's policy from its settings (limits in square miles, minutes and days),
    defaults for anything not given; a wrong setting raises InvalidPolicySettings naming it."""
    if settings is None:
        return AgencyPolicy()
    if not isinstance(settings, dict):
        raise InvalidPolicySettings(
            f"its policy must be a JSON object of settings, e.g. {_SETTINGS_EXAMPLE}."
        )
    for key in settings:
        _known_setting(key)
    changes: dict[str, object] = {}
    for key, (unit, example, most) in _NUMBERS.items():
        if key in settings:
            changes[key] = _positive_number(key, settings[key], unit, example, most)
    for key in ("min_window", "max_window"):
        if f"{key}_minutes" in changes:
            changes[key] = timedelta(minutes=changes.pop(f"{key}_minutes"))  # type: ignore[arg-type]
    if "deadline_days" in changes:
        changes["deadline"] = timedelta(days=changes.pop("deadline_days"))  # type: ignore[arg-type]
    for key in ("case_number_pattern", "case_number_example"):
        if key in settings:
            changes[key] = _text(key, settings[key])
    policy = AgencyPolicy(**changes)  # type: ignore[arg-type]
    _check_coherent(policy)
    return policy


class InvalidPolicySettings(ValueError):
    """An agency's policy settings name an unknown key or hold a value that cannot be one."""


_SETTINGS_EXAMPLE = '{"max_area_sq_mi": 0.3, "case_number_pattern": "SF-\\\\d{6}", ...}'
# setting: (unit, an example, the largest value that makes sense)
_NUMBERS: dict[str, tuple[str, str, float]] = {
    "min_area_sq_mi": ("square miles", "0.025", 100.0),
    "max_area_sq_mi": ("square miles", "0.3", 100.0),
    "min_window_minutes": ("minutes", "15", 525_600.0),
    "max_window_minutes": ("minutes", "720", 525_600.0),
    "deadline_days": ("days", "30", 3650.0),
}
_SETTINGS = (*_NUMBERS, "case_number_pattern", "case_number_example")


def _known_setting(key: object) -> None:
    if key in _SETTINGS:
        return
    close = difflib.get_close_matches(str(key), _SETTINGS, n=1)
    hint = f"did you mean {close[0]}?" if close else f"use {', '.join(_SETTINGS)}."
    raise InvalidPolicySettings(f"{str(key)!r} is not a policy setting; {hint}")


def _positive_number(key: str, value: object, unit: str, example: str, most: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPolicySettings(
            f"{key}: {value!r} is not a number; give {unit}, e.g. {example}."
        )
    if not math.isfinite(value) or value <= 0:
        raise InvalidPolicySettings(f"{key} must be more than 0 ({unit}), e.g. {example}.")
    if value > most:
        raise InvalidPolicySettings(f"{key} must be at most {most:g} ({unit}), e.g. {example}.")
    return float(value)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidPolicySettings(f'{key}: {value!r} is not text; e.g. {key} "SF-\\\\d{{6}}".')
    if len(value) > 200:
        raise InvalidPolicySettings(f"{key} is longer than 200 characters.")
    return value


def _check_coherent(policy: AgencyPolicy) -> None:
    if policy.max_area_sq_mi < policy.min_area_sq_mi:
        raise InvalidPolicySettings(
            f"max_area_sq_mi ({policy.max_area_sq_mi:g}) is below min_area_sq_mi "
            f"({policy.min_area_sq_mi:g}); the largest area must be at least the smallest."
        )
    if policy.min_window > policy.max_window:
        raise InvalidPolicySettings(
            f"min_window_minutes ({policy.min_window.total_seconds() / 60:g}) is above "
            f"max_window_minutes ({policy.max_window.total_seconds() / 60:g}); the shortest "
            "window must be at most the longest."
        )
    try:
        pattern = re.compile(policy.case_number_pattern)
    except re.error as wrong:
        raise InvalidPolicySettings(
            f"case_number_pattern: {policy.case_number_pattern!r} is not a regular expression "
            f'({wrong}); e.g. "SF-\\\\d{{6}}" for SF- and six digits.'
        ) from None
    if not pattern.fullmatch(policy.case_number_example):
        raise InvalidPolicySettings(
            f"the example {policy.case_number_example!r} does not match case_number_pattern "
            f"{policy.case_number_pattern!r}: set case_number_example to a case number the "
            "pattern accepts (investigators are shown it when theirs is refused)."
        )
