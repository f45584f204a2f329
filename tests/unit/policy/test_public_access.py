"""Broad-access detection: open principals are public unless a fixed condition limits them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from strongroom.policy.document import parse_policy
from strongroom.policy.public_access import LIMITING_CONDITION_KEYS, grants_public_access

ROLE = "arn:aws:iam::123456789012:role/app"


def allow(principal: Any = "*", condition: dict[str, Any] | None = None, **extra: Any) -> Any:
    """One Allow statement on GetSecretValue, parsed through the grammar check."""
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Action": "secretsmanager:GetSecretValue",
        "Resource": "*",
        **extra,
    }
    if "NotPrincipal" not in extra:
        statement["Principal"] = principal
    if condition is not None:
        statement["Condition"] = condition
    return statement


def public(*statements: dict[str, Any]) -> bool:
    """Parse a policy of `statements` (so each case is valid grammar) and judge it."""
    text = json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
    return grants_public_access(parse_policy(text))


OPEN_PRINCIPALS = {
    "star": "*",
    "aws star": {"AWS": "*"},
    "aws list with star": {"AWS": [ROLE, "*"]},
    "aws star next to a service": {"AWS": "*", "Service": "lambda.amazonaws.com"},
}


@pytest.mark.parametrize("name", sorted(OPEN_PRINCIPALS))
def test_open_principal_without_condition_is_public(name: str) -> None:
    assert public(allow(OPEN_PRINCIPALS[name]))


def test_allow_with_not_principal_is_public() -> None:
    assert public(allow(NotPrincipal={"AWS": ROLE}))


FIXED_PRINCIPALS = {
    "role": {"AWS": ROLE},
    "account id": {"AWS": "123456789012"},
    "account root list": {"AWS": ["arn:aws:iam::111122223333:root", ROLE]},
    "service": {"Service": "lambda.amazonaws.com"},
}


@pytest.mark.parametrize("name", sorted(FIXED_PRINCIPALS))
def test_fixed_principal_is_not_public(name: str) -> None:
    assert not public(allow(FIXED_PRINCIPALS[name]))


def test_deny_statements_are_never_public() -> None:
    assert not public({"Effect": "Deny", "Principal": "*", "Action": "*"})
    assert not public({"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "*"})


def test_one_public_statement_makes_the_policy_public() -> None:
    assert public(allow({"AWS": ROLE}), allow("*"))


LIMITING = {
    "source account": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
    "principal account": {
        "StringEquals": {"aws:PrincipalAccount": ["111122223333", "444455556666"]}
    },
    "org id": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    "org id any value": {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    "org id ignore case": {"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    "key name in other case": {"StringEquals": {"AWS:SOURCEACCOUNT": "123456789012"}},
    "literal like": {"StringLike": {"aws:SourceVpce": "vpce-1a2b3c4d"}},
    "source vpc": {"StringEquals": {"aws:SourceVpc": "vpc-1a2b3c4d"}},
    "source owner": {"StringEquals": {"aws:SourceOwner": "123456789012"}},
    "source org id": {"StringEquals": {"aws:SourceOrgID": "o-a1b2c3d4e5"}},
    "source arn": {"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:123456789012:topic"}},
    "principal arn in one account": {
        "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:role/app-*"}
    },
    "principal arn string like in one account": {
        "StringLike": {"aws:PrincipalArn": "arn:aws:iam::123456789012:*"}
    },
    "userid of one role": {"StringLike": {"aws:userid": "AROAEXAMPLEROLEID:*"}},
    "org path": {
        "ForAnyValue:StringLike": {
            "aws:PrincipalOrgPaths": "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*"
        }
    },
    "narrow ipv4": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "198.51.100.7"]}},
    "narrow ipv6": {"IpAddress": {"aws:SourceIp": "2001:db8::/48"}},
    "kms caller account": {
        "StringEquals": {
            "kms:CallerAccount": "111122223333",
            "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com",
        }
    },
    "one limit among loose ones": {
        "Bool": {"aws:SecureTransport": "true"},
        "StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"},
    },
}


@pytest.mark.parametrize("name", sorted(LIMITING))
def test_open_principal_with_a_fixed_limit_is_not_public(name: str) -> None:
    assert not public(allow("*", LIMITING[name]))
    assert not public(allow(NotPrincipal={"AWS": ROLE}, condition=LIMITING[name]))


NOT_LIMITING = {
    "unrelated key": {"Bool": {"aws:SecureTransport": "true"}},
    "via service alone": {
        "StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}
    },
    "user name is not unique": {"StringEquals": {"aws:username": "alice"}},
    "star": {"StringLike": {"aws:PrincipalOrgID": "*"}},
    "star in equals": {"StringEquals": {"aws:SourceAccount": "*"}},
    "partial wildcard": {"StringLike": {"aws:SourceAccount": "1234*"}},
    "question mark": {"StringLike": {"aws:SourceVpce": "vpce-????????"}},
    "one wildcard among fixed values": {
        "StringEquals": {"aws:PrincipalAccount": ["111122223333", "*"]}
    },
    "policy variable": {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    "arn variable": {"ArnEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}},
    "arn any account": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/app"}},
    "arn wildcard before account": {
        "StringLike": {"aws:PrincipalArn": "arn:*:iam::123456789012:role/app"}
    },
    "arn without account": {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::bucket-*"}},
    "userid wildcard id": {"StringLike": {"aws:userid": "*:alice"}},
    "org path any org": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-*/r-ab12/*"}},
    "if exists": {"StringEqualsIfExists": {"aws:SourceAccount": "123456789012"}},
    "for all values": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}},
    "negated": {"StringNotEquals": {"aws:SourceAccount": "123456789012"}},
    "null check": {"Null": {"aws:SourceAccount": "false"}},
    "boolean value": {"StringEquals": {"aws:SourceAccount": True}},
    "number value": {"StringEquals": {"aws:SourceAccount": 123456789012}},
    "whole internet": {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}},
    "half the internet": {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "0.0.0.0/1"]}},
    "wide ipv6": {"IpAddress": {"aws:SourceIp": "2000::/3"}},
    "not ip address": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}},
    "ip with string operator": {"StringEquals": {"aws:SourceIp": "203.0.113.7"}},
    "bad cidr": {"IpAddress": {"aws:SourceIp": "not-an-ip"}},
    "ip operator on account": {"IpAddress": {"aws:SourceAccount": "123456789012"}},
}


@pytest.mark.parametrize("name", sorted(NOT_LIMITING))
def test_open_principal_with_a_loose_condition_is_still_public(name: str) -> None:
    assert public(allow("*", NOT_LIMITING[name]))


def test_limiting_keys_are_lower_case_with_known_kinds() -> None:
    assert all(key == key.lower() for key in LIMITING_CONDITION_KEYS)
    assert set(LIMITING_CONDITION_KEYS.values()) == {"exact", "arn", "userid", "org_path", "cidr"}
    assert "aws:username" not in LIMITING_CONDITION_KEYS


def test_tolerates_a_single_statement_object_and_odd_shapes() -> None:
    assert grants_public_access({"Statement": {"Effect": "Allow", "Principal": "*"}})
    assert not grants_public_access({})
    assert not grants_public_access({"Statement": "x"})
    assert not grants_public_access({"Statement": ["x", {"Effect": "Allow"}]})
    # Shapes the grammar refuses still count as open rather than crash or pass.
    partial = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::*:root"}}
    assert grants_public_access({"Statement": [partial]})
    assert grants_public_access({"Statement": [{**partial, "Condition": "x"}]})
