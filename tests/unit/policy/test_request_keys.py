"""`Policy.request_keys`: a key a policy does not read cannot change its decision. Property:
for generated policies and requests, dropping every key outside the policies' keys read
leaves the verdict as it was (the server's authorizer keeps verdicts on that basis)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from strongroom.policy.document import PolicyGrammarError, parse_policy
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


@settings(max_examples=1000, deadline=None, database=None)
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


# --- every key evaluation looks up is declared ---------------------------------------------

NAMES = ["kms:EncryptionContext:a", "kms:EncryptionContext:hidden", "aws:username"]
PIECES = ["arn:aws:kms:", "${a, '}:", "${", "}", "'", ":", ",", " ", "*", "?", "$", "a", *NAMES]
FAMILIES = ["StringEquals", "StringLike", "StringNotLike", "ArnLike", "ArnNotEquals", "Bool",
            "ForAllValues:StringEquals", "ForAnyValue:ArnLike", "StringEqualsIgnoreCase",
            "NumericEquals", "DateEquals", "IpAddress", "BinaryEquals", "Null",
            "ArnEqualsIfExists"]  # fmt: skip
TEXT = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@settings(max_examples=1500, deadline=None, database=None)
@example(
    operator="ArnLike",
    value="arn:aws:kms:${a, '}:${kms:EncryptionContext:hidden}:x'}:k",
    resource="",
    not_resource=False,
    values={"kms:EncryptionContext:a": "x"},
)
@given(
    operator=st.sampled_from(FAMILIES),
    value=TEXT,
    resource=TEXT,
    not_resource=st.booleans(),
    values=st.dictionaries(st.sampled_from(NAMES), TEXT),
)
def test_every_key_evaluation_looks_up_is_one_the_policy_declares(
    operator: str, value: str, resource: str, not_resource: bool, values: dict[str, str]
) -> None:
    """Whatever the values and their `${`, quotes and colons (Arn values are cut at colons
    before their variables are read), evaluation never reads a key outside request_keys."""
    statement = {
        "Effect": "Deny",
        "Action": "kms:Encrypt",
        "NotResource" if not_resource else "Resource": ["*", f"arn:aws:kms:us-east-1:{resource}"],
        "Condition": {
            operator: {"kms:EncryptionContext:a": "true" if operator == "Null" else value}
        },
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    try:
        policy = Policy.from_document(parse_policy(document))
    except PolicyGrammarError:
        return
    read: list[str] = []
    looked_up = Request.values

    def recording(self: Request, key: str) -> tuple[str, ...] | None:
        read.append(key.lower())
        return looked_up(self, key)

    context = {key: (text,) for key, text in values.items()}
    Request.values = recording  # type: ignore[method-assign]
    try:
        evaluate(
            PolicySet(identity=(policy,)), Request("kms:Encrypt", KEY, ALICE, ACCOUNT, context)
        )
    finally:
        Request.values = looked_up  # type: ignore[method-assign]
    assert set(read) <= policy.request_keys
