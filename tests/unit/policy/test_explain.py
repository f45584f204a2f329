"""`explain`: which statements name a request, whether they apply, and which keys they
lack; and that it reads statements exactly as evaluation decides them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.policy import Decision, Policy, Request, parse_policy, statements_decide
from strongroom.policy.explain import Finding, explain, unique_keys

USER = "arn:aws:iam::111122223333:user/alice"
BUCKET = "arn:aws:s3:::amzn-s3-demo-bucket"


def policy(
    *statements: dict[str, Any], version: str = "2012-10-17", resource: bool = False
) -> Policy:
    text = json.dumps({"Version": version, "Statement": list(statements)})
    return Policy.from_document(parse_policy(text, resource_policy=resource))


def request(action: str = "s3:GetObject", resource: str = f"{BUCKET}/a", **context: Any) -> Request:
    keys = {k.replace("__", ":").replace("_", "/"): tuple(v) for k, v in context.items()}
    return Request(action, resource, USER, "111122223333", keys)


def test_statements_that_do_not_name_the_request_are_left_out() -> None:
    found = explain(
        policy(
            {"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"{BUCKET}/other"},
            {"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:Get*", "NotResource": f"{BUCKET}/a"},
            {"Effect": "Allow", "Action": "s3:*", "Resource": f"{BUCKET}/*"},
        ),
        request(),
    )
    assert found == (Finding(index=4, allow=True, applies=True, missing=()),)


def test_a_statement_whose_condition_fails_names_but_does_not_apply() -> None:
    condition = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    statement = {"Effect": "Deny", "Action": "s3:*", "Resource": "*", "Condition": condition}
    assert explain(policy(statement), request(aws__PrincipalTag_team=["red"])) == (
        Finding(0, allow=False, applies=False, missing=()),
    )
    assert explain(policy(statement), request(aws__PrincipalTag_team=["blue"]))[0].applies
    assert explain(policy(statement), request()) == (
        Finding(0, allow=False, applies=False, missing=("aws:PrincipalTag/team",)),
    )


def test_missing_keys_are_condition_keys_and_variables_without_a_value() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/${{aws:username}}/*",
        "Condition": {
            "StringLike": {"s3:prefix": "${aws:PrincipalTag/home}/*"},
            "NumericLessThan": {"s3:max-keys": "${not:a-variable-here}"},
            "Null": {"aws:TokenIssueTime": "true"},
            "ForAnyValue:StringEquals": {"aws:TagKeys": ["${aws:userid, 'none'}"]},
        },
    }
    (found,) = explain(policy(statement), request(s3__prefix=["x"]))
    assert not found.applies
    assert found.missing == (
        "aws:PrincipalTag/home",
        "s3:max-keys",
        "aws:TokenIssueTime",
        "aws:TagKeys",
        "aws:username",
    )


def test_a_resource_variable_without_a_value_still_names_the_request() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/${{aws:username}}",
    }
    (found,) = explain(policy(statement), request())
    assert (found.applies, found.missing) == (False, ("aws:username",))
    assert explain(policy(statement), request(aws__username=["bob"])) == ()
    assert explain(policy(statement), request(resource=f"{BUCKET}/alice", aws__username=["alice"]))


def test_the_2008_language_has_no_variables() -> None:
    statement = {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "Resource": f"{BUCKET}/${{aws:username}}",
    }
    assert explain(policy(statement, version="2008-10-17"), request()) == ()
    named = explain(
        policy(statement, version="2008-10-17"),
        request(resource=f"{BUCKET}/${{aws:username}}"),
    )
    assert named == (Finding(0, allow=True, applies=True, missing=()),)


def test_a_resource_policy_statement_for_someone_else_is_left_out() -> None:
    mine = {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "s3:*", "Resource": "*"}
    theirs = {**mine, "Principal": {"AWS": "arn:aws:iam::111122223333:user/bob"}}
    found = explain(policy(theirs, mine, resource=True), request())
    assert [f.index for f in found] == [1]


def test_a_deny_with_not_principal_names_a_principal_with_a_boundary() -> None:
    listed = {"AWS": [USER, "arn:aws:iam::111122223333:root"]}
    deny = {"Effect": "Deny", "NotPrincipal": listed, "Action": "s3:*", "Resource": "*"}
    resource_policy = policy(deny, resource=True)
    assert explain(resource_policy, request()) == ()
    assert explain(resource_policy, request(), principal_has_boundary=True) == (
        Finding(0, allow=False, applies=True, missing=()),
    )


def test_unique_keys_ignore_case_and_keep_the_first_spelling() -> None:
    assert unique_keys([("aws:SourceIp", "s3:prefix"), ("AWS:SOURCEIP", "kms:ViaService")]) == (
        "aws:SourceIp",
        "s3:prefix",
        "kms:ViaService",
    )


def _documented_policies() -> list[tuple[str, Policy, Request, bool]]:
    from tests.unit.policy.test_aws_documented_cases import _cases, _compile, _request

    found = []
    for case in _cases():
        policies = case["policies"]
        boundary = policies["boundary"] is not None
        documents = [
            (d, False) for kind in ("identity", "boundary", "session") for d in policies[kind] or ()
        ]
        if policies["resource"] is not None:
            documents.append((policies["resource"], True))
        for number, (document, resource) in enumerate(documents):
            compiled = _compile(document, resource_policy=resource)
            found.append((f"{case['id']}-{number}", compiled, _request(case["request"]), boundary))
    return found


@pytest.mark.parametrize(
    ("compiled", "req", "boundary"),
    [pytest.param(p, r, b, id=i) for i, p, r, b in _documented_policies()],
)
def test_findings_give_each_documented_policy_its_own_decision(
    compiled: Policy, req: Request, boundary: bool
) -> None:
    """An applying Deny is an explicit deny, else an applying Allow allows: as
    `statements_decide` decides, for every policy of every documented case."""
    applying = [f for f in explain(compiled, req, principal_has_boundary=boundary) if f.applies]
    if any(not f.allow for f in applying):
        expected = Decision.EXPLICIT_DENY
    else:
        expected = Decision.ALLOW if applying else Decision.IMPLICIT_DENY
    assert statements_decide(compiled, req, principal_has_boundary=boundary) is expected
