"""Parameter policies: `parse_policies` checks a `Policies` string as AWS does (every error
class and message), `due_times` says when each policy acts, `from_shapes` reads stored
policies back.

Whatever a caller sends, `parse_policies` either returns policies or raises one of the four
policy errors: never a TypeError, ValueError or RecursionError (those would be a 500).
"""

from __future__ import annotations

import contextlib
import datetime
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.errors import (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
    StrongroomError,
)
from strongroom.services.ssm.policies import (
    EXPIRATION,
    EXPIRATION_NOTIFICATION,
    MAX_POLICIES,
    NO_CHANGE_NOTIFICATION,
    Policy,
    due_times,
    from_shapes,
    parse_policies,
)

NOW = 1_700_000_000.0  # 2023-11-14T22:13:20Z
FUTURE = "2030-12-02T21:34:33.000Z"
FUTURE_AT = datetime.datetime(2030, 12, 2, 21, 34, 33, tzinfo=datetime.UTC).timestamp()
DAY, HOUR = 86_400.0, 3_600.0
POLICY_ERRORS = (
    IncompatiblePolicyException,
    InvalidPolicyAttributeException,
    InvalidPolicyTypeException,
    PoliciesLimitExceededException,
)


def expiration(timestamp: Any = FUTURE, **extra: Any) -> dict[str, Any]:
    return {"Type": EXPIRATION, "Version": "1.0", "Attributes": {"Timestamp": timestamp}, **extra}


def notification(kind: str, amount: Any, unit: Any = "Days") -> dict[str, Any]:
    field = "After" if kind == NO_CHANGE_NOTIFICATION else "Before"
    return {"Type": kind, "Version": "1.0", "Attributes": {field: amount, "Unit": unit}}


def parse(*entries: Any) -> list[Policy]:
    return parse_policies(json.dumps(list(entries)), NOW)


def refused(text: str) -> StrongroomError:
    with pytest.raises(POLICY_ERRORS) as info:
        parse_policies(text, NOW)
    assert isinstance(info.value, StrongroomError)
    return info.value


# --- what is accepted ------------------------------------------------------------------


def test_the_three_policies_of_the_aws_example() -> None:
    """The user guide's example: expire, warn 15 days before, and after 20 days unchanged."""
    policies = parse(
        expiration(),
        notification(EXPIRATION_NOTIFICATION, "15"),
        notification(NO_CHANGE_NOTIFICATION, "20"),
    )
    assert [p.type for p in policies] == [
        EXPIRATION,
        EXPIRATION_NOTIFICATION,
        NO_CHANGE_NOTIFICATION,
    ]
    assert policies[0].timestamp == FUTURE_AT
    assert policies[1].offset == 15 * DAY
    assert policies[2].offset == 20 * DAY


def test_policy_text_is_the_entry_as_compact_json_in_the_given_order() -> None:
    entry = {"Version": "1.0", "Type": EXPIRATION, "Attributes": {"Timestamp": FUTURE}}
    (policy,) = parse(entry)
    assert (
        policy.text
        == '{"Version":"1.0","Type":"Expiration","Attributes":{"Timestamp":"' + FUTURE + '"}}'
    )
    assert policy.shape() == {
        "PolicyText": policy.text,
        "PolicyType": EXPIRATION,
        "PolicyStatus": "Pending",
    }


def test_a_single_policy_object_is_taken_as_a_list_of_one() -> None:
    assert parse_policies(json.dumps(expiration()), NOW) == parse(expiration())


def test_an_empty_list_is_no_policies() -> None:
    assert parse_policies("[]", NOW) == []


def test_version_may_be_left_out_and_unit_defaults_to_days() -> None:
    (policy,) = parse({"Type": NO_CHANGE_NOTIFICATION, "Attributes": {"After": "2"}})
    assert policy.offset == 2 * DAY


@pytest.mark.parametrize(
    ("timestamp", "expected"),
    [
        ("2030-12-02T21:34:33.000Z", FUTURE_AT),
        ("2030-12-02T21:34:33Z", FUTURE_AT),
        ("2030-12-02T21:34:33", FUTURE_AT),  # no zone: UTC
        ("2030-12-02T23:34:33+02:00", FUTURE_AT),
        ("2030-12-02T21:34:33.500Z", FUTURE_AT + 0.5),
        ("2030-12-02", datetime.datetime(2030, 12, 2, tzinfo=datetime.UTC).timestamp()),
    ],
)
def test_expiration_timestamps_in_iso_8601(timestamp: str, expected: float) -> None:
    (policy,) = parse(expiration(timestamp))
    assert policy.timestamp == expected


@given(st.integers(min_value=1, max_value=10**6), st.sampled_from(["Days", "Hours"]))
def test_a_notification_offset_is_its_amount_in_its_unit(amount: int, unit: str) -> None:
    (policy,) = parse(notification(NO_CHANGE_NOTIFICATION, str(amount), unit))
    assert policy.offset == amount * (DAY if unit == "Days" else HOUR)
    expiry, before = parse(expiration(), notification(EXPIRATION_NOTIFICATION, str(amount), unit))
    assert before.offset == policy.offset and expiry.timestamp == FUTURE_AT


# --- every error -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "not json", "[", "{'Type': 'Expiration'}", "[1,]", "[" * 100_000 + "]" * 100_000],
    ids=["empty", "words", "unclosed", "single quotes", "trailing comma", "deeply nested"],
)
def test_text_that_is_not_json_is_an_invalid_attribute(text: str) -> None:
    error = refused(text)
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "Policies must be a JSON list."


@pytest.mark.parametrize("text", ["5", '"Expiration"', "null", "true", "1.5"])
def test_json_that_is_neither_a_list_nor_an_object_is_an_invalid_attribute(text: str) -> None:
    error = refused(text)
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "Policies must be a JSON list."


def test_more_than_ten_policies_is_the_limit_error() -> None:
    assert MAX_POLICIES == 10
    error = refused(json.dumps([expiration()] * 11))
    assert isinstance(error, PoliciesLimitExceededException)
    assert error.message == "A parameter can have at most 10 policies."


def test_the_limit_is_checked_before_each_policy() -> None:
    """Eleven entries are too many whatever they hold."""
    error = refused(json.dumps(["junk"] * 11))
    assert isinstance(error, PoliciesLimitExceededException)


@pytest.mark.parametrize(
    "entry",
    ["Expiration", 5, None, ["Expiration"], {"Type": EXPIRATION, "Attributes": ["x"]}],
    ids=["string", "number", "null", "list", "attributes a list"],
)
def test_an_entry_that_is_not_an_object_with_attributes_is_an_invalid_attribute(
    entry: Any,
) -> None:
    error = refused(json.dumps([entry]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "Each policy is an object with Attributes."


@pytest.mark.parametrize(
    ("kind", "shown"),
    [("Expire", "Expire"), ("expiration", "expiration"), (None, "None"), ("", "")],
)
def test_an_unknown_type_is_an_invalid_type(kind: Any, shown: str) -> None:
    entry = {"Type": kind, "Attributes": {"Timestamp": FUTURE}}
    error = refused(json.dumps([entry]))
    assert isinstance(error, InvalidPolicyTypeException)
    assert error.message == f"Invalid policy type: {shown}."


@pytest.mark.parametrize("kind", [["Expiration"], {"a": 1}, 5])
def test_a_type_of_another_json_kind_is_an_invalid_type(kind: Any) -> None:
    error = refused(json.dumps([{"Type": kind, "Attributes": {}}]))
    assert isinstance(error, InvalidPolicyTypeException)


@pytest.mark.parametrize("version", ["2.0", "1", 1.0, None])
def test_a_version_other_than_1_0_is_an_invalid_attribute(version: Any) -> None:
    error = refused(json.dumps([expiration(Version=version)]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "The policy Version must be 1.0."


@pytest.mark.parametrize("timestamp", [None, 1924991673, ["2030-01-01"], {"t": 1}])
def test_an_expiration_without_a_timestamp_string_is_an_invalid_attribute(
    timestamp: Any,
) -> None:
    entry = expiration(timestamp)
    if timestamp is None:
        entry["Attributes"] = {}
    error = refused(json.dumps([entry]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "Expiration policy needs a Timestamp string."


@pytest.mark.parametrize("timestamp", ["tomorrow", "2030-13-01T00:00:00Z", "", "2030/12/02"])
def test_a_timestamp_that_is_not_iso_8601_is_an_invalid_attribute(timestamp: str) -> None:
    error = refused(json.dumps([expiration(timestamp)]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == (
        f"Invalid Timestamp {timestamp!r}: use ISO 8601, for example 2030-12-02T21:34:33.000Z."
    )


@pytest.mark.parametrize(
    "timestamp",
    ["2023-11-14T22:13:20Z", "2023-11-14T22:13:19.999Z", "2000-01-01T00:00:00Z", "0001-01-01"],
)
def test_an_expiration_now_or_past_is_an_invalid_attribute(timestamp: str) -> None:
    error = refused(json.dumps([expiration(timestamp)]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "The Expiration Timestamp must be in the future."


def test_an_expiration_a_millisecond_ahead_is_accepted() -> None:
    (policy,) = parse(expiration("2023-11-14T22:13:20.001Z"))
    assert policy.timestamp == pytest.approx(NOW + 0.001)


@pytest.mark.parametrize("kind", [EXPIRATION_NOTIFICATION, NO_CHANGE_NOTIFICATION])
@pytest.mark.parametrize(
    "amount",
    ["0", "-1", "1.5", "", " 1", "one", 1, 1.0, None, ["1"], "\u00b2", "1e3"],
    ids=[
        "zero",
        "negative",
        "fraction",
        "empty",
        "space",
        "word",
        "number",
        "float",
        "null",
        "list",
        "superscript two",
        "exponent",
    ],
)
def test_a_notification_amount_that_is_not_a_positive_whole_number_string_is_refused(
    kind: str, amount: Any
) -> None:
    """ "²" passes `str.isdigit` but is no number `int` reads: it must be refused, not crash."""
    field = "After" if kind == NO_CHANGE_NOTIFICATION else "Before"
    entries = [notification(kind, amount)]
    if kind == EXPIRATION_NOTIFICATION:
        entries.insert(0, expiration())
    error = refused(json.dumps(entries))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == f"{field} must be a positive whole number string."


@pytest.mark.parametrize("unit", ["Minutes", "days", "", None, 1, ["Days"], {"Days": 1}], ids=repr)
def test_a_unit_other_than_days_or_hours_is_an_invalid_attribute(unit: Any) -> None:
    error = refused(json.dumps([notification(NO_CHANGE_NOTIFICATION, "3", unit)]))
    assert isinstance(error, InvalidPolicyAttributeException)
    assert error.message == "Unit must be Days or Hours."


@pytest.mark.parametrize("kind", [EXPIRATION, NO_CHANGE_NOTIFICATION])
def test_two_policies_of_one_type_are_incompatible(kind: str) -> None:
    entry = expiration() if kind == EXPIRATION else notification(kind, "1")
    error = refused(json.dumps([entry, entry]))
    assert isinstance(error, IncompatiblePolicyException)
    assert error.message == "A parameter can have one policy of each type."


def test_an_expiration_notification_needs_an_expiration() -> None:
    error = refused(json.dumps([notification(EXPIRATION_NOTIFICATION, "1")]))
    assert isinstance(error, IncompatiblePolicyException)
    assert error.message == "An ExpirationNotification policy needs an Expiration policy."
    assert len(parse(notification(EXPIRATION_NOTIFICATION, "1"), expiration())) == 2


def test_the_first_fault_in_order_is_the_one_reported() -> None:
    error = refused(json.dumps([{"Type": "Bogus"}, expiration("yesterday")]))
    assert isinstance(error, InvalidPolicyTypeException)
    error = refused(json.dumps([expiration("yesterday"), {"Type": "Bogus"}]))
    assert isinstance(error, InvalidPolicyAttributeException)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from([EXPIRATION, EXPIRATION_NOTIFICATION, NO_CHANGE_NOTIFICATION, FUTURE]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["Type", "Version", "Attributes", "Timestamp", "Before", "After", "Unit"]
            )
            | st.text(max_size=4),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)


ENTRY = st.fixed_dictionaries(
    {
        "Type": st.sampled_from([EXPIRATION, EXPIRATION_NOTIFICATION, NO_CHANGE_NOTIFICATION]),
        "Attributes": st.dictionaries(
            st.sampled_from(["Timestamp", "Before", "After", "Unit"]),
            st.sampled_from(["1", "24", "Days", "Hours", FUTURE]) | JSON,
            max_size=3,
        ),
    },
    optional={"Version": st.sampled_from(["1.0", "2.0"]) | JSON},
)
"""Policies of the right shape with any attribute values: where the checks are."""


@given(JSON)
def test_any_json_is_policies_or_a_policy_error(value: Any) -> None:
    with contextlib.suppress(POLICY_ERRORS):
        parse_policies(json.dumps(value), NOW)


@given(st.lists(ENTRY, max_size=4))
def test_any_attributes_are_policies_or_a_policy_error(entries: list[dict[str, Any]]) -> None:
    with contextlib.suppress(POLICY_ERRORS):
        parse_policies(json.dumps(entries), NOW)


@given(st.text(max_size=60))
def test_any_text_is_policies_or_a_policy_error(text: str) -> None:
    with contextlib.suppress(POLICY_ERRORS):
        parse_policies(text, NOW)


# --- due_times -------------------------------------------------------------------------


def test_no_policies_are_never_due() -> None:
    assert due_times([], NOW) == []


def test_due_times_of_the_three_policies() -> None:
    policies = parse(
        notification(NO_CHANGE_NOTIFICATION, "20"),
        expiration(),
        notification(EXPIRATION_NOTIFICATION, "6", "Hours"),
    )
    assert due_times(policies, NOW) == [
        (NOW + 20 * DAY, NO_CHANGE_NOTIFICATION),
        (FUTURE_AT, EXPIRATION),
        (FUTURE_AT - 6 * HOUR, EXPIRATION_NOTIFICATION),
    ]


@given(
    st.floats(min_value=0, max_value=4e9),
    st.integers(min_value=1, max_value=3650),
    st.integers(min_value=1, max_value=3650),
)
def test_no_change_counts_from_the_modification_and_notification_back_from_expiry(
    modified: float, after: int, before: int
) -> None:
    policies = parse(
        expiration(),
        notification(NO_CHANGE_NOTIFICATION, str(after)),
        notification(EXPIRATION_NOTIFICATION, str(before), "Hours"),
    )
    times = dict((kind, when) for when, kind in due_times(policies, modified))
    assert times == {
        EXPIRATION: FUTURE_AT,
        NO_CHANGE_NOTIFICATION: modified + after * DAY,
        EXPIRATION_NOTIFICATION: FUTURE_AT - before * HOUR,
    }


def test_an_expiration_notification_alone_is_never_due() -> None:
    """Only reachable from stored shapes: parse_policies refuses it."""
    lone = from_shapes([{"PolicyText": json.dumps(notification(EXPIRATION_NOTIFICATION, "1"))}])
    assert due_times(lone, NOW) == []


# --- from_shapes -----------------------------------------------------------------------


def test_stored_shapes_read_back_as_the_same_policies() -> None:
    policies = parse(
        expiration(),
        notification(EXPIRATION_NOTIFICATION, "2", "Hours"),
        notification(NO_CHANGE_NOTIFICATION, "9"),
    )
    assert from_shapes([p.shape() for p in policies]) == policies


def test_a_stored_expiration_in_the_past_still_reads_back() -> None:
    """A version's policies are read again after their time: `from_shapes` has no `now`."""
    (policy,) = parse(expiration())
    later = datetime.datetime(2040, 1, 1, tzinfo=datetime.UTC).timestamp()
    (again,) = from_shapes([policy.shape()])
    assert again.timestamp == FUTURE_AT < later
