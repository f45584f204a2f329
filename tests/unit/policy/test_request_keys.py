"""`Policy.request_keys`: a key a policy does not read cannot change its decision. Property:
for generated policies and requests, dropping every key outside the policies' keys read
leaves the verdict as it was (the server's authorizer keeps verdicts on that basis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.policy.document import parse_policy
from strongroom.policy.evaluation import Policy, PolicySet, evaluate
from strongroom.policy.request import Request

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k-1"
KEYS = ["kms:EncryptionContext:a", "kms:EncryptionContext:B", "aws:ResourceTag/t", "aws:username"]
VALUES = [
    "x",
    "y",
    "k-1",
    "${aws:username}",
    "${kms:EncryptionContext:b}",
    "${aws:ResourceTag/t, 'x'}",
]
OPERATORS = ["StringEquals", "StringNotEquals", "StringLike", "ForAnyValue:StringEquals",
             "StringEqualsIfExists", "Null"]  # fmt: skip
RESOURCES = [
    "*",
    KEY,
    "arn:aws:kms:*:*:key/${aws:username}",
    "arn:aws:kms:*:*:key/${kms:EncryptionContext:a}",
]


@st.composite
def statements(draw: st.DrawFn, principal: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Deny"])),
        "Action": "kms:Encrypt",
        "Resource": draw(st.sampled_from(RESOURCES)),
    }
    if principal:
        statement["Principal"] = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    conditions = draw(st.lists(st.tuples(st.sampled_from(OPERATORS), st.sampled_from(KEYS),
                                         st.sampled_from(VALUES)), max_size=2))  # fmt: skip
    if conditions:
        block: dict[str, dict[str, str]] = {}
        for operator, key, value in conditions:
            block.setdefault(operator, {})[key] = "true" if operator == "Null" else value
        statement["Condition"] = block
    return statement


def _policy(statements: list[dict[str, Any]], version: str, resource: bool) -> Policy:
    document = {"Version": version, "Statement": statements}
    return Policy.from_document(parse_policy(json.dumps(document), resource_policy=resource))


CONTEXTS = st.dictionaries(
    st.sampled_from([*KEYS, "kms:EncryptionContext:unread", "aws:ResourceTag/other"]),
    st.sampled_from(["x", "y", "k-1", "alice"]).map(lambda v: (v,)),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    identity=st.lists(statements(False), min_size=1, max_size=3),
    resource=st.lists(statements(True), min_size=1, max_size=2),
    version=st.sampled_from(["2012-10-17", "2008-10-17"]),
    context=CONTEXTS,
)
def test_keys_no_policy_reads_never_change_a_verdict(
    identity: list[dict[str, Any]], resource: list[dict[str, Any]], version: str,
    context: dict[str, tuple[str, ...]],
) -> None:  # fmt: skip
    policies = PolicySet(
        identity=(_policy(identity, version, False),),
        resource=_policy(resource, version, True),
        resource_required=True,
    )
    read = policies.identity[0].request_keys | policies.resource.request_keys  # type: ignore[union-attr]
    kept = {key: value for key, value in context.items() if key.lower() in read}
    full = evaluate(policies, Request("kms:Encrypt", KEY, ALICE, ACCOUNT, context))
    assert evaluate(policies, Request("kms:Encrypt", KEY, ALICE, ACCOUNT, kept)) == full


def test_keys_read_are_the_conditions_and_variables_lowercased() -> None:
    purpose = {"kms:EncryptionContext:Purpose": "${aws:PrincipalTag/team, 'x'}"}
    statement = {
        "Effect": "Allow",
        "Action": "kms:*",
        "Resource": "arn:aws:kms:*:*:key/${aws:username}",
        "Condition": {"StringEquals": purpose, "Null": {"aws:SourceIp": "false"}},
    }
    read = _policy([statement], "2012-10-17", False).request_keys
    assert {"kms:encryptioncontext:purpose", "aws:principaltag/team", "aws:sourceip",
            "aws:username"} <= read  # fmt: skip
    literal = _policy([statement], "2008-10-17", False).request_keys  # no variables there
    assert "aws:username" not in literal and "aws:principaltag/team" not in literal
