"""Parameter names, selectors, paths, ARNs and labels: each AWS rule and its message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.errors import (
    AccessDeniedException,
    HierarchyLevelLimitExceededException,
    ValidationException,
)
from strongroom.services.ssm.names import (
    BAD_PATH,
    MALFORMED_NAME,
    RESERVED_NAME,
    TOO_DEEP,
    TRAILING_SLASH,
    Selector,
    canonical_name,
    check_label,
    check_name,
    check_path,
    is_under,
    parameter_arn,
    parse_selector,
)

LEVEL = st.text("abcXYZ019_.-", min_size=1, max_size=6).filter(
    lambda s: not s.lower().startswith(("aws", "ssm"))
)
DOCS_PREFIX = "arn:aws:ssm:us-east-2:111122223333:parameter/"


def deep(levels: int) -> str:
    return "".join(f"/L{i}" for i in range(1, levels)) + "/parameter-name"


# --- check_name: what PutParameter accepts ------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "MyParameter1",
        "/MyParameter2",
        "/Dev/Production/East/Project-ABC/MyParameter",
        "/Dev/DBServer/MySQL/db-string13",
        "parameter-name",
        "a.b-c_D9",
        "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/parameter-name",
        "/a/aws",
        "myaws",
        "/prod/ssm/key",
    ],
)
def test_names_from_the_docs_are_accepted_unchanged(name: str) -> None:
    assert check_name(name) == name


def test_names_are_case_sensitive_and_keep_their_case() -> None:
    assert check_name("/Prod/DbUrl") == "/Prod/DbUrl"
    assert canonical_name("/Prod/DbUrl") != canonical_name("/prod/dburl")


def test_spaces_around_a_name_are_removed_not_refused() -> None:
    assert check_name("  /Dev/db-url ") == "/Dev/db-url"


@pytest.mark.parametrize(
    "name",
    [
        "Dev MySQL DB",
        "MyParameter3/L1",
        "xxx/yyy",
        "test/parameter",
        "/myPrefix/xmpt/support@gmail.com",
        "a#b",
        "a:b",
        "äpfel",
        "/",
        "//a",
        "/a//b",
        "",
        "   ",
        "a\tb",
    ],
)
def test_malformed_names_get_awss_one_message(name: str) -> None:
    with pytest.raises(ValidationException) as caught:
        check_name(name)
    assert caught.value.message == MALFORMED_NAME


def test_the_malformed_name_message_is_awss_word_for_word() -> None:
    assert MALFORMED_NAME == (
        'Parameter name: can\'t be prefixed with "ssm" (case-insensitive). If formed as a '
        "path, it can consist of sub-paths divided by slash symbol; each sub-path can be "
        "formed as a mix of letters, numbers and the following 3 symbols .-_"
    )


@pytest.mark.parametrize("name", ["/a/", "/Dev/Production/"])
def test_a_trailing_slash_has_its_own_message(name: str) -> None:
    with pytest.raises(ValidationException) as caught:
        check_name(name)
    assert caught.value.message == TRAILING_SLASH == "Parameter name must not end with slash."


def test_fifteen_levels_pass_sixteen_do_not() -> None:
    assert check_name(deep(15)) == deep(15)
    with pytest.raises(HierarchyLevelLimitExceededException) as caught:
        check_name(deep(16))
    assert caught.value.message == TOO_DEEP


def test_the_docs_example_of_too_deep_a_name_is_refused() -> None:
    name = "/Level-1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/parameter-name"
    with pytest.raises(HierarchyLevelLimitExceededException):
        check_name(name)


@pytest.mark.parametrize(
    "name", ["awsTestParameter", "SSM-testparameter", "/ssmX", "/awsX", "AWS", "/Ssm"]
)
def test_single_level_names_with_a_reserved_prefix_are_refused(name: str) -> None:
    with pytest.raises(ValidationException) as caught:
        check_name(name)
    assert caught.value.message == RESERVED_NAME
    assert (
        RESERVED_NAME
        == 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).'
    )


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("/aws/testparam1", "aws/testparam1"),
        ("/awssec/lab01/vpc_id", "awssec/lab01/vpc_id"),
        ("/AWS/billet", "AWS/billet"),
        ("/Aws/x/y", "Aws/x/y"),
    ],
)
def test_paths_under_aws_are_access_denied(name: str, shown: str) -> None:
    with pytest.raises(AccessDeniedException) as caught:
        check_name(name)
    assert caught.value.message == f"No access to reserved parameter name: {shown}."


@pytest.mark.parametrize("name", ["/SSM/billet", "/ssm-x/y", "awsfoo/bar", "ssm/x"])
def test_other_reserved_paths_get_the_malformed_name_message(name: str) -> None:
    with pytest.raises(ValidationException) as caught:
        check_name(name)
    assert caught.value.message == MALFORMED_NAME


def test_the_arn_counts_towards_1011_characters() -> None:
    assert len(DOCS_PREFIX) == 45
    fits = "/" + "n" * (1011 - 45)
    assert check_name(fits, arn_prefix=DOCS_PREFIX) == fits
    with pytest.raises(ValidationException) as caught:
        check_name(fits + "n", arn_prefix=DOCS_PREFIX)
    assert "less than or equal to 966" in caught.value.message


def test_without_an_arn_prefix_the_bare_name_may_have_1011_characters() -> None:
    assert check_name("n" * 1011) == "n" * 1011
    assert check_name("/" + "n" * 1011) == "/" + "n" * 1011
    with pytest.raises(ValidationException):
        check_name("n" * 1012)


# --- canonical_name: /a and a are one parameter ---------------------------------------


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("/TestParam1", "TestParam1"),
        ("TestParam1", "TestParam1"),
        ("/Test/TestParam1", "/Test/TestParam1"),
        ("/Test/TestParam1/Logpath1", "/Test/TestParam1/Logpath1"),
    ],
)
def test_the_docs_uniqueness_examples(name: str, canonical: str) -> None:
    assert canonical_name(name) == canonical


@given(st.lists(LEVEL, min_size=1, max_size=4), st.booleans())
def test_canonical_names_are_stable_and_keep_the_arn(levels: list[str], slash: bool) -> None:
    name = ("/" if slash or len(levels) > 1 else "") + "/".join(levels)
    canonical = canonical_name(name)
    assert canonical_name(canonical) == canonical
    assert parameter_arn("aws", "r", "1", canonical) == parameter_arn("aws", "r", "1", name)
    assert canonical_name("/" + canonical.removeprefix("/")) == canonical


# --- parse_selector: GetParameter(s) names ---------------------------------------------


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("/Production/SQLConnectionString:3", Selector("/Production/SQLConnectionString", 3)),
        ("parameter-name:label-name", Selector("parameter-name", label="label-name")),
        ("/config/endpoint", Selector("/config/endpoint")),
        ("/a/b:03", Selector("/a/b", 3)),
        ("/a/b:0", Selector("/a/b", 0)),
        (
            "/aws/service/global-infrastructure/regions",
            Selector("/aws/service/global-infrastructure/regions"),
        ),
        ("ssm-readable", Selector("ssm-readable")),
        (" /a/b:Prod ", Selector("/a/b", label="Prod")),
    ],
)
def test_selectors_split_name_version_and_label(reference: str, expected: Selector) -> None:
    assert parse_selector(reference) == expected


def test_an_arn_names_the_parameter_with_its_slash_and_says_where() -> None:
    assert parse_selector("arn:aws:ssm:us-east-1:123456789012:parameter/myparam") == Selector(
        "/myparam", None, None, "aws", "us-east-1", "123456789012"
    )
    assert parse_selector("arn:aws-cn:ssm:cn-north-1:1:parameter/a/b:Prod") == Selector(
        "/a/b", None, "Prod", "aws-cn", "cn-north-1", "1"
    )
    assert parse_selector("arn:aws:ssm:eu-west-1:1:parameter/a/b:7").version == 7


@pytest.mark.parametrize(
    "reference",
    [
        "name:",
        "a:b:c",
        "bad name:3",
        "a/b:3",
        "arn:aws:kms:us-east-1:1:key/abc",
        "arn:aws:ssm:us-east-1:1:parameter//a",
        ":3",
    ],
)
def test_malformed_references_are_refused(reference: str) -> None:
    with pytest.raises(ValidationException) as caught:
        parse_selector(reference)
    assert caught.value.message == MALFORMED_NAME


def test_a_selector_on_too_deep_a_name_is_refused() -> None:
    with pytest.raises(HierarchyLevelLimitExceededException):
        parse_selector(deep(16) + ":1")


# --- check_path and is_under: GetParametersByPath ---------------------------------------


@pytest.mark.parametrize(
    "path", ["/", "/Finance/Prod/IAD/WinServ2016", "/foo/", "/aws/service/ami-amazon-linux-latest"]
)
def test_good_paths_pass(path: str) -> None:
    assert check_path(path) == path


@pytest.mark.parametrize("path", ["test", "", "//", "/###", "/a//b", "foo/bar", "/a b", "C:/x"])
def test_bad_paths_get_awss_path_message(path: str) -> None:
    with pytest.raises(ValidationException) as caught:
        check_path(path)
    assert caught.value.message == BAD_PATH


def test_the_path_message_keeps_awss_backslashes() -> None:
    assert BAD_PATH.startswith(
        "The parameter doesn't meet the parameter name requirements. The parameter name must "
        'begin with a forward slash "/". It can\'t be prefixed with \\"aws\\" or \\"ssm\\" '
        "(case-insensitive)."
    )
    assert BAD_PATH.endswith("Valid example: /get/parameters2-/by1./path0_.")


def test_a_path_deeper_than_fifteen_levels_is_refused() -> None:
    assert check_path("".join(f"/L{i}" for i in range(15)))
    with pytest.raises(HierarchyLevelLimitExceededException):
        check_path("".join(f"/L{i}" for i in range(16)))


NAMES = ["/foo/name1", "/foo/name2", "/bar/name3", "/bar/name3/name4", "foo", "/baz"]


@pytest.mark.parametrize(
    ("path", "recursive", "expected"),
    [
        ("/", False, {"foo", "/baz"}),
        ("/", True, set(NAMES)),
        ("/foo", False, {"/foo/name1", "/foo/name2"}),
        ("/foo/", False, {"/foo/name1", "/foo/name2"}),
        ("/fo", True, set()),
        ("/bar", False, {"/bar/name3"}),
        ("/bar", True, {"/bar/name3", "/bar/name3/name4"}),
        ("/bar/name3", False, {"/bar/name3/name4"}),
        ("/baz", True, set()),
    ],
)
def test_is_under_one_level_and_recursive(path: str, recursive: bool, expected: set[str]) -> None:
    assert {name for name in NAMES if is_under(name, path, recursive)} == expected


@given(
    st.lists(LEVEL, max_size=4),
    st.lists(LEVEL, max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_is_under_is_a_proper_ancestor_relation(
    parent: list[str], child: list[str], recursive: bool, trailing: bool
) -> None:
    path = "/" + "/".join(parent) + ("/" if trailing and parent else "")
    name = "/" + "/".join(parent + child)
    expected = bool(child) and (recursive or len(child) == 1)
    assert is_under(name, path, recursive) is expected
    if is_under(name, path, False):
        assert is_under(name, path, True)


@given(st.lists(LEVEL, min_size=1, max_size=4), LEVEL, st.booleans())
def test_a_sibling_prefix_is_not_an_ancestor(
    levels: list[str], extra: str, recursive: bool
) -> None:
    path = "/" + "/".join(levels)
    assert not is_under(path + extra + "/x", path, recursive)


# --- parameter_arn ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "arn"),
    [
        ("/a/b", "arn:aws:ssm:us-east-1:123:parameter/a/b"),
        ("a", "arn:aws:ssm:us-east-1:123:parameter/a"),
        ("/a", "arn:aws:ssm:us-east-1:123:parameter/a"),
    ],
)
def test_arns_have_no_double_slash(name: str, arn: str) -> None:
    assert parameter_arn("aws", "us-east-1", "123", name) == arn


def test_the_docs_arn_is_65_characters() -> None:
    arn = parameter_arn("aws", "us-east-2", "111122223333", "ExampleParameterName")
    assert arn == DOCS_PREFIX + "ExampleParameterName"
    assert len(arn) == 65
    assert parameter_arn("aws", "us-east-2", "111122223333", "") == DOCS_PREFIX


# --- check_label ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "label",
    ["Production", "east-region", "finance", "MySQL-test", "v1.2_x", "Test", "a" * 100, "_x"],
)
def test_good_labels(label: str) -> None:
    assert check_label(label)


@pytest.mark.parametrize(
    "label",
    ["1abc", "9", "awsX", "AWSx", "SsmY", "ssm", "a/b", "a b", "", "a" * 101, "äx", "a:b", "a*"],
)
def test_bad_labels(label: str) -> None:
    assert not check_label(label)
