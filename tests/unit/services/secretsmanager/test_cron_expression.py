"""AWS's six-field cron as rotation takes it: parsing, refusals and fire times.

Concrete dates cover month ends, leap years (2000 and 2024 leap, 2100 and 2023 not),
`L`, `LW`, `nW`, `#`, `nL`, names, increments and the `?` rule. The property test builds
expressions from parts and checks `next_fire` against an oracle written here, day by day
from the calendar: the fire is after the reference, on the hour, matches every field,
and no earlier hour does.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from strongroom.errors import InvalidParameterException
from strongroom.services.secretsmanager.cron_expression import INVALID_SCHEDULE, CronExpression


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


def fires(text: str, after: float, count: int) -> list[datetime]:
    """The next `count` fires of `text` after `after`, as UTC datetimes."""
    expression = CronExpression.parse(text)
    out = []
    for _ in range(count):
        after = expression.next_fire(after)
        out.append(datetime.fromtimestamp(after, UTC))
    return out


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# --- AWS's documented examples ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        # "Every day at 10:00 AM."
        ("0 10 * * ? *", at(2024, 2, 28, 10), [utc(2024, 2, 29, 10), utc(2024, 3, 1, 10)]),
        # "Every Saturday at 6:00 PM." (2024-03-02 is a Saturday)
        ("0 18 ? * SAT *", at(2024, 2, 28), [utc(2024, 3, 2, 18), utc(2024, 3, 9, 18)]),
        # "The first day of every month at 8:00 AM."
        ("0 8 1 * ? *", at(2024, 12, 15), [utc(2025, 1, 1, 8), utc(2025, 2, 1, 8)]),
        # "The last day of every month at 5:00 PM."
        ("0 17 L * ? *", at(2024, 2, 1), [utc(2024, 2, 29, 17), utc(2024, 3, 31, 17)]),
        # "Monday through Friday at 8:00 AM." (2024-03-01 is a Friday)
        ("0 8 ? * MON-FRI *", at(2024, 3, 1, 9), [utc(2024, 3, 4, 8), utc(2024, 3, 5, 8)]),
        # "First and 15th day of every month at 4:00 PM."
        ("0 16 1,15 * ? *", at(2024, 1, 20), [utc(2024, 2, 1, 16), utc(2024, 2, 15, 16)]),
        # "First Sunday of every month at midnight."
        ("0 0 ? * SUN#1 *", at(2024, 3, 4), [utc(2024, 4, 7), utc(2024, 5, 5)]),
        # "cron(0 4/12 * * ? *) means 4:00 AM, 4:00 PM, and then the next day 4:00 AM"
        ("0 4/12 * * ? *", at(2024, 5, 1, 5), [utc(2024, 5, 1, 16), utc(2024, 5, 2, 4)]),
    ],
)
def test_aws_examples_fire_when_the_docs_say(
    text: str, after: float, expected: list[datetime]
) -> None:
    assert fires(text, after, len(expected)) == expected


# --- month ends and leap years ---------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "last"),
    [(2024, 29), (2023, 28), (2000, 29), (2100, 28), (1900, 28)],
)
def test_last_day_of_february_follows_the_leap_rule(year: int, last: int) -> None:
    assert fires("0 0 L 2 ? *", at(year, 1, 1), 1) == [utc(year, 2, last)]


def test_day_31_skips_the_short_months() -> None:
    assert fires("0 0 31 * ? *", at(2024, 1, 31, 1), 3) == [
        utc(2024, 3, 31),
        utc(2024, 5, 31),
        utc(2024, 7, 31),
    ]


def test_february_29_is_refused_as_it_skips_years() -> None:
    # "Secrets Manager does not support rotation schedules that are more than a year apart"
    with pytest.raises(InvalidParameterException):
        CronExpression.parse("0 0 29 2 ? *")


def test_fires_cross_the_year_end() -> None:
    assert fires("0 0 1 1 ? *", at(2024, 6, 1), 2) == [utc(2025, 1, 1), utc(2026, 1, 1)]
    assert fires("0 23 31 12 ? *", at(2024, 12, 31, 22), 2) == [
        utc(2024, 12, 31, 23),
        utc(2025, 12, 31, 23),
    ]


def test_next_fire_is_strictly_after_the_reference() -> None:
    assert fires("0 10 * * ? *", at(2024, 3, 1, 10), 1) == [utc(2024, 3, 2, 10)]
    assert fires("0 10 * * ? *", at(2024, 3, 1, 9, 59), 1) == [utc(2024, 3, 1, 10)]


def test_next_fire_works_before_1970() -> None:
    assert fires("0 12 ? * MON *", at(1969, 12, 31), 1) == [utc(1970, 1, 5, 12)]


# --- L, W and # ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        # LW: 2024-11-30 is a Saturday, 2024-03-31 a Sunday: both move back to Friday
        ("0 0 LW * ? *", at(2024, 11, 1), utc(2024, 11, 29)),
        ("0 0 LW * ? *", at(2024, 3, 1), utc(2024, 3, 29)),
        ("0 0 LW * ? *", at(2024, 4, 1), utc(2024, 4, 30)),  # a Tuesday: stays
        # nW: Saturday 2024-06-01 cannot move back into May: Monday the 3rd
        ("0 0 1W * ? *", at(2024, 5, 31), utc(2024, 6, 3)),
        # Sunday 2024-09-15 moves to Monday the 16th
        ("0 0 15W * ? *", at(2024, 9, 1), utc(2024, 9, 16)),
        # Saturday 2024-06-15 moves to Friday the 14th
        ("0 0 15W * ? *", at(2024, 6, 1), utc(2024, 6, 14)),
        # Sunday 2024-06-30 is the month's last day: back to Friday the 28th
        ("0 0 30W * ? *", at(2024, 6, 1), utc(2024, 6, 28)),
        # 31W: nothing in 30-day months (April 2024), Wednesday 2024-07-31 in July
        ("0 0 31W 4,7 ? *", at(2024, 4, 1), utc(2024, 7, 31)),
        # #: the fifth Friday exists in March 2024 (29th), not in April 2024
        ("0 0 ? * FRI#5 *", at(2024, 3, 1), utc(2024, 3, 29)),
        ("0 0 ? * 6#5 *", at(2024, 3, 30), utc(2024, 5, 31)),
        # nL: the month's last Friday; L alone is Saturday
        ("0 0 ? * 6L *", at(2024, 2, 1), utc(2024, 2, 23)),
        ("0 0 ? * FRIL *", at(2024, 3, 1), utc(2024, 3, 29)),
        ("0 0 ? * L *", at(2024, 3, 1), utc(2024, 3, 2)),
        # 1 is Sunday, 7 Saturday
        ("0 0 ? * 1 *", at(2024, 3, 1), utc(2024, 3, 3)),
        ("0 0 ? * 7 *", at(2024, 3, 3), utc(2024, 3, 9)),
    ],
)
def test_special_days(text: str, after: float, expected: datetime) -> None:
    assert fires(text, after, 1) == [expected]


@pytest.mark.parametrize(
    ("text", "expected_hours"),
    [
        ("0 4/12 * * ? *", (4, 16)),
        ("0 /8 * * ? *", (0, 8, 16)),
        ("0 */6 * * ? *", (0, 6, 12, 18)),
        ("0 8-20/4 * * ? *", (8, 12, 16, 20)),
        ("0 1,5,9 * * ? *", (1, 5, 9)),
        ("0 00 * * ? *", (0,)),
    ],
)
def test_hour_fields(text: str, expected_hours: tuple[int, ...]) -> None:
    assert CronExpression.parse(text).hours == expected_hours


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("1/3", {1, 4, 7, 10}),
        ("JAN,apr,Jul", {1, 4, 7}),
        ("mar-MAY", {3, 4, 5}),
        ("*", set(range(1, 13))),
        ("11", {11}),
    ],
)
def test_month_fields(field: str, expected: set[int]) -> None:
    assert CronExpression.parse(f"0 0 1 {field} ? *").months == expected


def test_day_names_are_read_in_any_case() -> None:
    lower = CronExpression.parse("0 8 ? * mon-fri *")
    upper = CronExpression.parse("0 8 ? * MON-FRI *")
    assert lower.days_in(2024, 3) == upper.days_in(2024, 3)
    assert lower.days_in(2024, 3)[:5] == (1, 4, 5, 6, 7)


# --- refusals ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "0 10 * * ?",  # five fields
        "0 10 * * ? * *",  # seven
        "0  10 * * ? *",  # an empty field
        "5 10 * * ? *",  # minutes must be 0: windows open on the hour
        "0/15 10 * * ? *",
        "* 10 * * ? *",
        "0 10 * * ? 2025",  # year must be *
        "0 10 * * ? 2025-2030",
        "0 10 * * * *",  # neither day field is ?
        "0 10 1 * MON *",
        "0 1 * 1/3 SUN *",
        "0 10 ? * ? *",  # both are
        "0 24 * * ? *",  # out of range
        "0 10 0 * ? *",
        "0 10 32 * ? *",
        "0 10 1 13 ? *",
        "0 10 1 0 ? *",
        "0 10 ? * 0 *",
        "0 10 ? * 8 *",
        "0 10 ? * MON#6 *",
        "0 10 ? * MON#0 *",
        "0 10 ? * FOO *",
        "0 10 1 FOO ? *",
        "0 10 5-1 * ? *",  # a backwards range
        "0 10 1/0 * ? *",  # a zero increment
        "0 10 1/x * ? *",
        "0 10 L-2 * ? *",
        "0 10 1,? * ? *",
        "0 ? * * ? *",  # ? in hours
        "0 10 * ? ? *",
        "0 10 W * ? *",
        "0 10 ? * #2 *",
        "0 10 ? * LW *",  # LW is a day-of-month form
        "0 10 L ? ? *",
        "0 ٣ * * ? *",  # digits, but not ASCII ones
        "0 10 30 2 ? *",  # never fires
        "0 10 31 4,6,9,11 ? *",
        "0 10 ? 2 MON#5 *",  # Februaries with five Mondays: years apart
    ],
)
def test_malformed_expressions_are_refused_with_awss_message(text: str) -> None:
    with pytest.raises(InvalidParameterException) as refused:
        CronExpression.parse(text)
    assert refused.value.code == "InvalidParameterException"
    assert refused.value.message == INVALID_SCHEDULE == "Invalid schedule expression."


@pytest.mark.parametrize(
    ("text", "gaps"),
    [
        ("0 10 * * ? *", (24, 24)),
        ("0 4/12 * * ? *", (12, 12)),
        ("0 2/10 * * ? *", (4, 10)),  # 2, 12, 22, then 2 the next day
        ("0 22,1 * * ? *", (3, 21)),
        ("0 1,23 ? * MON *", (22, 146)),  # Mondays only: 23:00 to next Monday 01:00
        ("0 8 ? * MON-FRI *", (24, 72)),
        ("0 16 1,15 * ? *", (14 * 24, 17 * 24)),
        ("0 0 1 1 ? *", (365 * 24, 366 * 24)),
        ("0 0 ? 7 6L *", (364 * 24, 371 * 24)),  # last Friday of July: weeks, not days
    ],
)
def test_gaps_between_fires(text: str, gaps: tuple[int, int]) -> None:
    assert CronExpression.parse(text).gaps_hours() == gaps


# --- property: next_fire against a calendar oracle ---------------------------------------

_DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class Parts:
    """An expression built from parts, and what each part means, by the calendar."""

    text: str
    hours: frozenset[int]
    months: frozenset[int]
    day: tuple[str, frozenset[int], int]  # (kind, values, n)


def aws_weekday(day: date) -> int:
    return day.isoweekday() % 7 + 1


def oracle_day(parts: Parts, day: date) -> bool:
    """Does the day field select `day`? Computed from the calendar, not the parser."""
    kind, values, n = parts.day
    length = calendar.monthrange(day.year, day.month)[1]
    month_days = [day.replace(day=d) for d in range(1, length + 1)]
    weekdays = [d for d in month_days if d.isoweekday() <= 5]
    if kind == "dom":
        return day.day in values
    if kind == "last":
        return day.day == length
    if kind == "last-weekday":
        return day == weekdays[-1]
    if kind == "nearest":
        return n <= length and day == min(weekdays, key=lambda d: abs(d.day - n))
    if kind == "dow":
        return aws_weekday(day) in values
    if kind == "nth":
        (weekday,) = values
        return aws_weekday(day) == weekday and (day.day - 1) // 7 + 1 == n
    (weekday,) = values  # "last-of"
    return aws_weekday(day) == weekday and day.day + 7 > length


def oracle_fires(parts: Parts, when: datetime) -> bool:
    return (
        when.minute == 0
        and when.second == 0
        and when.hour in parts.hours
        and when.month in parts.months
        and oracle_day(parts, when.date())
    )


@st.composite
def hour_parts(draw: st.DrawFn) -> tuple[str, frozenset[int]]:
    if draw(st.booleans()):
        start, step = draw(st.integers(0, 23)), draw(st.integers(1, 24))
        return f"{start}/{step}", frozenset(range(start, 24, step))
    hours = draw(st.sets(st.integers(0, 23), min_size=1, max_size=4))
    return ",".join(map(str, sorted(hours))), frozenset(hours)


@st.composite
def month_parts(draw: st.DrawFn) -> tuple[str, frozenset[int]]:
    form = draw(st.sampled_from(["star", "list", "range", "step"]))
    if form == "star":
        return "*", frozenset(range(1, 13))
    if form == "step":
        start, step = draw(st.integers(1, 12)), draw(st.integers(1, 4))
        return f"{start}/{step}", frozenset(range(start, 13, step))
    if form == "range":
        first, last = sorted(draw(st.lists(st.integers(1, 12), min_size=2, max_size=2)))
        names = list(calendar.month_abbr)
        return f"{names[first]}-{names[last]}", frozenset(range(first, last + 1))
    months = draw(st.sets(st.integers(1, 12), min_size=1, max_size=6))
    return ",".join(map(str, sorted(months))), frozenset(months)


@st.composite
def day_parts(draw: st.DrawFn) -> tuple[str, str, tuple[str, frozenset[int], int]]:
    """(day-of-month field, day-of-week field, meaning)."""
    kind = draw(st.sampled_from(["dom", "last", "last-weekday", "nearest", "dow", "nth", "lf"]))
    if kind == "dom":
        days = draw(st.sets(st.integers(1, 31), min_size=1, max_size=5))
        return ",".join(map(str, sorted(days))), "?", ("dom", frozenset(days), 0)
    if kind == "last":
        return "L", "?", ("last", frozenset(), 0)
    if kind == "last-weekday":
        return "LW", "?", ("last-weekday", frozenset(), 0)
    if kind == "nearest":
        n = draw(st.one_of(st.sampled_from([1, 28, 29, 30, 31]), st.integers(1, 31)))
        return f"{n}W", "?", ("nearest", frozenset(), n)
    weekday = draw(st.integers(1, 7))
    name = draw(st.sampled_from([str(weekday), _DAY_NAMES[weekday - 1]]))
    if kind == "nth":
        k = draw(st.integers(1, 4))
        return "?", f"{name}#{k}", ("nth", frozenset({weekday}), k)
    if kind == "lf":
        return "?", f"{name}L", ("last-of", frozenset({weekday}), 0)
    weekdays = draw(st.sets(st.integers(1, 7), min_size=1, max_size=4))
    text = ",".join(_DAY_NAMES[w - 1] for w in sorted(weekdays))
    return "?", text, ("dow", frozenset(weekdays), 0)


@st.composite
def expressions(draw: st.DrawFn) -> Parts:
    hours_text, hours = draw(hour_parts())
    months_text, months = draw(month_parts())
    dom, dow, day = draw(day_parts())
    return Parts(f"0 {hours_text} {dom} {months_text} {dow} *", hours, months, day)


def assert_first_fire_after(parts: Parts, fire: float, after: float) -> None:
    """`fire` is after `after`, on the hour, matches, and no hour between them matches."""
    when = datetime.fromtimestamp(fire, UTC)
    assert fire > after
    assert fire % 3600 == 0
    assert oracle_fires(parts, when), f"{parts.text} fires at {when}"
    day = datetime.fromtimestamp(after, UTC).date()
    while day <= when.date():
        if day.month in parts.months and oracle_day(parts, day):
            for hour in parts.hours:
                earlier = datetime(day.year, day.month, day.day, hour, tzinfo=UTC).timestamp()
                assert not after < earlier < fire, f"{parts.text} skips {day} {hour}:00"
        day += timedelta(days=1)


@settings(max_examples=150, deadline=None)
@given(
    parts=expressions(),
    after=st.floats(at(1960, 1, 1), at(2200, 1, 1), allow_nan=False, allow_infinity=False),
)
def test_each_fire_is_the_first_matching_hour_after_the_one_before(
    parts: Parts, after: float
) -> None:
    try:
        expression = CronExpression.parse(parts.text)
    except InvalidParameterException:
        reject()  # never fires, or skips years
    for _ in range(8):
        fire = expression.next_fire(after)
        assert_first_fire_after(parts, fire, after)
        after = fire


@settings(max_examples=60, deadline=None)
@given(parts=expressions())
def test_gaps_bound_every_pair_of_consecutive_fires(parts: Parts) -> None:
    try:
        expression = CronExpression.parse(parts.text)
    except InvalidParameterException:
        reject()
    low, high = expression.gaps_hours()
    assert 1 <= low <= high < 2 * 366 * 24
    fire = expression.next_fire(at(2023, 1, 1))
    for _ in range(40):
        following = expression.next_fire(fire)
        assert low * 3600 <= following - fire <= high * 3600
        fire = following
