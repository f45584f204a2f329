"""AWS's six-field cron, as Secrets Manager rotation schedules take it: parse, match, fire.

`CronExpression.parse("0 10 ? * MON-FRI *")` reads the fields inside `cron(...)`:
minutes (must be 0: rotation windows open on the hour), hours 0-23, day-of-month 1-31,
month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT (1 is Sunday), year (must be `*`).
Every field but the year takes lists `,`, ranges `a-b`, increments `a/n` (`*/n`, `/n`,
`a-b/n`) and `*`. Exactly one of day-of-month and day-of-week is `?`. Day-of-month also
takes `L` (last day), `LW` (last weekday) and `nW` (the weekday nearest the nth, never
leaving the month; nothing in a month without an nth); day-of-week takes `L` (Saturday),
`nL` (the month's last n-day) and `n#k` (its kth n-day, k 1-5). Names are read in any case.

Pure: times are UTC epoch seconds passed in; no clock, no I/O.

Invariants:
- A parsed expression fires in every calendar year (Secrets Manager "does not support
  rotation schedules that are more than a year apart"), so two fires are less than two
  years apart.
- `next_fire(t)` is the first fire strictly after `t`: on the hour, matching every field.
- Anything else is refused with AWS's `InvalidParameterException("Invalid schedule
  expression.")`, which, like AWS's, names no field.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from itertools import pairwise

from strongroom.errors import InvalidParameterException

__all__ = ["INVALID_SCHEDULE", "CronExpression"]

INVALID_SCHEDULE = "Invalid schedule expression."

_MONTH_NAMES = {name.upper(): i for i, name in enumerate(calendar.month_abbr) if name}
_DAY_NAMES = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_NEAREST = re.compile(r"(\d+)W")
_LAST_OF = re.compile(r"(\w+)L")
_NTH = re.compile(r"(\w+)#(\d+)")
_CYCLE_YEARS = 400  # the Gregorian calendar repeats every 400 years (146097 days, 20871 weeks)


def _refuse() -> InvalidParameterException:
    return InvalidParameterException(INVALID_SCHEDULE)


def _number(text: str, low: int, high: int, names: dict[str, int]) -> int:
    """One value of a field: digits or a name, within [low, high]."""
    if text.isdigit() and text.isascii():
        value = int(text)
    elif text.upper() in names:
        value = names[text.upper()]
    else:
        raise _refuse()
    if not low <= value <= high:
        raise _refuse()
    return value


def _values(item: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    """The values of one list item: `*`, `a`, `a-b`, and any of those `/n`."""
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not (step_text.isdigit() and step_text.isascii()) or int(step_text) < 1:
            raise _refuse()
        step = int(step_text)
    if base == "*" or (slash and base == ""):
        start, end = low, high
    elif "-" in base:
        first, _, last = base.partition("-")
        start, end = _number(first, low, high, names), _number(last, low, high, names)
        if start > end:
            raise _refuse()
    else:
        start = _number(base, low, high, names)
        end = high if slash else start
    return frozenset(range(start, end + 1, step))


def _plain(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    """A field of lists, ranges and increments only (hours, month)."""
    out: frozenset[int] = frozenset()
    for item in text.split(","):
        out |= _values(item, low, high, names)
    return out


def _weekday(first_weekday: int, day: int) -> int:
    """AWS's day of week (1 = Sunday) of `day`, the 1st being Python's `first_weekday`."""
    return (first_weekday + day) % 7 + 1


def _month_of_days(field_text: str, is_dom: bool, length: int, first_weekday: int) -> set[int]:
    """The days of a month (`length` days, 1st on `first_weekday`) the day field selects."""
    days: set[int] = set()
    for item in field_text.split(","):
        days |= _item_days(item.upper(), is_dom, length, first_weekday)
    return days


def _item_days(item: str, is_dom: bool, length: int, first_weekday: int) -> set[int]:
    weekday = _weekday(first_weekday, 1)
    if is_dom:
        if item == "L":
            return {length}
        if item == "LW":
            return {_nearest_weekday(length, length, first_weekday)}
        nearest = _NEAREST.fullmatch(item)
        if nearest:
            target = _number(nearest.group(1), 1, 31, {})
            return {_nearest_weekday(target, length, first_weekday)} if target <= length else set()
        return {day for day in _values(item, 1, 31, {}) if day <= length}
    if item == "L":
        item = "7"
    nth = _NTH.fullmatch(item)
    if nth:
        wanted, k = _number(nth.group(1), 1, 7, _DAY_NAMES), _number(nth.group(2), 1, 5, {})
        day = 1 + (wanted - weekday) % 7 + 7 * (k - 1)
        return {day} if day <= length else set()
    last_of = _LAST_OF.fullmatch(item)
    if last_of:
        wanted = _number(last_of.group(1), 1, 7, _DAY_NAMES)
        return {length - (_weekday(first_weekday, length) - wanted) % 7}
    wanted_set = _values(item, 1, 7, _DAY_NAMES)
    return {day for day in range(1, length + 1) if _weekday(first_weekday, day) in wanted_set}


def _nearest_weekday(target: int, length: int, first_weekday: int) -> int:
    """Quartz's `nW`: Saturday moves to Friday, Sunday to Monday, within the month."""
    weekday = _weekday(first_weekday, target)
    if weekday == 7:
        return target - 1 if target > 1 else target + 2
    if weekday == 1:
        return target + 1 if target < length else target - 2
    return target


@lru_cache(maxsize=1)
def _cycle() -> tuple[tuple[int, int, int, int], ...]:
    """(year, month, day-table index, day before the 1st) for every month of 2000-2399."""
    months = []
    for year in range(2000, 2000 + _CYCLE_YEARS):
        for month in range(1, 13):
            first_weekday, length = calendar.monthrange(year, month)
            ordinal = calendar.timegm((year, month, 1, 0, 0, 0)) // 86400
            months.append((year, month, (length - 28) * 7 + first_weekday, ordinal - 1))
    return tuple(months)


@dataclass(frozen=True, slots=True)
class CronExpression:
    """A valid cron expression: the hours it fires at and the days it fires on."""

    text: str
    hours: tuple[int, ...]
    months: frozenset[int]
    # days selected, by (month length - 28) * 7 + weekday of the 1st (Python's, Monday 0)
    _days: tuple[tuple[int, ...], ...] = field(repr=False, compare=False)

    @classmethod
    def parse(cls, text: str) -> CronExpression:
        """Read the six fields inside `cron(...)`, or refuse with AWS's error."""
        fields = text.split(" ")
        if len(fields) != 6:
            raise _refuse()
        minutes, hours, dom, month, dow, year = fields
        if not (minutes.isdigit() and minutes.isascii() and int(minutes) == 0) or year != "*":
            raise _refuse()
        if (dom == "?") == (dow == "?"):
            raise _refuse()
        day_field, is_dom = (dom, True) if dow == "?" else (dow, False)
        days = tuple(
            tuple(sorted(_month_of_days(day_field, is_dom, length, first_weekday)))
            for length in range(28, 32)
            for first_weekday in range(7)
        )
        expression = cls(
            text,
            tuple(sorted(_plain(hours, 0, 23, {}))),
            _plain(month, 1, 12, _MONTH_NAMES),
            days,
        )
        table = expression._days
        years = {year for year, m, index, _ in _cycle() if m in expression.months and table[index]}
        if len(years) < _CYCLE_YEARS:
            raise _refuse()
        return expression

    def days_in(self, year: int, month: int) -> tuple[int, ...]:
        """The days of `month` in `year` this expression fires on, in order."""
        if month not in self.months:
            return ()
        first_weekday, length = calendar.monthrange(year, month)
        return self._days[(length - 28) * 7 + first_weekday]

    def next_fire(self, after: float) -> float:
        """The first fire strictly after `after` (epoch seconds, UTC)."""
        midnight = int(after // 86400) * 86400
        opening = datetime.fromtimestamp(midnight, UTC)
        year, month, day = opening.year, opening.month, opening.day
        for _ in range(37):  # it fires every calendar year: less than 25 months apart
            for fire_day in self.days_in(year, month):
                if fire_day < day:
                    continue
                fire_midnight = midnight + (fire_day - day) * 86400
                for hour in self.hours:
                    if fire_midnight + hour * 3600 > after:
                        return float(fire_midnight + hour * 3600)
            midnight += (calendar.monthrange(year, month)[1] - day + 1) * 86400
            year, month, day = year + month // 12, month % 12 + 1, 1
        raise AssertionError("a parsed cron expression fires at least once a year")

    def gaps_hours(self) -> tuple[int, int]:
        """The shortest and the longest time between two consecutive fires, in hours."""
        low_days, high_days = _day_gaps(self)
        spread = self.hours[-1] - self.hours[0]
        within = [b - a for a, b in pairwise(self.hours)]
        low = min([low_days * 24 - spread, *within])
        high = max([high_days * 24 - spread, *within])
        return low, high


def _fire_ordinals(expression: CronExpression) -> list[int]:
    """Days (since 1970-01-01) the expression fires on over one 400-year cycle, in order."""
    months, table = expression.months, expression._days
    return [
        before_first + day
        for _, month, index, before_first in _cycle()
        if month in months
        for day in table[index]
    ]


@lru_cache(maxsize=512)
def _day_gaps(expression: CronExpression) -> tuple[int, int]:
    """(shortest, longest) days between consecutive fire days (a parsed one fires)."""
    ordinals = _fire_ordinals(expression)
    ordinals.append(ordinals[0] + 146097)  # the cycle repeats: last fire to the first
    gaps = [b - a for a, b in pairwise(ordinals)]
    return min(gaps), max(gaps)
