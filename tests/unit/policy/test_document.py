"""IAM policy grammar: documented example policies parse; each grammar error is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.policy.document import PolicyGrammarError, parse_policy

ROLE = "arn:aws:iam::123456789012:role/EC2RoleToAccessSecrets"
CANONICAL_USER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/db-AbCdEf"


def statement(**overrides: Any) -> dict[str, Any]:
    """A valid resource-policy statement, with `overrides` applied (None removes a key)."""
    base: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": ROLE},
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def policy(*statements: dict[str, Any], **top: Any) -> str:
    """Policy text holding `statements`, with Version 2012-10-17 unless `top` says."""
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": list(statements)}
    document.update(top)
    return json.dumps({k: v for k, v in document.items() if v is not None})


# Shapes of the examples in the Secrets Manager, KMS and IAM user guides.
DOCUMENTED_POLICIES = {
    "secretsmanager role reads one secret": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            }
        ],
    },
    "secretsmanager cross account with list and org condition": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CrossAccount",
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws:iam::111122223333:root", "444455556666"]},
                "Action": ["secretsmanager:GetSecretValue", "secretsmanager:Describe*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-exampleorgid"}},
            },
            {
                "Sid": "DenyOtherVersions",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": SECRET,
                "Condition": {
                    "ForAnyValue:StringNotEquals": {"secretsmanager:VersionStage": "AWSCURRENT"}
                },
            },
        ],
    },
    "kms default key policy": {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    },
    "kms secretsmanager managed key policy": {
        "Version": "2012-10-17",
        "Id": "auto-secretsmanager-2",
        "Statement": [
            {
                "Sid": "Allow access through AWS Secrets Manager for all principals",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:CreateGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:CallerAccount": "111122223333",
                        "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
                    }
                },
            }
        ],
    },
    "old version, single statement object, service principal": {
        "Version": "2008-10-17",
        "Statement": {
            "Effect": "Allow",
            "Principal": {"Service": "cloudtrail.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": "arn:aws:s3:::amzn-s3-demo-bucket/AWSLogs/*",
            "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
        },
    },
    "no version, not principal deny, boolean and number values": {
        "Statement": [
            {
                "Effect": "Deny",
                "NotPrincipal": {"AWS": ["arn:aws:iam::444455556666:user/Bob"]},
                "NotAction": "secretsmanager:Describe*",
                "NotResource": "arn:aws:secretsmanager:*:444455556666:secret:public-*",
                "Condition": {
                    "Bool": {"aws:SecureTransport": False},
                    "NumericLessThanIfExists": {"aws:MultiFactorAuthAge": 3600},
                    "IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:DB8::/32"]},
                    "Null": {"aws:ResourceTag/Cost Center": "true"},
                },
            }
        ],
    },
    "federated and canonical user principals, action wildcard": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {
                    "Federated": "cognito-identity.amazonaws.com",
                    "CanonicalUser": CANONICAL_USER,
                },
                "Action": "*",
            }
        ],
    },
}


@pytest.mark.parametrize("name", sorted(DOCUMENTED_POLICIES))
def test_documented_policies_parse_to_the_same_document(name: str) -> None:
    document = DOCUMENTED_POLICIES[name]
    assert parse_policy(json.dumps(document)) == document


def test_identity_policy_needs_resource_and_no_principal() -> None:
    text = policy(
        statement(Principal=None, Action=["secretsmanager:GetSecretValue"], Resource=SECRET)
    )
    assert parse_policy(text, resource_policy=False)["Statement"][0]["Resource"] == SECRET
    with pytest.raises(PolicyGrammarError, match="identity policy cannot name a Principal"):
        parse_policy(policy(statement()), resource_policy=False)
    with pytest.raises(PolicyGrammarError, match="no Resource or NotResource"):
        parse_policy(policy(statement(Principal=None, Resource=None)), resource_policy=False)


def test_resource_policy_may_omit_resource() -> None:
    assert "Resource" not in parse_policy(policy(statement(Resource=None)))["Statement"][0]


BAD_JSON = {
    "not json": "{not json",
    "empty": "",
    "nan": '{"Statement": [], "Version": NaN}',
    "infinity": '{"Statement": [], "Id": -Infinity}',
    "deep nesting": "[" * 100_000 + "]" * 100_000,
    "huge integer": '{"Id": ' + "9" * 5000 + "}",
}


@pytest.mark.parametrize("name", sorted(BAD_JSON))
def test_text_that_is_not_json_is_refused(name: str) -> None:
    with pytest.raises(PolicyGrammarError, match="not valid JSON"):
        parse_policy(BAD_JSON[name])


BAD_GRAMMAR: dict[str, tuple[str, str]] = {
    "duplicate key": (
        '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": []}',
        "repeats a key",
    ),
    "duplicate key in statement": (
        '{"Statement": {"Effect": "Allow", "Effect": "Deny", "Principal": "*", "Action": "*"}}',
        "repeats a key",
    ),
    "array at top": ("[]", "must be a JSON object"),
    "string at top": ('"policy"', "must be a JSON object"),
    "unknown top-level key": (policy(statement(), Extra="x"), "unknown top-level element"),
    "bad version": (policy(statement(), Version="2019-10-19"), "Version must be"),
    "version not a string": (policy(statement(), Version=["2012-10-17"]), "Version must be"),
    "id not a string": (policy(statement(), Id=7), "Id must be a string"),
    "no statement": ('{"Version": "2012-10-17"}', "no Statement"),
    "empty statement list": (policy(), "non-empty list of objects"),
    "statement not an object": ('{"Statement": ["x"]}', "non-empty list of objects"),
    "statement a string": ('{"Statement": "x"}', "non-empty list of objects"),
    "unknown statement key": (policy(statement(Effects="Allow")), "unknown element"),
    "lower-case element name": (
        policy({**statement(Effect=None), "effect": "Allow"}),
        "unknown element",
    ),
    "no effect": (policy(statement(Effect=None)), "no Effect"),
    "lower-case effect": (policy(statement(Effect="allow")), "Effect must be Allow or Deny"),
    "effect a list": (policy(statement(Effect=["Allow"])), "Effect must be Allow or Deny"),
    "no action": (policy(statement(Action=None)), "no Action or NotAction"),
    "action and not action": (
        policy(statement(NotAction="secretsmanager:PutSecretValue")),
        "both Action and NotAction",
    ),
    "action empty list": (policy(statement(Action=[])), "non-empty list"),
    "action empty string": (policy(statement(Action="")), "empty string"),
    "action without service": (policy(statement(Action="GetSecretValue")), "service:action"),
    "action with space": (policy(statement(Action="secretsmanager: Get")), "service:action"),
    "action a number": (policy(statement(Action=[7])), "string or a non-empty list"),
    "no principal": (policy(statement(Principal=None)), "no Principal or NotPrincipal"),
    "principal and not principal": (
        policy(statement(NotPrincipal={"AWS": ROLE})),
        "both Principal and NotPrincipal",
    ),
    "principal bare arn": (policy(statement(Principal=ROLE)), 'must be "\\*" or a non-empty'),
    "principal empty object": (policy(statement(Principal={})), "non-empty object"),
    "principal unknown type": (policy(statement(Principal={"User": ROLE})), "may hold only"),
    "principal empty list": (policy(statement(Principal={"AWS": []})), "non-empty list"),
    "principal wildcard arn": (
        policy(statement(Principal={"AWS": "arn:aws:iam::*:root"})),
        "misplaced wildcard",
    ),
    "service wildcard": (policy(statement(Principal={"Service": "*"})), "misplaced wildcard"),
    "principal with space": (
        policy(statement(Principal={"AWS": "arn:aws:iam::123456789012:user/a b"})),
        "space",
    ),
    "resource and not resource": (
        policy(statement(NotResource=SECRET)),
        "both Resource and NotResource",
    ),
    "resource not an arn": (policy(statement(Resource="prod/db")), 'must be "\\*" or an ARN'),
    "resource short arn": (policy(statement(Resource="arn:aws:s3")), 'must be "\\*" or an ARN'),
    "sid not a string": (policy(statement(Sid=1)), "Sid must be a string"),
    "duplicate sid": (
        policy(statement(Sid="Same"), statement(Sid="Same", Effect="Deny")),
        "Statement 2: its Sid is already used",
    ),
    "condition a list": (policy(statement(Condition=[])), "Condition must be an object"),
    "unknown operator": (
        policy(statement(Condition={"StringEqual": {"aws:SourceAccount": "1"}})),
        "unknown operator",
    ),
    "two set prefixes": (
        policy(
            statement(Condition={"ForAllValues:ForAnyValue:StringEquals": {"aws:TagKeys": "a"}})
        ),
        "unknown operator",
    ),
    "null if exists": (
        policy(statement(Condition={"NullIfExists": {"aws:TagKeys": "true"}})),
        "unknown operator",
    ),
    "operator block a string": (
        policy(statement(Condition={"StringEquals": "aws:SourceAccount"})),
        "needs a non-empty object",
    ),
    "operator block empty": (
        policy(statement(Condition={"StringEquals": {}})),
        "needs a non-empty object",
    ),
    "condition key without prefix": (
        policy(statement(Condition={"StringEquals": {"SourceAccount": "1"}})),
        "malformed condition key",
    ),
    "condition value null": (
        policy(statement(Condition={"StringEquals": {"aws:SourceAccount": None}})),
        "Condition value must be",
    ),
    "condition value object": (
        policy(statement(Condition={"StringEquals": {"aws:SourceAccount": {"a": "b"}}})),
        "Condition value must be",
    ),
    "condition value empty list": (
        policy(statement(Condition={"StringEquals": {"aws:SourceAccount": []}})),
        "Condition value must be",
    ),
    "condition value nested list": (
        policy(statement(Condition={"StringEquals": {"aws:SourceAccount": [["1"]]}})),
        "Condition value must be",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_GRAMMAR))
def test_each_grammar_error_is_refused_with_its_reason(name: str) -> None:
    text, reason = BAD_GRAMMAR[name]
    with pytest.raises(PolicyGrammarError, match=reason):
        parse_policy(text)


def test_errors_name_the_statement() -> None:
    with pytest.raises(PolicyGrammarError, match=r"^Statement 3: it has no Effect"):
        parse_policy(policy(statement(), statement(), statement(Effect=None)))


MARKER = "Zq7-secret-looking-user-text"


@pytest.mark.parametrize(
    "text",
    [
        "{" + MARKER,
        json.dumps({MARKER: 1, "Statement": []}),
        policy(statement(**{MARKER: "x"})),
        policy(statement(Version=MARKER)),
        policy(statement(Action=MARKER)),
        policy(statement(Principal={"AWS": MARKER + " x"})),
        policy(statement(Condition={MARKER: {"aws:SourceAccount": "1"}})),
        policy(statement(Condition={"StringEquals": {MARKER: {"v": 1}}})),
    ],
)
def test_error_messages_never_echo_policy_text(text: str) -> None:
    with pytest.raises(PolicyGrammarError) as caught:
        parse_policy(text)
    assert MARKER not in str(caught.value)
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__ or caught.value.__context__ is None
