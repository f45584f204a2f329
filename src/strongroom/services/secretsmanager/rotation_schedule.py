"""Secrets Manager rotation rules: what RotateSecret accepts, what DescribeSecret shows,
and when the next rotation window opens and closes.

A schedule is `AutomaticallyAfterDays` (N days after the last rotation) or a
`ScheduleExpression`: `rate(N hours)` (4-23), `rate(N days)` (1-999) or `cron(...)`
(`cron_expression`). Rotation happens at any time inside a window that opens on the hour:
- days (AutomaticallyAfterDays, rate in days): at midnight UTC of the day N days after the
  reference's day; it closes at the end of that UTC day.
- rate in hours: N hours after the reference's hour; it closes after one hour.
- cron: at each fire; it closes after one hour when the cron fires several times a day
  (a schedule "in hours"), at the end of the UTC day otherwise.
`Duration` ("3h", 1-24 hours) sets the window's length instead; it must not reach the
next window nor, when the schedule is a cron, the next UTC day.

NextRotationDate is the last second of the next window ("the next rotation is scheduled
to occur on or before this date"). Its reference: the last rotation (or, never rotated,
`created`) for AutomaticallyAfterDays and rate(); the moment it is computed (`now`) for
cron, whose windows are fixed in time.

Pure: every time is UTC epoch seconds passed in; no clock, no storage.

Invariants:
- A `RotationRules` value is valid: building one runs AWS's checks and raises AWS's errors.
- A window opens on the hour, lasts 1 to 24 hours, and closes no later than the next one
  opens; the next window opens strictly after its reference.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from strongroom.errors import InvalidParameterException, ValidationException
from strongroom.services.secretsmanager.cron_expression import INVALID_SCHEDULE, CronExpression

__all__ = ["RotationRules", "next_rotation", "next_window", "window_end"]

HOUR = 3600.0
DAY = 86400.0

BOTH = "You cannot specify both rotation frequency and schedule expression together."
NEITHER = "You must specify either rotation frequency or schedule expression."
RATE_HOURS = "Rate in hour should be least 4 and less than 24."
RATE_DAYS = "Rate in day should be greater than 0 and less than 1000."
DURATION_RANGE = "Duration must be at least 1 hour, at most 24 hour."
DURATION_OVER_RATE = "Duration cannot be greater than Rate in hour."
DURATION_OVER_INTERVAL = "Duration cannot be greater than the interval between rotations."
DURATION_PAST_DAY = "Starting hour and duration must be within a day."

_RATE = re.compile(r"rate\(([0-9]+) (hours?|days?)\)")
_CRON = re.compile(r"cron\((.*)\)")
# RotationRulesType's constraints in botocore's model: (path, min, max, pattern)
_DAYS_RANGE = (1, 1000)
_DURATION = ("rotationRules.duration", 2, 3, r"[0-9]+h")
_EXPRESSION = ("rotationRules.scheduleExpression", 1, 256, r"[0-9A-Za-z\(\)#\?\*\-\/, ]+")


@dataclass(frozen=True, slots=True)
class _Schedule:
    """A parsed schedule: every `every` days or hours, or at a cron's fires."""

    unit: str  # "days", "hours" or "cron"
    every: int = 0
    cron: CronExpression | None = None

    @property
    def in_hours(self) -> bool:
        """A schedule "in hours" (several windows a day): default window of one hour."""
        return self.unit == "hours" or (self.cron is not None and len(self.cron.hours) > 1)


@dataclass(frozen=True, slots=True)
class RotationRules:
    """RotateSecret's RotationRules, checked as AWS checks them."""

    automatically_after_days: int | None = None
    schedule_expression: str | None = None
    duration: str | None = None
    _schedule: _Schedule = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_types(self)
        _check_shape(self)
        if self.automatically_after_days is not None and self.schedule_expression is not None:
            raise InvalidParameterException(BOTH)
        if self.schedule_expression is not None:
            schedule = _parse_expression(self.schedule_expression)
        elif self.automatically_after_days is not None:
            schedule = _Schedule("days", self.automatically_after_days)
        else:
            raise InvalidParameterException(NEITHER)
        if self.duration is not None:
            _check_duration(int(self.duration[:-1]), schedule)
        object.__setattr__(self, "_schedule", schedule)

    @classmethod
    def from_wire(cls, rules: Mapping[str, Any]) -> RotationRules:
        """RotationRules as RotateSecret receives them (JSON null is absent; members the
        model does not have are ignored, as AWS ignores them)."""
        return cls(
            automatically_after_days=rules.get("AutomaticallyAfterDays"),
            schedule_expression=rules.get("ScheduleExpression"),
            duration=rules.get("Duration"),
        )

    def to_wire(self) -> dict[str, Any]:
        """RotationRules as DescribeSecret and ListSecrets show them: with a
        ScheduleExpression, AutomaticallyAfterDays is AWS's figure for it (`interval_days`)."""
        shown: dict[str, Any] = {"AutomaticallyAfterDays": self.interval_days}
        if self.duration is not None:
            shown["Duration"] = self.duration
        if self.schedule_expression is not None:
            shown["ScheduleExpression"] = self.schedule_expression
        return shown

    def to_json(self) -> dict[str, Any]:
        """The rules as given, for storage (`from_json` reads them back)."""
        stored: dict[str, Any] = {}
        if self.automatically_after_days is not None:
            stored["AutomaticallyAfterDays"] = self.automatically_after_days
        if self.schedule_expression is not None:
            stored["ScheduleExpression"] = self.schedule_expression
        if self.duration is not None:
            stored["Duration"] = self.duration
        return stored

    @classmethod
    def from_json(cls, stored: Mapping[str, Any]) -> RotationRules:
        """Rules stored by `to_json` (checked again: they were valid when stored)."""
        return cls.from_wire(stored)

    @property
    def interval_days(self) -> int:
        """The days between rotations: N for days; for hours and cron, the longest time
        between two windows, rounded up to whole days."""
        schedule = self._schedule
        if schedule.unit == "days":
            return schedule.every
        if schedule.cron is None:
            return math.ceil(schedule.every / 24)
        return math.ceil(schedule.cron.gaps_hours()[1] / 24)

    @property
    def window_hours(self) -> int | None:
        """The Duration in hours, or None for the default window."""
        return None if self.duration is None else int(self.duration[:-1])


def next_window(
    rules: RotationRules, last_rotated: float | None, created: float, now: float
) -> tuple[float, float]:
    """(opens, closes) of the next rotation window, as AWS schedules it.

    AutomaticallyAfterDays and rate(): from the last rotation, or `created` if the secret
    never rotated ("calculates the next rotation date based on the previous rotation";
    the window may be in the past, as AWS's NextRotationDate may be). cron(): the next
    fire after `now` (and after the last rotation), its windows being fixed in time; so
    call it when rotation is configured or a rotation succeeds, as AWS recomputes then.
    """
    reference = created if last_rotated is None else last_rotated
    schedule = rules._schedule
    if schedule.cron is not None:
        opens = schedule.cron.next_fire(max(reference, now))
    elif schedule.unit == "hours":
        opens = reference // HOUR * HOUR + schedule.every * HOUR
    else:
        opens = reference // DAY * DAY + schedule.every * DAY
    return opens, window_end(rules, opens)


def next_rotation(
    rules: RotationRules, last_rotated: float | None, created: float, now: float
) -> float:
    """NextRotationDate: the last second of `next_window` (AWS shows 23:59:59 for a
    window that closes at midnight)."""
    return next_window(rules, last_rotated, created, now)[1] - 1.0


def window_end(rules: RotationRules, window_start: float) -> float:
    """When the window that opens at `window_start` closes: after Duration if set, else
    one hour later for a schedule in hours, else at the end of the UTC day."""
    if rules.window_hours is not None:
        return window_start + rules.window_hours * HOUR
    if rules._schedule.in_hours:
        return window_start + HOUR
    return window_start // DAY * DAY + DAY


# --- AWS's checks -------------------------------------------------------------------


def _check_types(rules: RotationRules) -> None:
    """Members of the wrong type are the caller's bug: the edge has converted them."""
    days = rules.automatically_after_days
    if days is not None and (type(days) is not int):
        raise TypeError("AutomaticallyAfterDays must be an int")
    for name in ("schedule_expression", "duration"):
        if getattr(rules, name) is not None and type(getattr(rules, name)) is not str:
            raise TypeError(f"{name} must be a str")


def _check_shape(rules: RotationRules) -> None:
    """The model's constraints, in AWS's ValidationException form (as the edge words it)."""
    errors = []
    days = rules.automatically_after_days
    path = "rotationRules.automaticallyAfterDays"
    if days is not None and days > _DAYS_RANGE[1]:
        errors.append(_violation(days, path, f"value less than or equal to {_DAYS_RANGE[1]}"))
    if days is not None and days < _DAYS_RANGE[0]:
        errors.append(_violation(days, path, f"value greater than or equal to {_DAYS_RANGE[0]}"))
    for (path, low, high, pattern), value in (
        (_DURATION, rules.duration),
        (_EXPRESSION, rules.schedule_expression),
    ):
        if value is None:
            continue
        if len(value) > high:
            errors.append(_violation(value, path, f"length less than or equal to {high}"))
        if len(value) < low:
            errors.append(_violation(value, path, f"length greater than or equal to {low}"))
        if re.fullmatch(pattern, value) is None:
            errors.append(_violation(value, path, f"satisfy regular expression pattern: {pattern}"))
    if errors:
        plural = "s" if len(errors) > 1 else ""
        raise ValidationException(
            f"{len(errors)} validation error{plural} detected: " + "; ".join(errors)
        )


def _violation(value: object, path: str, constraint: str) -> str:
    verb = "" if constraint.startswith("satisfy") else "have "
    return (
        f"Value '{value}' at '{path}' failed to satisfy constraint: Member must {verb}{constraint}"
    )


def _parse_expression(expression: str) -> _Schedule:
    """rate(N hours|days) or cron(six fields), with AWS's limits."""
    rate = _RATE.fullmatch(expression)
    if rate is not None:
        every, unit = int(rate.group(1)), rate.group(2)
        if unit.startswith("hour"):
            if not 4 <= every <= 23:
                raise InvalidParameterException(RATE_HOURS)
            return _Schedule("hours", every)
        if not 1 <= every <= 999:
            raise InvalidParameterException(RATE_DAYS)
        return _Schedule("days", every)
    cron = _CRON.fullmatch(expression)
    if cron is None:
        raise InvalidParameterException(INVALID_SCHEDULE)
    parsed = CronExpression.parse(cron.group(1))
    if parsed.gaps_hours()[0] < 4:  # "You can rotate a secret as often as every four hours"
        raise InvalidParameterException(INVALID_SCHEDULE)
    return _Schedule("cron", cron=parsed)


def _check_duration(hours: int, schedule: _Schedule) -> None:
    """A window of 1-24 hours that reaches neither the next window nor, for a cron, the
    next UTC day."""
    if not 1 <= hours <= 24:
        raise InvalidParameterException(DURATION_RANGE)
    if schedule.unit == "hours" and hours > schedule.every:
        raise InvalidParameterException(DURATION_OVER_RATE)
    if schedule.cron is not None:
        if schedule.in_hours and hours > schedule.cron.gaps_hours()[0]:
            raise InvalidParameterException(DURATION_OVER_INTERVAL)
        if schedule.cron.hours[-1] + hours > 24:
            raise InvalidParameterException(DURATION_PAST_DAY)
