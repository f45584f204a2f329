"""Policy variables and wildcard patterns, as AWS's "IAM policy elements: Variables and
tags" and "Condition operators" pages describe them; each case names the rule it checks."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.request import Request
from strongroom.policy.variables import substitute, wildcard_pattern

CONTEXT = {
    "aws:username": ("alice",),
    "aws:PrincipalTag/team": ("blue",),
    "aws:PrincipalTag/cost center": ("cc-1",),
    "aws:TagKeys": ("a", "b"),
    "aws:PrincipalTag/empty": (),
    "aws:PrincipalTag/starry": ("x*y?z",),
    "aws:PrincipalTag/loop": ("${aws:username}",),
}
REQUEST = Request(
    "s3:GetObject", "*", "arn:aws:iam::123456789012:user/alice", "123456789012", CONTEXT
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # "the policy variables are replaced with values that come from the ... request"
        ("home/${aws:username}/*", "home/alice/*"),
        ("${aws:username}-${aws:PrincipalTag/team}", "alice-blue"),
        # "Key names are case-insensitive"
        ("${AWS:UserName}", "alice"),
        ("${aws:principaltag/TEAM}", "blue"),
        # tag keys may hold spaces
        ("${aws:PrincipalTag/cost center}", "cc-1"),
        # no variable at all: the text itself
        ("arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/*"),
        ("", ""),
        # "${*} - use where you need an * (asterisk) character", likewise ${?} and ${$}
        ("${*}${?}${$}", "*?$"),
        ("price${$}${aws:username}", "price$alice"),
        # "surround the default value with single quotes ... separate ... with a comma"
        ("${aws:PrincipalTag/missing, 'company-wide'}", "company-wide"),
        ("${aws:PrincipalTag/missing,'company-wide'}", "company-wide"),
        ("bucket-${aws:PrincipalTag/team, 'company-wide'}", "bucket-blue"),
        ("${aws:PrincipalTag/missing, ''}", ""),
        # "You can't use a multivalued condition key as a variable": the default applies
        ("${aws:TagKeys, 'none'}", "none"),
        # a key holding no value has no value; the default applies
        ("${aws:PrincipalTag/empty, 'none'}", "none"),
        # one pass: a value that looks like a variable is not substituted again
        ("${aws:PrincipalTag/loop}", "${aws:username}"),
        ("${aws:PrincipalTag/missing, '${aws:username}'}", "${aws:username}"),
        # ours: a `${` that spells no variable is literal text, matching only itself
        ("${aws:username", "${aws:username"),
        ("${}", "${}"),
        ("${a, b}", "${a, b}"),
        ("$aws:username", "$aws:username"),
    ],
)
def test_substitute(text: str, expected: str) -> None:
    assert substitute(text, REQUEST) == expected


@pytest.mark.parametrize(
    "text",
    [
        # "When policy variables reference a condition context key that has no value or is
        # not present ... the value is effectively null"
        "${aws:userid}",
        "home/${aws:PrincipalTag/missing}/*",
        # one missing variable voids the whole text, even beside one that resolves
        "${aws:username}/${aws:PrincipalTag/missing}",
        # "You can't use a multivalued condition key as a variable"
        "${aws:TagKeys}",
        # a present key with no value is no value either
        "${aws:PrincipalTag/empty}",
    ],
)
def test_substitute_without_value_is_null(text: str) -> None:
    assert substitute(text, REQUEST) is None


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        # StringLike: "multi-character match wildcards (*) and single-character match
        # wildcards (?) anywhere in the string"
        ("t1.*", "t1.micro", True),
        ("t1.*", "t1.", True),
        ("t1.*", "t2.micro", False),
        ("t?.micro", "t1.micro", True),
        ("t?.micro", "t12.micro", False),
        ("t?.micro", "t.micro", False),
        ("*", "", True),
        ("*", "anything: at all\n", True),
        ("a*b*c", "abc", True),
        ("a*b*c", "aXbYc", True),
        ("a*b*c", "aXbY", False),
        ("**", "x", True),
        ("", "", True),
        ("", "x", False),
        # "Case-sensitive matching"
        ("T1.*", "t1.micro", False),
        # a whole-string match, not a search
        ("micro", "t1.micro", False),
        # a variable's value is matched literally: its * and ? are no wildcards
        ("${aws:PrincipalTag/starry}", "x*y?z", True),
        ("${aws:PrincipalTag/starry}", "xAyBz", False),
        # "${*} - use where you need an * (asterisk) character"
        ("a${*}", "a*", True),
        ("a${*}", "ab", False),
        ("a${?}", "a?", True),
        ("a${?}", "ab", False),
        ("home/${aws:username}/*", "home/alice/docs/x", True),
        ("home/${aws:username}/*", "home/bob/docs/x", False),
    ],
)
def test_wildcard_pattern(pattern: str, text: str, expected: bool) -> None:
    compiled = wildcard_pattern(pattern, REQUEST)
    assert compiled is not None
    assert compiled.matches(text) is expected


def test_wildcard_pattern_without_value_is_null() -> None:
    # "the resource that includes a policy variable with no value will not match any resource"
    assert wildcard_pattern("arn:aws:s3:::bucket/${aws:PrincipalTag/missing}/*", REQUEST) is None


def test_wildcard_pattern_without_variables_takes_text_literally() -> None:
    # Version 2008-10-17: "variables like ${aws:username} are treated as literal strings"
    compiled = wildcard_pattern("home/${aws:username}/*", None)
    assert compiled is not None
    assert compiled.matches("home/${aws:username}/x")
    assert not compiled.matches("home/alice/x")


def _reference(pattern: str, text: str) -> bool:
    """A regular-expression oracle for the IAM wildcards, to check the matcher against."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, text, re.DOTALL) is not None


ALPHABET = st.sampled_from("ab*?:/$")


@given(st.text(ALPHABET, max_size=8), st.text(st.sampled_from("ab:/*?"), max_size=10))
def test_wildcard_matching_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    compiled = wildcard_pattern(pattern, None)
    assert compiled is not None
    assert compiled.matches(text) is _reference(pattern, text)


@given(st.text(st.characters(blacklist_characters="*?$"), max_size=20))
def test_text_without_wildcards_or_variables_matches_only_itself(text: str) -> None:
    compiled = wildcard_pattern(text, REQUEST)
    assert compiled is not None
    assert compiled.matches(text)
    assert not compiled.matches(text + "x")
    assert substitute(text, REQUEST) == text


@given(st.text(max_size=20))
def test_a_substituted_value_is_always_literal(value: str) -> None:
    request = Request("a:b", "*", "p", "1", {"aws:PrincipalTag/v": (value,)})
    assert substitute("${aws:PrincipalTag/v}", request) == value
    compiled = wildcard_pattern("${aws:PrincipalTag/v}", request)
    assert compiled is not None
    assert compiled.matches(value)
    if value:
        assert not compiled.matches(value[:-1])
