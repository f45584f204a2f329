"""Rotation rules: AWS's checks and errors, what DescribeSecret shows, and the windows.

The anchor example is recorded from AWS: AutomaticallyAfterDays 30, LastRotatedDate
2024-02-22T07:16:15.807Z, NextRotationDate 2024-03-23T23:59:59Z (the last second of the
UTC day 30 days after the rotation's day). Every refusal is checked with its error code
and message; the property tests check, for random schedules and times, that a window
opens on the hour strictly after its reference, lasts 1-24 hours, and closes before the
next one opens.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from strongroom.errors import InvalidParameterException, StrongroomError, ValidationException
from strongroom.services.secretsmanager.rotation_schedule import (
    RotationRules,
    next_rotation,
    next_window,
    window_end,
)

HOUR = 3600.0
DAY = 86400.0


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: float = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp() + second


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def rules(**wire: Any) -> RotationRules:
    return RotationRules.from_wire(wire)


# --- refusals ------------------------------------------------------------------------

BOTH = "You cannot specify both rotation frequency and schedule expression together."
NEITHER = "You must specify either rotation frequency or schedule expression."
INVALID = "Invalid schedule expression."
RATE_HOURS = "Rate in hour should be least 4 and less than 24."
RATE_DAYS = "Rate in day should be greater than 0 and less than 1000."
DURATION_RANGE = "Duration must be at least 1 hour, at most 24 hour."
OVER_RATE = "Duration cannot be greater than Rate in hour."
OVER_INTERVAL = "Duration cannot be greater than the interval between rotations."
PAST_DAY = "Starting hour and duration must be within a day."


def days_error(value: int, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at 'rotationRules.automaticallyAfterDays'"
        f" failed to satisfy constraint: Member must have value {constraint}"
    )


def string_error(value: str, member: str, *constraints: str) -> str:
    listed = "; ".join(
        f"Value '{value}' at 'rotationRules.{member}' failed to satisfy constraint: Member must "
        + constraint
        for constraint in constraints
    )
    count = len(constraints)
    return f"{count} validation error{'s' if count > 1 else ''} detected: {listed}"


DURATION_PATTERN = "satisfy regular expression pattern: [0-9]+h"
EXPRESSION_PATTERN = r"satisfy regular expression pattern: [0-9A-Za-z\(\)#\?\*\-\/, ]+"

REFUSALS: list[tuple[dict[str, Any], type[StrongroomError], str]] = [
    # one schedule, not two, not none
    (
        {"AutomaticallyAfterDays": 30, "ScheduleExpression": "rate(30 days)"},
        InvalidParameterException,
        BOTH,
    ),
    (
        {"AutomaticallyAfterDays": 1, "ScheduleExpression": "cron(0 10 * * ? *)", "Duration": "2h"},
        InvalidParameterException,
        BOTH,
    ),
    ({}, InvalidParameterException, NEITHER),
    ({"Duration": "3h"}, InvalidParameterException, NEITHER),
    (
        {"AutomaticallyAfterDays": None, "ScheduleExpression": None},
        InvalidParameterException,
        NEITHER,
    ),
    # AutomaticallyAfterDays 1..1000 (the model's range, in the edge's words)
    (
        {"AutomaticallyAfterDays": 0},
        ValidationException,
        days_error(0, "greater than or equal to 1"),
    ),
    (
        {"AutomaticallyAfterDays": -5},
        ValidationException,
        days_error(-5, "greater than or equal to 1"),
    ),
    (
        {"AutomaticallyAfterDays": 1001},
        ValidationException,
        days_error(1001, "less than or equal to 1000"),
    ),
    # Duration: the model's length 2..3 and pattern, then 1..24 hours
    (
        {"AutomaticallyAfterDays": 1, "Duration": "3"},
        ValidationException,
        string_error("3", "duration", "have length greater than or equal to 2", DURATION_PATTERN),
    ),
    (
        {"AutomaticallyAfterDays": 1, "Duration": "3m"},
        ValidationException,
        string_error("3m", "duration", DURATION_PATTERN),
    ),
    (
        {"AutomaticallyAfterDays": 1, "Duration": "hh"},
        ValidationException,
        string_error("hh", "duration", DURATION_PATTERN),
    ),
    (
        {"AutomaticallyAfterDays": 1, "Duration": "100h"},
        ValidationException,
        string_error("100h", "duration", "have length less than or equal to 3"),
    ),
    (
        {"AutomaticallyAfterDays": 1, "Duration": "1.5h"},
        ValidationException,
        string_error("1.5h", "duration", "have length less than or equal to 3", DURATION_PATTERN),
    ),
    ({"AutomaticallyAfterDays": 1, "Duration": "0h"}, InvalidParameterException, DURATION_RANGE),
    ({"AutomaticallyAfterDays": 1, "Duration": "25h"}, InvalidParameterException, DURATION_RANGE),
    (
        {"ScheduleExpression": "rate(10 days)", "Duration": "99h"},
        InvalidParameterException,
        DURATION_RANGE,
    ),
    # ScheduleExpression: the model's length 1..256 and pattern
    (
        {"ScheduleExpression": ""},
        ValidationException,
        string_error(
            "", "scheduleExpression", "have length greater than or equal to 1", EXPRESSION_PATTERN
        ),
    ),
    (
        {"ScheduleExpression": "rate(4 hours);"},
        ValidationException,
        string_error("rate(4 hours);", "scheduleExpression", EXPRESSION_PATTERN),
    ),
    (
        {"ScheduleExpression": "cron(" + " " * 251 + ")"},
        ValidationException,
        string_error(
            "cron(" + " " * 251 + ")", "scheduleExpression", "have length less than or equal to 256"
        ),
    ),
    # rate(): hours 4..23, days 1..999, no other unit, AWS's exact form
    ({"ScheduleExpression": "rate(3 hours)"}, InvalidParameterException, RATE_HOURS),
    ({"ScheduleExpression": "rate(1 hour)"}, InvalidParameterException, RATE_HOURS),
    ({"ScheduleExpression": "rate(0 hours)"}, InvalidParameterException, RATE_HOURS),
    ({"ScheduleExpression": "rate(24 hours)"}, InvalidParameterException, RATE_HOURS),
    ({"ScheduleExpression": "rate(0 days)"}, InvalidParameterException, RATE_DAYS),
    ({"ScheduleExpression": "rate(1000 days)"}, InvalidParameterException, RATE_DAYS),
    ({"ScheduleExpression": "rate(30 minutes)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate(2 weeks)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate(-4 hours)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate(4  hours)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate(4 HOURS)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate(4hours)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "rate 4 hours"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "4 hours"}, InvalidParameterException, INVALID),
    # cron(): malformed, or more often than every four hours
    ({"ScheduleExpression": "cron(0 10 * * ?)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(15 10 * * ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 10 * * ? 2025)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 10 * * * *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 10 ? * ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 10 30 2 ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 * * * ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 0/2 * * ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 8-10 * * ? *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 1,3 ? * MON *)"}, InvalidParameterException, INVALID),
    (
        {"ScheduleExpression": "cron(0 1,23 * * ? *)"},
        InvalidParameterException,
        INVALID,
    ),  # 23:00, 01:00
    ({"ScheduleExpression": "cron(0 1,23 ? * SUN,MON *)"}, InvalidParameterException, INVALID),
    ({"ScheduleExpression": "cron(0 1,23 L,1 * ? *)"}, InvalidParameterException, INVALID),
    # Duration against the schedule
    (
        {"ScheduleExpression": "rate(6 hours)", "Duration": "7h"},
        InvalidParameterException,
        OVER_RATE,
    ),
    (
        {"ScheduleExpression": "rate(4 hours)", "Duration": "5h"},
        InvalidParameterException,
        OVER_RATE,
    ),
    (
        {"ScheduleExpression": "cron(0 0,12 * * ? *)", "Duration": "13h"},
        InvalidParameterException,
        OVER_INTERVAL,
    ),
    (
        {"ScheduleExpression": "cron(0 0,8,16 * * ? *)", "Duration": "9h"},
        InvalidParameterException,
        OVER_INTERVAL,
    ),
    (
        {"ScheduleExpression": "cron(0 20 * * ? *)", "Duration": "5h"},
        InvalidParameterException,
        PAST_DAY,
    ),
    (
        {"ScheduleExpression": "cron(0 23 L * ? *)", "Duration": "2h"},
        InvalidParameterException,
        PAST_DAY,
    ),
    (
        {"ScheduleExpression": "cron(0 2/10 * * ? *)", "Duration": "3h"},
        InvalidParameterException,
        PAST_DAY,
    ),
]


@pytest.mark.parametrize(("wire", "error", "message"), REFUSALS)
def test_refusals_carry_awss_code_and_message(
    wire: dict[str, Any], error: type[StrongroomError], message: str
) -> None:
    with pytest.raises(error) as refused:
        RotationRules.from_wire(wire)
    assert type(refused.value) is error
    assert refused.value.code == error.__name__
    assert refused.value.message == message


def test_several_shape_breaks_are_reported_together() -> None:
    with pytest.raises(ValidationException) as refused:
        rules(AutomaticallyAfterDays=1001, Duration="100h")
    assert refused.value.message == (
        "2 validation errors detected: Value '1001' at 'rotationRules.automaticallyAfterDays'"
        " failed to satisfy constraint: Member must have value less than or equal to 1000; "
        "Value '100h' at 'rotationRules.duration' failed to satisfy constraint: Member must"
        " have length less than or equal to 3"
    )


def test_shape_breaks_come_before_the_both_rule() -> None:
    with pytest.raises(ValidationException):
        rules(AutomaticallyAfterDays=0, ScheduleExpression="rate(1 day)")


@pytest.mark.parametrize(
    "wire",
    [
        {"AutomaticallyAfterDays": "30"},
        {"AutomaticallyAfterDays": True},
        {"AutomaticallyAfterDays": 30.0},
        {"ScheduleExpression": 5},
        {"AutomaticallyAfterDays": 30, "Duration": 3},
    ],
)
def test_wrong_types_are_programming_errors(wire: dict[str, Any]) -> None:
    with pytest.raises(TypeError):
        RotationRules.from_wire(wire)


def test_direct_construction_runs_the_same_checks() -> None:
    with pytest.raises(InvalidParameterException, match="both rotation frequency"):
        RotationRules(automatically_after_days=3, schedule_expression="rate(3 days)")
    assert RotationRules(automatically_after_days=3) == rules(AutomaticallyAfterDays=3)


# --- accepted, and shown as DescribeSecret shows them --------------------------------------


@pytest.mark.parametrize(
    ("wire", "shown"),
    [
        # only what was set: recorded from AWS
        ({"AutomaticallyAfterDays": 30}, {"AutomaticallyAfterDays": 30}),
        ({"AutomaticallyAfterDays": 1000}, {"AutomaticallyAfterDays": 1000}),
        (
            {"AutomaticallyAfterDays": 7, "Duration": "4h"},
            {"AutomaticallyAfterDays": 7, "Duration": "4h"},
        ),
        # a ScheduleExpression comes back with AWS's AutomaticallyAfterDays beside it
        (
            {"ScheduleExpression": "rate(10 days)"},
            {"AutomaticallyAfterDays": 10, "ScheduleExpression": "rate(10 days)"},
        ),
        (
            {"ScheduleExpression": "rate(1 day)"},
            {"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(1 day)"},
        ),
        (
            {"ScheduleExpression": "rate(999 days)"},
            {"AutomaticallyAfterDays": 999, "ScheduleExpression": "rate(999 days)"},
        ),
        (
            {"ScheduleExpression": "rate(4 hours)", "Duration": "4h"},
            {"AutomaticallyAfterDays": 1, "Duration": "4h", "ScheduleExpression": "rate(4 hours)"},
        ),
        (
            {"ScheduleExpression": "rate(23 hours)"},
            {"AutomaticallyAfterDays": 1, "ScheduleExpression": "rate(23 hours)"},
        ),
        (
            {"ScheduleExpression": "cron(0 16 1,15 * ? *)", "Duration": "2h"},
            {
                "AutomaticallyAfterDays": 17,  # the 15th to the 1st: 14 to 17 days
                "Duration": "2h",
                "ScheduleExpression": "cron(0 16 1,15 * ? *)",
            },
        ),
        (
            {"ScheduleExpression": "cron(0 18 ? * SAT *)"},
            {"AutomaticallyAfterDays": 7, "ScheduleExpression": "cron(0 18 ? * SAT *)"},
        ),
        (
            {"ScheduleExpression": "cron(0 8 ? * MON-FRI *)"},
            {"AutomaticallyAfterDays": 3, "ScheduleExpression": "cron(0 8 ? * MON-FRI *)"},
        ),
        (
            {"ScheduleExpression": "cron(0 0 1 1 ? *)"},
            {"AutomaticallyAfterDays": 366, "ScheduleExpression": "cron(0 0 1 1 ? *)"},
        ),
        (
            {"ScheduleExpression": "cron(0 0/6 * * ? *)", "Duration": "6h"},
            {
                "AutomaticallyAfterDays": 1,
                "Duration": "6h",
                "ScheduleExpression": "cron(0 0/6 * * ? *)",
            },
        ),
    ],
)
def test_describe_shows(wire: dict[str, Any], shown: dict[str, Any]) -> None:
    assert rules(**wire).to_wire() == shown


@pytest.mark.parametrize(
    "expression",
    [
        # the examples in AWS's "Rotation schedules" page
        "rate(4 hours)",
        "rate(1 day)",
        "rate(10 days)",
        "cron(0 4/12 * * ? *)",
        "cron(0 10 * * ? *)",
        "cron(0 18 ? * SAT *)",
        "cron(0 8 1 * ? *)",
        "cron(0 17 L * ? *)",
        "cron(0 8 ? * MON-FRI *)",
        "cron(0 16 1,15 * ? *)",
        "cron(0 0 ? * SUN#1 *)",
        "cron(0 1 ? 1/3 SUN *)",  # AWS writes `*` for the day of month: the ? rule needs ?
        # and more at the limits
        "cron(0 0/4 * * ? *)",
        "cron(0 1,23 ? * MON *)",  # Mondays only: 23:00 is 26 hours before the next 01:00
        "cron(0 2/10 * * ? *)",  # 22:00 to 02:00 is exactly four hours
        "cron(0 0 ? 7 6L *)",
    ],
)
def test_awss_examples_are_accepted(expression: str) -> None:
    assert rules(ScheduleExpression=expression).schedule_expression == expression


def test_storage_keeps_what_was_given_and_round_trips() -> None:
    for wire in (
        {"AutomaticallyAfterDays": 30},
        {"AutomaticallyAfterDays": 30, "Duration": "3h"},
        {"ScheduleExpression": "rate(10 days)", "Duration": "3h"},
        {"ScheduleExpression": "cron(0 16 1,15 * ? *)"},
    ):
        parsed = RotationRules.from_wire(wire)
        stored = parsed.to_json()
        assert stored == wire
        assert RotationRules.from_json(json.loads(json.dumps(stored))) == parsed


def test_unknown_members_are_ignored() -> None:
    assert rules(AutomaticallyAfterDays=5, Extra="x") == RotationRules(automatically_after_days=5)


# --- next rotation: concrete dates --------------------------------------------------------


def test_recorded_aws_next_rotation_date_for_30_days() -> None:
    last = at(2024, 2, 22, 7, 16, 15.807)  # across February 29, 2024
    got = next_rotation(rules(AutomaticallyAfterDays=30), last, at(2024, 1, 1), last + 60)
    assert iso(got) == "2024-03-23T23:59:59+00:00"


def test_days_count_from_the_rotations_day_not_its_hour() -> None:
    thirty = rules(AutomaticallyAfterDays=30)
    early, late = at(2024, 2, 22, 0, 0, 0.001), at(2024, 2, 22, 23, 59, 59.9)
    assert next_rotation(thirty, early, 0, late) == next_rotation(thirty, late, 0, late)
    assert next_window(thirty, late, 0, late) == (at(2024, 3, 23), at(2024, 3, 24))


def test_never_rotated_counts_from_created() -> None:
    created = at(2023, 12, 31, 23, 30)
    assert iso(next_rotation(rules(AutomaticallyAfterDays=1), None, created, created)) == (
        "2024-01-01T23:59:59+00:00"
    )


def test_days_schedules_ignore_now_and_may_be_past() -> None:
    # "If rotation is unsuccessful, this date may be in the past."
    last = at(2024, 1, 10, 12)
    for now in (last, at(2024, 6, 1)):
        assert iso(next_rotation(rules(AutomaticallyAfterDays=7), last, 0, now)) == (
            "2024-01-17T23:59:59+00:00"
        )


def test_rate_in_days_is_counted_as_automatically_after_days() -> None:
    last = at(2023, 2, 20, 15)
    rate = next_window(rules(ScheduleExpression="rate(10 days)"), last, 0, last)
    days = next_window(rules(AutomaticallyAfterDays=10), last, 0, last)
    assert rate == days == (at(2023, 3, 2), at(2023, 3, 3))  # no February 29 in 2023


def test_a_duration_shortens_the_days_window_from_midnight() -> None:
    last = at(2024, 12, 30, 18)
    got = next_window(rules(ScheduleExpression="rate(2 days)", Duration="3h"), last, 0, last)
    assert got == (at(2025, 1, 1), at(2025, 1, 1, 3))
    assert iso(next_rotation(rules(AutomaticallyAfterDays=2, Duration="3h"), last, 0, last)) == (
        "2025-01-01T02:59:59+00:00"
    )


def test_rate_in_hours_opens_on_the_hour_for_one_hour() -> None:
    last = at(2024, 2, 28, 22, 30)
    assert next_window(rules(ScheduleExpression="rate(4 hours)"), last, 0, last) == (
        at(2024, 2, 29, 2),
        at(2024, 2, 29, 3),
    )
    with_duration = rules(ScheduleExpression="rate(4 hours)", Duration="4h")
    assert iso(next_rotation(with_duration, last, 0, last)) == "2024-02-29T05:59:59+00:00"


def test_cron_in_days_window_runs_to_midnight() -> None:
    daily = rules(ScheduleExpression="cron(0 10 * * ? *)")
    now = at(2024, 2, 28, 10, 30)  # inside today's window: the next one is tomorrow's
    assert next_window(daily, now, 0, now) == (at(2024, 2, 29, 10), at(2024, 3, 1))
    assert iso(next_rotation(daily, now, 0, now)) == "2024-02-29T23:59:59+00:00"


def test_cron_counts_from_now_not_from_the_last_rotation() -> None:
    # configured with RotateImmediately false long after the last rotation
    daily = rules(ScheduleExpression="cron(0 10 * * ? *)", Duration="2h")
    last, now = at(2023, 5, 1, 10, 15), at(2024, 2, 28, 11)
    assert next_window(daily, last, 0, now) == (at(2024, 2, 29, 10), at(2024, 2, 29, 12))
    assert next_window(daily, None, last, now) == (at(2024, 2, 29, 10), at(2024, 2, 29, 12))


def test_cron_in_hours_window_lasts_an_hour() -> None:
    twice = rules(ScheduleExpression="cron(0 4/12 * * ? *)")
    now = at(2024, 12, 31, 16, 20)
    assert next_window(twice, now, 0, now) == (at(2025, 1, 1, 4), at(2025, 1, 1, 5))


@pytest.mark.parametrize(
    ("now", "window"),
    [
        (at(2024, 2, 10), (at(2024, 2, 29, 17), at(2024, 3, 1))),
        (at(2023, 2, 10), (at(2023, 2, 28, 17), at(2023, 3, 1))),
        (at(2100, 2, 10), (at(2100, 2, 28, 17), at(2100, 3, 1))),
        (at(2024, 2, 29, 18), (at(2024, 3, 31, 17), at(2024, 4, 1))),
    ],
)
def test_cron_last_day_of_the_month(now: float, window: tuple[float, float]) -> None:
    monthly = rules(ScheduleExpression="cron(0 17 L * ? *)")
    assert next_window(monthly, None, now, now) == window


def test_window_end_for_each_kind_of_schedule() -> None:
    start = at(2024, 7, 1, 16)
    assert window_end(rules(AutomaticallyAfterDays=3), at(2024, 7, 1)) == at(2024, 7, 2)
    assert window_end(rules(ScheduleExpression="rate(5 hours)"), start) == start + HOUR
    assert window_end(rules(ScheduleExpression="rate(5 hours)", Duration="5h"), start) == (
        start + 5 * HOUR
    )
    assert window_end(rules(ScheduleExpression="cron(0 16 * * ? *)"), start) == at(2024, 7, 2)
    assert window_end(rules(ScheduleExpression="cron(0 4,16 * * ? *)"), start) == start + HOUR
    assert window_end(rules(ScheduleExpression="cron(0 16 * * ? *)", Duration="8h"), start) == (
        at(2024, 7, 2)
    )


# --- properties -----------------------------------------------------------------------------

EXPRESSIONS = [
    "cron(0 10 * * ? *)",
    "cron(0 0 ? * SUN#1 *)",
    "cron(0 17 L * ? *)",
    "cron(0 0/4 * * ? *)",
    "cron(0 2/10 * * ? *)",
    "cron(0 1,23 ? * MON *)",
    "cron(0 8 ? * MON-FRI *)",
    "cron(0 16 1,15 * ? *)",
    "cron(0 12 LW 1/2 ? *)",
    "cron(0 6 15W * ? *)",
    "cron(0 0 1 1 ? *)",
]


@st.composite
def any_rules(draw: st.DrawFn) -> RotationRules:
    kind = draw(st.sampled_from(["days", "rate-days", "rate-hours", "cron"]))
    wire: dict[str, Any]
    if kind == "days":
        wire = {"AutomaticallyAfterDays": draw(st.integers(1, 1000))}
    elif kind == "rate-days":
        wire = {"ScheduleExpression": f"rate({draw(st.integers(1, 999))} days)"}
    elif kind == "rate-hours":
        wire = {"ScheduleExpression": f"rate({draw(st.integers(4, 23))} hours)"}
    else:
        wire = {"ScheduleExpression": draw(st.sampled_from(EXPRESSIONS))}
    if draw(st.booleans()):
        wire["Duration"] = f"{draw(st.integers(1, 24))}h"
    try:
        return RotationRules.from_wire(wire)
    except InvalidParameterException:
        reject()  # a Duration too long for this schedule


times = st.floats(at(1990, 1, 1), at(2150, 1, 1), allow_nan=False, allow_infinity=False)


@settings(max_examples=300, deadline=None)
@given(
    schedule=any_rules(),
    reference=times,
    later=st.floats(0, 400 * DAY),
    rotated=st.booleans(),
)
def test_windows_open_on_the_hour_after_the_reference_and_fit_their_interval(
    schedule: RotationRules, reference: float, later: float, rotated: bool
) -> None:
    now = reference + later
    last, created = (reference, 0.0) if rotated else (None, reference)
    opens, closes = next_window(schedule, last, created, now)
    assert opens > reference
    assert opens % HOUR == 0
    assert HOUR <= closes - opens <= DAY
    assert closes == window_end(schedule, opens)
    assert next_rotation(schedule, last, created, now) == closes - 1.0 > reference
    if schedule.schedule_expression and schedule.schedule_expression.startswith("cron"):
        assert opens > now
    # rotating anywhere inside this window, the next window opens once it has closed
    for inside in (opens, (opens + closes) / 2, closes - 0.001):
        following, _ = next_window(schedule, inside, created, inside)
        assert following >= closes


@settings(max_examples=200, deadline=None)
@given(schedule=any_rules(), start=times)
def test_interval_days_bounds_the_time_between_windows(
    schedule: RotationRules, start: float
) -> None:
    opens, _ = next_window(schedule, start, 0.0, start)
    following, _ = next_window(schedule, opens, 0.0, opens)
    assert following - opens <= schedule.interval_days * DAY
    assert 1 <= schedule.to_wire()["AutomaticallyAfterDays"] <= 1000
