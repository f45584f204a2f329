"""Action, Resource and Principal matching, case by case against the AWS rule each checks
(IAM User Guide, "IAM JSON policy elements": Action, Resource, Principal, NotPrincipal)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.matching import (
    Grant,
    action_matches,
    not_principal_applies,
    principal_grant,
    principal_matches,
    resource_matches,
    resource_pattern,
)
from strongroom.policy.request import Request

ACCOUNT = "111122223333"
OTHER = "444455556666"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = f"arn:aws:iam::{ACCOUNT}:user/bob"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service/app"
SESSION = f"arn:aws:sts::{ACCOUNT}:assumed-role/app/run-1"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
FEDERATED = f"arn:aws:sts::{ACCOUNT}:federated-user/carol"
STRANGER = f"arn:aws:iam::{OTHER}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def caller(arn: str, account: str = ACCOUNT, **context: tuple[str, ...]) -> Request:
    keys = {k.replace("__", ":"): v for k, v in context.items()}
    return Request("kms:Encrypt", KEY, arn, account, keys)


SERVICE_CALL = caller("", "", aws__PrincipalServiceName=("secretsmanager.amazonaws.com",))


@pytest.mark.parametrize(
    ("pattern", "action", "expected"),
    [
        ("kms:Encrypt", "kms:Encrypt", True),
        # "The prefix and the action name are case insensitive"
        ("KMS:encrypt", "kms:Encrypt", True),
        ("kms:Encrypt", "KMS:ENCRYPT", True),
        # "*" as the whole Action is every action of every service
        ("*", "secretsmanager:GetSecretValue", True),
        # multi-character (*) and single-character (?) wildcards
        ("kms:*", "kms:Decrypt", True),
        ("kms:*", "secretsmanager:GetSecretValue", False),
        ("kms:Re*", "kms:ReEncryptFrom", True),
        ("iam:*AccessKey*", "iam:CreateAccessKey", True),
        ("kms:Get?eyPolicy", "kms:GetKeyPolicy", True),
        ("kms:Get?Policy", "kms:GetKeyPolicy", False),
        # the whole action must match, and the service is part of it
        ("kms:Encrypt", "kms:EncryptX", False),
        ("secretsmanager:Get*", "kms:GetKeyPolicy", False),
        ("kms:*Key", "kms:CreateKeyX", False),
    ],
)
def test_action_matches(pattern: str, action: str, expected: bool) -> None:
    assert action_matches(pattern, action) is expected


@given(
    st.sampled_from(["kms:Encrypt", "kms:*", "kms:Re*", "kms:Get?eyPolicy", "*", "iam:*Key*"]),
    st.sampled_from(["kms:Encrypt", "kms:ReEncryptTo", "kms:GetKeyPolicy", "iam:CreateAccessKey"]),
)
def test_action_case_never_matters(pattern: str, action: str) -> None:
    # AWS: prefix and action name are case-insensitive, in the policy and the request alike
    expected = action_matches(pattern, action)
    assert action_matches(pattern.swapcase(), action) is expected
    assert action_matches(pattern, action.upper()) is expected


S3_EXAMPLE = "arn:aws:s3:::amzn-s3-demo-bucket/*/test/*"


@pytest.mark.parametrize(
    ("pattern", "resource", "expected"),
    [
        ("*", KEY, True),
        ("*", "*", True),
        (KEY, KEY, True),
        # ARNs are case-sensitive ("In the Resource element, the IAM user name is case
        # sensitive")
        (ALICE, ALICE.replace("alice", "Alice"), False),
        (f"arn:aws:kms:*:{ACCOUNT}:key/*", KEY, True),
        (f"arn:aws:kms:*:{ACCOUNT}:key/*", KEY.replace(ACCOUNT, OTHER), False),
        (f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/*", KEY, False),
        # AWS's own example: "*" expands across "/" within the resource segment
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/object.jpg", True),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test/3/object.jpg", True),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1///test///object.jpg", True),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket//test/object.jpg", True),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1/test/", True),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1-test/object.jpg", False),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/test/object.jpg", False),
        (S3_EXAMPLE, "arn:aws:s3:::amzn-s3-demo-bucket/1/2/test.jpg", False),
        # wildcards work "within the individual segments of an ARN": a * inside a segment
        # does not run past a colon...
        (f"arn:aws:kms:us-*-1:{ACCOUNT}:key/k", f"arn:aws:kms:us-east:x-1:{ACCOUNT}:key/k", False),
        (f"arn:aws:kms:us-*-1:{ACCOUNT}:key/k", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k", True),
        (f"arn:aws:kms:us-east-?:{ACCOUNT}:key/k", f"arn:aws:kms:us-east-:{ACCOUNT}:key/k", False),
        # ...but "If the * wildcard is the last character of a resource ARN segment, it
        # can expand to match beyond the colon boundaries"
        (f"arn:aws:kms:us-*:{ACCOUNT}:key/k", f"arn:aws:kms:us-east:x:{ACCOUNT}:key/k", True),
        ("arn:aws:kms:*", KEY, True),
        # the resource part (after the fifth colon) may itself hold colons
        (
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret?db-*",
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf",
            True,
        ),
        (
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:*",
            f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:db-AbCdEf",
            True,
        ),
    ],
)
def test_resource_matches(pattern: str, resource: str, expected: bool) -> None:
    assert resource_matches(pattern, resource, caller(ALICE)) is expected


HOME = "arn:aws:s3:::bucket/home/${aws:username}/*"


@pytest.mark.parametrize(
    ("pattern", "resource", "context", "expected"),
    [
        # "the policy variables are replaced with values that come from the ... request"
        (HOME, "arn:aws:s3:::bucket/home/alice/notes", {"aws:username": ("alice",)}, True),
        (HOME, "arn:aws:s3:::bucket/home/bob/notes", {"aws:username": ("alice",)}, False),
        # "not present ... any attempt to match it fails and causes the statement to be
        # invalid": a variable with no value matches nothing
        (HOME, "arn:aws:s3:::bucket/home/alice/notes", {}, False),
        # a value is literal: a "*" in it is no wildcard
        (
            "arn:aws:s3:::bucket/${aws:username}",
            "arn:aws:s3:::bucket/x",
            {"aws:username": ("*",)},
            False,
        ),
        (
            "arn:aws:s3:::bucket/${aws:username}",
            "arn:aws:s3:::bucket/*",
            {"aws:username": ("*",)},
            True,
        ),
        # "${*}" stands for a literal *
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/*", {}, True),
        ("arn:aws:s3:::bucket/${*}", "arn:aws:s3:::bucket/x", {}, False),
        # a default value, used when the key is absent
        ("arn:aws:s3:::bucket/${aws:username, 'anon'}", "arn:aws:s3:::bucket/anon", {}, True),
    ],
)
def test_resource_variables(
    pattern: str, resource: str, context: dict[str, tuple[str, ...]], expected: bool
) -> None:
    request = Request("s3:GetObject", resource, ALICE, ACCOUNT, context)
    assert resource_matches(pattern, resource, request) is expected


def test_2008_policies_have_no_variables() -> None:
    # "If you don't include the Version element ... variables like ${aws:username} are
    # treated as literal strings"
    request = caller(ALICE, aws__username=("alice",))
    assert not resource_matches(HOME, "arn:aws:s3:::bucket/home/alice/x", request, variables=False)
    literal = "arn:aws:s3:::bucket/home/${aws:username}/x"
    assert resource_matches(HOME, literal, request, variables=False)
    assert resource_pattern(HOME, caller(ALICE), variables=True) is None


def _reference(pattern: str) -> re.Pattern[str]:
    """A plain (backtracking) regular expression of AWS's segment rule, for tiny inputs."""
    out: list[str] = []
    colons = 0
    fixed = pattern.startswith("arn:")
    for index, char in enumerate(pattern):
        in_fixed = fixed and colons < 5
        if char == "*":
            last = index + 1 == len(pattern) or pattern[index + 1] == ":"
            out.append("[^:]*" if in_fixed and not last else ".*")
        elif char == "?":
            out.append("[^:]" if in_fixed else ".")
        else:
            colons += char == ":"
            out.append(re.escape(char))
    return re.compile("".join(out), re.DOTALL)


@given(
    st.text(alphabet="a:*?", max_size=8).map(lambda t: "arn:" + t),
    st.text(alphabet="ab:", max_size=10).map(lambda t: "arn:" + t),
)
def test_resource_pattern_agrees_with_a_reference(pattern: str, text: str) -> None:
    compiled = resource_pattern(pattern, caller(ALICE))
    assert compiled is not None
    assert compiled.matches(text) is (_reference(pattern).fullmatch(text) is not None)


@given(st.text(alphabet=st.characters(exclude_characters="*?$"), max_size=30), st.text(max_size=30))
def test_a_pattern_without_wildcards_is_equality(pattern: str, text: str) -> None:
    assert resource_matches(pattern, text, caller(ALICE)) is (pattern == text)
    assert resource_matches(pattern, pattern, caller(ALICE))


PRINCIPAL_CASES: list[tuple[Any, Request, Grant | None]] = [
    # "*" and {"AWS": "*"} are all principals (and equivalent)
    ("*", caller(ALICE), Grant.DIRECT),
    ({"AWS": "*"}, caller(SESSION), Grant.DIRECT),
    ("*", SERVICE_CALL, Grant.DIRECT),
    # an account id or its root ARN "delegates authority to the account"; the root ARN
    # "does not limit permissions to only the root user of the account"
    ({"AWS": ACCOUNT}, caller(ALICE), Grant.ACCOUNT),
    ({"AWS": ROOT}, caller(ALICE), Grant.ACCOUNT),
    ({"AWS": ROOT}, caller(SESSION), Grant.ACCOUNT),
    ({"AWS": ROOT}, caller(ROOT), Grant.DIRECT),
    ({"AWS": ACCOUNT}, caller(STRANGER, OTHER), None),
    # an IAM user ARN names that user only (user names are case-sensitive here)
    ({"AWS": ALICE}, caller(ALICE), Grant.DIRECT),
    ({"AWS": ALICE}, caller(BOB), None),
    ({"AWS": ALICE.replace("alice", "Alice")}, caller(ALICE), None),
    ({"AWS": ALICE}, caller(STRANGER, OTHER), None),
    # several entries are a logical OR
    ({"AWS": [BOB, ALICE]}, caller(ALICE), Grant.DIRECT),
    # a role ARN names the sessions of that role (path or not); a session ARN names
    # that session only
    ({"AWS": ROLE}, caller(SESSION), Grant.ROLE),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/app"}, caller(SESSION), Grant.ROLE),
    ({"AWS": f"arn:aws:iam::{ACCOUNT}:role/other"}, caller(SESSION), None),
    ({"AWS": ROLE.replace(ACCOUNT, OTHER)}, caller(SESSION), None),
    ({"AWS": ROLE}, caller(ALICE), None),
    ({"AWS": SESSION}, caller(SESSION), Grant.DIRECT),
    ({"AWS": SESSION.replace("run-1", "run-2")}, caller(SESSION), None),
    # the most direct entry wins
    ({"AWS": [ACCOUNT, ROLE, SESSION]}, caller(SESSION), Grant.DIRECT),
    ({"AWS": [ACCOUNT, ROLE]}, caller(SESSION), Grant.ROLE),
    # federated user sessions are named by their own ARN
    ({"AWS": FEDERATED}, caller(FEDERATED), Grant.DIRECT),
    # service principals name calls made by that service
    ({"Service": "secretsmanager.amazonaws.com"}, SERVICE_CALL, Grant.DIRECT),
    (
        {"Service": ["ssm.amazonaws.com", "secretsmanager.amazonaws.com"]},
        SERVICE_CALL,
        Grant.DIRECT,
    ),
    ({"Service": "secretsmanager.amazonaws.com"}, caller(ALICE), None),
    ({"AWS": ACCOUNT}, SERVICE_CALL, None),
    # S3's canonical user ids name nobody here
    ({"CanonicalUser": "79a59df900b949e55d96a1e698fbace"}, caller(ALICE), None),
]


@pytest.mark.parametrize(("element", "request_", "expected"), PRINCIPAL_CASES)
def test_principal_grant(element: Any, request_: Request, expected: Grant | None) -> None:
    assert principal_grant(element, request_) is expected
    assert principal_matches(element, request_) is (expected is not None)


NOT_PRINCIPAL_CASES: list[tuple[Any, Request, bool, bool]] = [
    # (element, caller, deny?, statement applies?)
    # AWS's example: list the user AND its account to spare that user from a Deny
    ({"AWS": [BOB, ROOT]}, caller(ALICE), True, True),
    ({"AWS": [BOB, ROOT]}, caller(BOB), True, False),
    # "If the NotPrincipal element contained only Bob's ARN, the effect of the policy
    # might be to explicitly deny access to the AWS account that contains the user Bob"
    ({"AWS": [BOB]}, caller(BOB), True, True),
    # a session is spared only when its session, role and account are all listed
    ({"AWS": [SESSION, ROLE, ROOT]}, caller(SESSION), True, False),
    ({"AWS": [ROLE, ROOT]}, caller(SESSION), True, True),
    ({"AWS": [SESSION, ROOT]}, caller(SESSION), True, True),
    ({"AWS": [SESSION, ROLE, ROOT]}, caller(SESSION.replace("run-1", "run-2")), True, True),
    ({"AWS": [ROOT]}, caller(ROOT), True, False),
    ({"Service": "secretsmanager.amazonaws.com"}, SERVICE_CALL, True, False),
    ("*", caller(ALICE), True, False),
    # Allow with NotPrincipal grants to "all principals except" those listed: it applies
    # only when nothing in the caller's chain is listed (ours: errs closed)
    ({"AWS": [BOB]}, caller(ALICE), False, True),
    ({"AWS": [BOB]}, caller(BOB), False, False),
    ({"AWS": [ACCOUNT]}, caller(ALICE), False, False),
    ({"AWS": [ROLE]}, caller(SESSION), False, False),
    ({"AWS": [ACCOUNT]}, caller(STRANGER, OTHER), False, True),
]


@pytest.mark.parametrize(("element", "request_", "deny", "expected"), NOT_PRINCIPAL_CASES)
def test_not_principal(element: Any, request_: Request, deny: bool, expected: bool) -> None:
    assert not_principal_applies(element, request_, deny=deny) is expected


@given(
    st.sampled_from([c[0] for c in PRINCIPAL_CASES]),
    st.sampled_from([c[1] for c in PRINCIPAL_CASES]),
)
def test_not_principal_deny_covers_every_caller_principal_names_not_directly(
    element: Any, request_: Request
) -> None:
    # Whoever a Principal element does not name at all, a Deny with the same list as
    # NotPrincipal reaches; an Allow with it never reaches one the element names.
    if principal_grant(element, request_) is None:
        assert not_principal_applies(element, request_, deny=True)
    else:
        assert not not_principal_applies(element, request_, deny=False)
