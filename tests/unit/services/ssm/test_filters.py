"""DescribeParameters and GetParametersByPath filters: each key and option, the checks and
their messages, AND and OR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.errors import (
    InvalidFilterKey,
    InvalidFilterOption,
    InvalidFilterValue,
    ValidationException,
)
from strongroom.services.ssm.filters import (
    ParameterFacts,
    compile_describe_filters,
    compile_path_filters,
    requested_labels,
)
from strongroom.services.ssm.names import BAD_PATH

Wire = list[dict[str, Any]]


def facts(
    name: str = "param",
    type: str = "String",
    key_id: str | None = None,
    tier: str = "Standard",
    data_type: str = "text",
    labels: frozenset[str] = frozenset(),
    tags: Mapping[str, str] | None = None,
) -> ParameterFacts:
    return ParameterFacts(name, type, key_id, tier, data_type, labels, tags or {})


def described(parameter_filters: Wire, *targets: ParameterFacts) -> set[str]:
    matches = compile_describe_filters(None, parameter_filters)
    return {target.name for target in targets if matches(target)}


def one(key: str, *values: str, option: str | None = None) -> Wire:
    wire: dict[str, Any] = {"Key": key, "Values": list(values)}
    if option is not None:
        wire["Option"] = option
    return [wire]


def refused(error: type[Exception], parameter_filters: Wire, by_path: bool = False) -> str:
    with pytest.raises(error) as caught:
        if by_path:
            compile_path_filters(parameter_filters)
        else:
            compile_describe_filters(None, parameter_filters)
    return str(caught.value)


# --- DescribeParameters: no filters, both lists ----------------------------------------


def test_no_filters_match_everything() -> None:
    for empty in (None, []):
        assert compile_describe_filters(empty, empty)(facts())
        assert compile_path_filters(empty)(facts())


def test_filters_and_parameter_filters_together_are_refused() -> None:
    with pytest.raises(ValidationException) as caught:
        compile_describe_filters(one("Name", "test"), one("Name", "test"))
    assert caught.value.message == (
        "You can use either Filters or ParameterFilters in a single request."
    )


def test_an_empty_list_beside_the_other_is_not_both() -> None:
    assert compile_describe_filters([], one("Name", "param"))(facts("param"))
    assert compile_describe_filters(one("Name", "param"), [])(facts("param"))


# --- Name --------------------------------------------------------------------------


def test_name_equals_is_the_default_and_ignores_the_single_leading_slash() -> None:
    plain, slashed = facts("param"), facts("/param-2")
    assert described(one("Name", "param"), plain, slashed) == {"param"}
    assert described(one("Name", "/param"), plain, slashed) == {"param"}
    assert described(one("Name", "param-2"), plain, slashed) == {"/param-2"}
    assert described(one("Name", "MyParameterName"), plain) == set()


def test_name_begins_with() -> None:
    targets = [facts("param"), facts("/param-2"), facts("/other/param")]
    assert described(one("Name", "param", option="BeginsWith"), *targets) == {
        "param",
        "/param-2",
    }
    assert described(one("Name", "/other/", option="BeginsWith"), *targets) == {"/other/param"}


def test_name_contains_is_a_case_sensitive_substring() -> None:
    targets = [facts("/app/MyProduct/url"), facts("/product/url"), facts("Products")]
    assert described(one("Name", "Product", option="Contains"), *targets) == {
        "/app/MyProduct/url",
        "Products",
    }


# --- Type, KeyId, Tier, DataType ----------------------------------------------------


def test_type_equals_and_begins_with() -> None:
    targets = [facts("a", "String"), facts("b", "StringList"), facts("c", "SecureString")]
    assert described(one("Type", "String"), *targets) == {"a"}
    assert described(one("Type", "String", "SecureString"), *targets) == {"a", "c"}
    assert described(one("Type", "String", option="BeginsWith"), *targets) == {"a", "b"}


def test_key_id_equals_and_begins_with_and_never_matches_no_key() -> None:
    targets = [
        facts("secure", "SecureString", key_id="alias/aws/ssm"),
        facts("custom", "SecureString", key_id="alias/custom"),
        facts("plain"),
    ]
    assert described(one("KeyId", "alias/aws/ssm"), *targets) == {"secure"}
    assert described(one("KeyId", "alias", option="BeginsWith"), *targets) == {
        "secure",
        "custom",
    }


def test_tier_and_data_type() -> None:
    targets = [facts("std"), facts("adv", tier="Advanced", data_type="aws:ec2:image")]
    assert described(one("Tier", "Standard"), *targets) == {"std"}
    assert described(one("Tier", "Advanced", "Intelligent-Tiering"), *targets) == {"adv"}
    assert described(one("DataType", "aws:ec2:image"), *targets) == {"adv"}
    assert described(one("DataType", "aws:", option="BeginsWith"), *targets) == {"adv"}


@pytest.mark.parametrize(
    ("key", "valid"),
    [
        ("Type", "[String, StringList, SecureString]"),
        ("Tier", "[Standard, Advanced, Intelligent-Tiering]"),
    ],
)
def test_unknown_types_and_tiers_are_refused(key: str, valid: str) -> None:
    message = refused(InvalidFilterValue, one(key, "test"))
    assert (
        message == f"The following filter value is not valid: test. Valid values include: {valid}."
    )


# --- tag: -----------------------------------------------------------------------------


def test_tag_values_and_tag_presence() -> None:
    targets = [
        facts("prod", tags={"Environment": "production"}),
        facts("dev", tags={"Environment": "dev"}),
        facts("none", tags={"Owner": "me"}),
    ]
    assert described(one("tag:Environment", "production"), *targets) == {"prod"}
    assert described(one("tag:Environment", "prod", option="BeginsWith"), *targets) == {"prod"}
    assert described([{"Key": "tag:Environment"}], *targets) == {"prod", "dev"}
    assert described(one("tag:environment", "production"), *targets) == set()


# --- Path ---------------------------------------------------------------------------

TREE = [
    facts("/foo/name1"),
    facts("/foo/name2"),
    facts("/bar/name3"),
    facts("/bar/name3/name4"),
    facts("foo"),
]


@pytest.mark.parametrize(
    ("values", "option", "expected"),
    [
        (["/fo"], None, set()),
        (["/"], None, {"foo"}),
        (["/", "/foo"], None, {"/foo/name1", "/foo/name2", "foo"}),
        (["/foo/"], None, {"/foo/name1", "/foo/name2"}),
        (["/bar/name3"], "OneLevel", {"/bar/name3/name4"}),
        (["/fo"], "Recursive", set()),
        (["/"], "Recursive", {f.name for f in TREE}),
        (
            ["/foo", "/bar"],
            "Recursive",
            {"/foo/name1", "/foo/name2", "/bar/name3", "/bar/name3/name4"},
        ),
        (["/bar"], None, {"/bar/name3"}),
    ],
)
def test_path_one_level_by_default_or_recursive(
    values: list[str], option: str | None, expected: set[str]
) -> None:
    assert described(one("Path", *values, option=option), *TREE) == expected


@pytest.mark.parametrize("value", ["/###", "//", "test", "/a//b"])
def test_malformed_paths_are_refused(value: str) -> None:
    assert refused(ValidationException, one("Path", value)) == BAD_PATH


@pytest.mark.parametrize("values", [["/aws", "/ssm"], ["/AWS/x"], ["/ok", "/Ssm/y"]])
def test_paths_under_aws_or_ssm_are_refused(values: list[str]) -> None:
    assert refused(ValidationException, one("Path", *values)) == (
        'Filters for common parameters can\'t be prefixed with "aws" or "ssm" '
        "(case-insensitive). When using global parameters, please specify within a global "
        "namespace."
    )


@pytest.mark.parametrize("option", ["Equals", "BeginsWith", "Contains"])
def test_path_takes_only_recursive_or_one_level(option: str) -> None:
    assert refused(InvalidFilterOption, one("Path", "/test", option=option)) == (
        f"The following filter option is not valid: {option}. "
        "Valid options include: [Recursive, OneLevel]."
    )


# --- keys, values, options, duplicates ------------------------------------------------


@pytest.mark.parametrize("key", ["Label", "tag:", "Version", "name"])
def test_describe_refuses_label_and_unknown_keys(key: str) -> None:
    assert refused(InvalidFilterKey, [{"Key": key}]) == (
        f"The following filter key is not valid: {key}. "
        "Valid filter keys include: [Path, Name, Type, KeyId, Tier]."
    )


@pytest.mark.parametrize("key", ["Name", "Type", "KeyId", "Path", "Tier", "DataType"])
def test_values_are_required_except_for_tags(key: str) -> None:
    for wire in ([{"Key": key}], [{"Key": key, "Values": []}]):
        assert refused(InvalidFilterValue, wire) == (
            f"The following filter values are missing : null for filter key {key}."
        )


def test_a_key_twice_is_refused() -> None:
    wire = one("Name", "test") + one("Name", "test test")
    assert refused(InvalidFilterKey, wire) == (
        "The following filter is duplicated in the request: Name. "
        "A request can contain only one occurrence of a specific filter."
    )


def test_different_tag_keys_are_not_duplicates() -> None:
    wire = one("tag:a", "1") + one("tag:b", "2")
    assert described(
        wire, facts("both", tags={"a": "1", "b": "2"}), facts("a", tags={"a": "1"})
    ) == {"both"}


@pytest.mark.parametrize(
    ("key", "option"),
    [
        ("Name", "option"),
        ("Name", "equals"),
        ("Type", "Contains"),
        ("tag:a", "Contains"),
        ("KeyId", "OneLevel"),
    ],
)
def test_options_outside_the_keys_set_are_refused(key: str, option: str) -> None:
    assert refused(InvalidFilterOption, one(key, "String", option=option)) == (
        f"The following filter option is not valid: {option}. "
        "Valid options include: [BeginsWith, Equals]."
    )


def test_the_key_is_checked_before_the_values_and_the_values_before_the_option() -> None:
    refused(InvalidFilterKey, [{"Key": "Label", "Option": "Nope"}])
    refused(InvalidFilterValue, [{"Key": "Type", "Option": "Nope"}])
    refused(InvalidFilterValue, one("Type", "Nope", option="Nope"))


# --- AND and OR -----------------------------------------------------------------------


def test_filters_and_values_or() -> None:
    targets = [
        facts("/app/a", "String"),
        facts("/app/b", "SecureString", key_id="alias/aws/ssm"),
        facts("/other/c", "SecureString", key_id="alias/aws/ssm"),
    ]
    wire = one("Path", "/app") + one("Type", "SecureString", "StringList")
    assert described(wire, *targets) == {"/app/b"}


@given(
    st.sampled_from(["String", "StringList", "SecureString"]),
    st.sampled_from(["Standard", "Advanced"]),
    st.lists(st.sampled_from(["String", "StringList", "SecureString"]), min_size=1),
    st.lists(st.sampled_from(["Standard", "Advanced", "Intelligent-Tiering"]), min_size=1),
)
def test_two_filters_match_exactly_when_each_does(
    type: str, tier: str, types: list[str], tiers: list[str]
) -> None:
    target = facts("/x", type, tier=tier)
    both = compile_describe_filters(None, one("Type", *types) + one("Tier", *tiers))(target)
    assert both is (type in types and tier in tiers)


@given(st.text("ab/", min_size=1, max_size=6).filter(lambda s: "//" not in s))
def test_name_begins_with_is_a_prefix_of_the_slashed_name(value: str) -> None:
    target = facts("/ab/ba")
    expected = "/ab/ba".startswith("/" + value.removeprefix("/"))
    assert (
        compile_describe_filters(None, one("Name", value, option="BeginsWith"))(target) is expected
    )


# --- legacy Filters -------------------------------------------------------------------


def legacy(wire: Wire, *targets: ParameterFacts) -> set[str]:
    matches = compile_describe_filters(wire, None)
    return {target.name for target in targets if matches(target)}


def test_legacy_name_begins_with_type_and_key_id_equal() -> None:
    targets = [
        facts("param-22"),
        facts("param-2", "SecureString", key_id="key:10"),
        facts("/param-3"),
        facts("other"),
    ]
    assert legacy(one("Name", "param-2"), *targets) == {"param-22", "param-2"}
    assert legacy(one("Name", "/param"), *targets) == {"param-22", "param-2", "/param-3"}
    assert legacy(one("Type", "SecureString"), *targets) == {"param-2"}
    assert legacy(one("Type", "String"), *targets) == {"param-22", "/param-3", "other"}
    assert legacy(one("KeyId", "key:10"), *targets) == {"param-2"}
    assert legacy(one("KeyId", "key"), *targets) == set()


def test_legacy_filters_and() -> None:
    targets = [facts("param-1"), facts("param-2", "SecureString", key_id="k")]
    assert legacy(one("Name", "param") + one("Type", "SecureString"), *targets) == {"param-2"}


def test_legacy_filters_refuse_other_keys_and_missing_values() -> None:
    with pytest.raises(InvalidFilterKey):
        compile_describe_filters(one("Path", "/a"), None)
    with pytest.raises(InvalidFilterValue) as caught:
        compile_describe_filters([{"Key": "Name", "Values": []}], None)
    assert "filter key Name" in caught.value.message


# --- GetParametersByPath --------------------------------------------------------------


def by_path(parameter_filters: Wire, *targets: ParameterFacts) -> set[str]:
    matches = compile_path_filters(parameter_filters)
    return {target.name for target in targets if matches(target)}


@pytest.mark.parametrize("key", ["Name", "Path", "Tier", "DataType", "tag:Environment"])
def test_by_path_refuses_keys_other_than_type_key_id_and_label(key: str) -> None:
    assert refused(InvalidFilterKey, one(key, "/error"), by_path=True) == (
        f"The following filter key is not valid: {key}. Valid filter keys include: [Type, KeyId]."
    )


def test_by_path_type_and_key_id() -> None:
    targets = [
        facts("/baz/name1", "StringList"),
        facts("/baz/name2", "String"),
        facts("/baz/pwd", "SecureString", key_id="alias/aws/ssm"),
    ]
    assert by_path(one("Type", "StringList"), *targets) == {"/baz/name1"}
    assert by_path(one("Type", "String", "SecureString"), *targets) == {"/baz/name2", "/baz/pwd"}
    assert by_path(one("Type", "String", option="BeginsWith"), *targets) == {
        "/baz/name1",
        "/baz/name2",
    }
    assert by_path(one("KeyId", "alias/aws/ssm"), *targets) == {"/baz/pwd"}


def test_by_path_label_matches_a_label_on_any_version() -> None:
    targets = [
        facts("/Config/endpoint", labels=frozenset({"Current", "Deprecated"})),
        facts("/Config/DBpwd", labels=frozenset({"Current"})),
        facts("/Config/other", labels=frozenset({"Test"})),
        facts("/Config/none"),
    ]
    assert by_path(one("Label", "Current"), *targets) == {"/Config/endpoint", "/Config/DBpwd"}
    assert by_path(one("Label", "Current", option="Equals"), *targets) == {
        "/Config/endpoint",
        "/Config/DBpwd",
    }
    assert by_path(one("Label", "Test", "Deprecated"), *targets) == {
        "/Config/endpoint",
        "/Config/other",
    }


@pytest.mark.parametrize("option", ["BeginsWith", "Contains"])
def test_by_path_label_takes_only_equals(option: str) -> None:
    assert refused(InvalidFilterOption, one("Label", "Cur", option=option), by_path=True) == (
        f"The following filter option is not valid: {option}. Valid options include: [Equals]."
    )


def test_by_path_checks_values_options_and_duplicates_too() -> None:
    refused(InvalidFilterValue, [{"Key": "Label"}], by_path=True)
    refused(InvalidFilterValue, one("Type", "Bogus"), by_path=True)
    refused(InvalidFilterOption, one("KeyId", "k", option="Contains"), by_path=True)
    refused(InvalidFilterKey, one("Type", "String") + one("Type", "String"), by_path=True)


def test_requested_labels_in_order() -> None:
    assert requested_labels(None) == ()
    assert requested_labels(one("Type", "String")) == ()
    assert requested_labels(one("Type", "String") + one("Label", "Prod", "Test")) == (
        "Prod",
        "Test",
    )
