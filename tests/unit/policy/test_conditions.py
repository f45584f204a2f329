"""Condition elements decided as AWS IAM decides them.

Each case cites the AWS rule it checks, from the IAM User Guide pages "IAM JSON policy
elements: Condition operators" (ops), "Conditions with multiple context keys or values"
(multi), "Single-valued vs. multivalued context keys" and "Multivalued context key
examples" (sets), "IAM policy elements: Variables and tags" (vars) and "IAM JSON policy
elements: Condition" (cond). Cases marked "ours" pin a choice AWS does not document.
"""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.policy.conditions import condition_matches
from strongroom.policy.request import Request


def request(context: dict[str, Any]) -> Request:
    """A request whose context holds `context`: a str is one value, a tuple several."""
    values = {k: (v,) if isinstance(v, str) else v for k, v in context.items()}
    return Request("s3:GetObject", "*", "arn:aws:iam::123456789012:user/alice", "1234", values)


def case(condition: dict[str, Any], context: dict[str, Any], expected: bool, name: str) -> Any:
    return pytest.param(condition, context, expected, id=name)


SOURCE_IP = "aws:SourceIp"
SNS_ARN = "arn:aws:sns:us-west-2:123456789012:TOPIC-ID"
BINARY = "QmluYXJ5VmFsdWVJbkJhc2U2NA=="
# The ARN operators' documented example: a StringLike match that ArnLike refuses.
FINANCE = "arn:aws:someservice:*:111122223333:finance/*"
STORE = "arn:aws:someservice:us-east-2:999999999999:store/abc:111122223333:finance/document.txt"

CASES = [
    # --- String operators -----------------------------------------------------------------
    # cond: "only requests made by john match. Users named John are denied access"
    case({"StringEquals": {"aws:username": "john"}}, {"aws:username": "john"}, True, "eq"),
    case({"StringEquals": {"aws:username": "john"}}, {"aws:username": "John"}, False, "eq-case"),
    # ops: "If the key ... is not present in the request context, the values do not match"
    case({"StringEquals": {"aws:username": "john"}}, {}, False, "eq-absent"),
    # ops: "requires that the key is not matched ... and the right key is not present, the
    # condition is true"
    case({"StringNotEquals": {"aws:username": "john"}}, {}, True, "ne-absent"),
    case({"StringNotEquals": {"aws:username": "john"}}, {"aws:username": "john"}, False, "ne"),
    # multi: several values of one key are ORed ...
    case({"StringEquals": {"k:x": ["a", "b"]}}, {"k:x": "b"}, True, "eq-or"),
    case({"StringEquals": {"k:x": ["a", "b"]}}, {"k:x": "c"}, False, "eq-or-none"),
    # ... and under a negated operator NORed
    case({"StringNotEquals": {"k:x": ["a", "b"]}}, {"k:x": "b"}, False, "ne-nor-one"),
    case({"StringNotEquals": {"k:x": ["a", "b"]}}, {"k:x": "c"}, True, "ne-nor-none"),
    # ops: StringEqualsIgnoreCase "PreProd" resolves to true against preprod
    case(
        {"StringEqualsIgnoreCase": {"aws:RequestTag/environment": ["preprod", "storage"]}},
        {"aws:RequestTag/environment": "PreProd"},
        True,
        "eq-ignore-case",
    ),
    case({"StringEqualsIgnoreCase": {"k:x": "ab"}}, {"k:x": "abc"}, False, "eq-ignore-case-len"),
    case({"StringNotEqualsIgnoreCase": {"k:x": "AB"}}, {"k:x": "ab"}, False, "ne-ignore-case"),
    case({"StringNotEqualsIgnoreCase": {"k:x": "AB"}}, {}, True, "ne-ignore-case-absent"),
    # ops: StringLike "t1.*" table (StringLikeIfExists: t1.micro match, m2.micro no match)
    case(
        {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*"]}},
        {"ec2:InstanceType": "t1.micro"},
        True,
        "like",
    ),
    case(
        {"StringLike": {"ec2:InstanceType": ["t1.*", "t2.*"]}},
        {"ec2:InstanceType": "m2.micro"},
        False,
        "like-no",
    ),
    case({"StringLike": {"ec2:InstanceType": "t1.*"}}, {}, False, "like-absent"),
    # ops: StringLike is "Case-sensitive matching"
    case(
        {"StringLike": {"ec2:InstanceType": "T1.*"}},
        {"ec2:InstanceType": "t1.micro"},
        False,
        "like-case",
    ),
    # ops: "single-character match wildcards (?)"
    case({"StringLike": {"k:x": "t?.micro"}}, {"k:x": "t12.micro"}, False, "like-one-char"),
    # ops: the s3:prefix example lists "" to allow the empty prefix
    case({"StringLike": {"s3:prefix": ["", "home/"]}}, {"s3:prefix": ""}, True, "like-empty"),
    # ops: "You must specify wildcards to achieve partial string matches"
    case({"StringLike": {"k:x": "home"}}, {"k:x": "home/alice"}, False, "like-whole"),
    case({"StringNotLike": {"k:x": "home/*"}}, {"k:x": "home/alice"}, False, "not-like"),
    case({"StringNotLike": {"k:x": "home/*"}}, {"k:x": "work/alice"}, True, "not-like-no"),
    # ops: "such as StringNotLike or ArnNotLike, and the right key is not present ... true"
    case({"StringNotLike": {"k:x": "home/*"}}, {}, True, "not-like-absent"),
    # cond: "Context key names are not case-sensitive ... aws:SourceIP ... AWS:SourceIp"
    case({"StringEquals": {"AWS:USERNAME": "john"}}, {"aws:username": "john"}, True, "key-case"),
    # multi: several keys under one operator are ANDed; several operators are ANDed
    case({"StringEquals": {"k:a": "1", "k:b": "2"}}, {"k:a": "1", "k:b": "3"}, False, "keys-and"),
    case({"StringEquals": {"k:a": "1", "k:b": "2"}}, {"k:a": "1", "k:b": "2"}, True, "keys-and-ok"),
    case(
        {"StringEquals": {"k:a": "1"}, "StringLike": {"k:b": "x*"}},
        {"k:a": "1", "k:b": "y"},
        False,
        "operators-and",
    ),
    # ours (as AWS reads JSON): numbers and booleans in a condition compare as their text
    case({"StringEquals": {"k:x": 10}}, {"k:x": "10"}, True, "json-number-as-text"),
    case({"StringEquals": {"k:x": True}}, {"k:x": "true"}, True, "json-bool-as-text"),
    # --- Numeric ---------------------------------------------------------------------------
    # ops: NumericLessThanEquals s3:max-keys "10": "up to 10 objects"
    case({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "10"}, True, "num-le"),
    case(
        {"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3:max-keys": "11"}, False, "num-le-no"
    ),
    case({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {}, False, "num-absent"),
    # ops: "comparing a key to an integer or decimal value"
    case({"NumericLessThan": {"k:n": "10"}}, {"k:n": "9.5"}, True, "num-decimal"),
    case({"NumericEquals": {"k:n": "10"}}, {"k:n": "10.0"}, True, "num-equal-not-text"),
    case({"NumericGreaterThan": {"k:n": 10}}, {"k:n": "-11"}, False, "num-negative"),
    case({"NumericGreaterThanEquals": {"k:n": "10"}}, {"k:n": "10"}, True, "num-ge"),
    case({"NumericNotEquals": {"k:n": ["1", "2"]}}, {"k:n": "2"}, False, "num-ne-nor"),
    case({"NumericNotEquals": {"k:n": ["1", "2"]}}, {}, True, "num-ne-absent"),
    # ours: a value that is not a number matches nothing
    case({"NumericEquals": {"k:n": "10"}}, {"k:n": "ten"}, False, "num-not-a-number"),
    case({"NumericEquals": {"k:n": "ten"}}, {"k:n": "10"}, False, "num-policy-not-a-number"),
    # ops: Numeric "Policy variables - Not supported": the text stays literal
    case({"NumericEquals": {"k:n": "${k:m}"}}, {"k:n": "5", "k:m": "5"}, False, "num-no-variables"),
    # --- Date ------------------------------------------------------------------------------
    # ops: DateGreaterThan aws:TokenIssueTime "2020-01-01T00:00:01Z"
    case(
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2020-06-01T00:00:00Z"},
        True,
        "date-gt",
    ),
    case(
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"},
        False,
        "date-gt-equal",
    ),
    # ops: "The aws:TokenIssueTime key is present ... only when ... temporary credentials"
    case(
        {"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:01Z"}},
        {},
        False,
        "date-absent",
    ),
    # ops: "W3C implementations of the ISO 8601 date formats or in epoch (UNIX) time"
    case(
        {"DateLessThan": {"aws:EpochTime": "1577836800"}},
        {"aws:EpochTime": "1577836799"},
        True,
        "epoch",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": "1577836800"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
        "epoch-iso",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": 1577836800}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
        "epoch-json",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": "2020-01-01"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
        "date-only",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": "2020-01"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
        "year-month",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": "2020-01-01T01:00+01:00"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00Z"},
        True,
        "offset",
    ),
    case(
        {"DateLessThan": {"aws:CurrentTime": "2020-01-01T00:00:00.5Z"}},
        {"aws:CurrentTime": "2020-01-01T00:00:00.25Z"},
        True,
        "fraction",
    ),
    case(
        {"DateLessThanEquals": {"aws:CurrentTime": "2013-06-30T00:00:00Z"}},
        {"aws:CurrentTime": "2013-06-30T00:00:00Z"},
        True,
        "date-le",
    ),
    case(
        {"DateGreaterThanEquals": {"aws:CurrentTime": "2013-06-30T00:00:00Z"}},
        {"aws:CurrentTime": "2013-06-29T23:59:59Z"},
        False,
        "date-ge",
    ),
    case({"DateNotEquals": {"aws:CurrentTime": "2020-01-01"}}, {}, True, "date-ne-absent"),
    # ours: a date that does not parse (or an impossible one) matches nothing
    case(
        {"DateEquals": {"aws:CurrentTime": "2020-02-30"}},
        {"aws:CurrentTime": "2020-03-01T00:00:00Z"},
        False,
        "date-invalid",
    ),
    case(
        {"DateEquals": {"aws:CurrentTime": "yesterday"}},
        {"aws:CurrentTime": "yesterday"},
        False,
        "date-text",
    ),
    # ops: Date "Policy variables - Not supported"
    case(
        {"DateEquals": {"k:d": "${k:e}"}},
        {"k:d": "2020-01-01", "k:e": "2020-01-01"},
        False,
        "date-no-variables",
    ),
    # --- Bool ------------------------------------------------------------------------------
    # ops: Bool aws:SecureTransport "false": false match, true no match, absent no match
    case(
        {"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True, "bool"
    ),
    case(
        {"Bool": {"aws:SecureTransport": "false"}},
        {"aws:SecureTransport": "true"},
        False,
        "bool-no",
    ),
    case({"Bool": {"aws:SecureTransport": "false"}}, {}, False, "bool-absent"),
    case(
        {"Bool": {"aws:SecureTransport": True}}, {"aws:SecureTransport": "true"}, True, "bool-json"
    ),
    # ours (as Java's Boolean.parseBoolean): case does not matter
    case(
        {"Bool": {"aws:SecureTransport": "TRUE"}},
        {"aws:SecureTransport": "True"},
        True,
        "bool-case",
    ),
    case(
        {"Bool": {"aws:SecureTransport": "yes"}},
        {"aws:SecureTransport": "yes"},
        False,
        "bool-not-bool",
    ),
    # ops: Boolean "Policy variables - Supported"
    case({"Bool": {"k:b": "${k:c}"}}, {"k:b": "true", "k:c": "true"}, True, "bool-variable"),
    # --- Binary ----------------------------------------------------------------------------
    # ops: BinaryEquals table: the same base64 matches, other text does not, absent does not
    case({"BinaryEquals": {"k:bin": BINARY}}, {"k:bin": BINARY}, True, "binary"),
    case(
        {"BinaryEquals": {"k:bin": BINARY}}, {"k:bin": "ASIAIOSFODNN7EXAMPLE"}, False, "binary-no"
    ),
    case({"BinaryEquals": {"k:bin": BINARY}}, {}, False, "binary-absent"),
    case(
        {"BinaryEquals": {"k:bin": "not base64!"}},
        {"k:bin": "not base64!"},
        False,
        "binary-invalid",
    ),
    # --- IP address ------------------------------------------------------------------------
    # ops: IpAddress 203.0.113.0/24: 203.0.113.1 match, 198.51.100.1 no match
    case({"IpAddress": {SOURCE_IP: "203.0.113.0/24"}}, {SOURCE_IP: "203.0.113.1"}, True, "ip"),
    case({"IpAddress": {SOURCE_IP: "203.0.113.0/24"}}, {SOURCE_IP: "198.51.100.1"}, False, "ip-no"),
    case({"IpAddress": {SOURCE_IP: "203.0.113.0/24"}}, {}, False, "ip-absent"),
    # ops: IPv4 and IPv6 ranges mixed in one list
    case(
        {"IpAddress": {SOURCE_IP: ["203.0.113.0/24", "2001:DB8:1234:5678::/64"]}},
        {SOURCE_IP: "2001:db8:1234:5678::99"},
        True,
        "ipv6",
    ),
    case(
        {"IpAddress": {SOURCE_IP: "2001:DB8:1234:5678::/64"}},
        {SOURCE_IP: "2001:db8:1234:5679::1"},
        False,
        "ipv6-no",
    ),
    # ops: "without the associated routing prefix, IAM uses the default prefix value of /32"
    case({"IpAddress": {SOURCE_IP: "203.0.113.7"}}, {SOURCE_IP: "203.0.113.7"}, True, "ip-bare"),
    case(
        {"IpAddress": {SOURCE_IP: "203.0.113.7"}}, {SOURCE_IP: "203.0.113.8"}, False, "ip-bare-no"
    ),
    # ops: NotIpAddress "All IP addresses except the specified ... range", values NORed
    case(
        {"NotIpAddress": {SOURCE_IP: ["203.0.113.0/24", "10.0.0.0/8"]}},
        {SOURCE_IP: "10.1.2.3"},
        False,
        "not-ip",
    ),
    case(
        {"NotIpAddress": {SOURCE_IP: ["203.0.113.0/24", "10.0.0.0/8"]}},
        {SOURCE_IP: "192.0.2.1"},
        True,
        "not-ip-no",
    ),
    case({"NotIpAddress": {SOURCE_IP: "10.0.0.0/8"}}, {}, True, "not-ip-absent"),
    # ours: an address of the other family, or no address, never matches
    case({"IpAddress": {SOURCE_IP: "::/0"}}, {SOURCE_IP: "203.0.113.1"}, False, "ip-family"),
    case({"IpAddress": {SOURCE_IP: "0.0.0.0/0"}}, {SOURCE_IP: "localhost"}, False, "ip-invalid"),
    # --- ARN -------------------------------------------------------------------------------
    # ops: ArnEquals aws:SourceArn table: match, other account no match, absent no match
    case({"ArnEquals": {"aws:SourceArn": SNS_ARN}}, {"aws:SourceArn": SNS_ARN}, True, "arn"),
    case(
        {"ArnEquals": {"aws:SourceArn": SNS_ARN}},
        {"aws:SourceArn": "arn:aws:sns:us-west-2:777788889999:TOPIC-ID"},
        False,
        "arn-account",
    ),
    case({"ArnEquals": {"aws:SourceArn": SNS_ARN}}, {}, False, "arn-absent"),
    # ops: "Each of the six colon-delimited components ... is checked separately": the
    # documented pattern fails under ArnLike and succeeds under StringLike
    case(
        {"ArnLike": {"aws:SourceArn": FINANCE}},
        {"aws:SourceArn": STORE},
        False,
        "arn-components",
    ),
    case(
        {"StringLike": {"aws:SourceArn": FINANCE}},
        {"aws:SourceArn": STORE},
        True,
        "string-like-crosses-colons",
    ),
    # ops: "The ArnEquals and ArnLike condition operators behave identically"
    case(
        {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-*"}},
        {"aws:PrincipalArn": "arn:aws:iam::123:role/admin-x"},
        True,
        "arn-equals-wildcards",
    ),
    case(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/admin-?"}},
        {"aws:PrincipalArn": "arn:aws:iam::123:role/admin-xy"},
        False,
        "arn-like-one",
    ),
    # ops: ARN matching is case-sensitive
    case(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::123:role/Admin"}},
        {"aws:PrincipalArn": "arn:aws:iam::123:role/admin"},
        False,
        "arn-case",
    ),
    # the resource part keeps its own colons
    case(
        {"ArnLike": {"k:a": "arn:aws:logs:*:123:log-group:/app/*"}},
        {"k:a": "arn:aws:logs:eu-west-1:123:log-group:/app/x:*"},
        True,
        "arn-resource-colons",
    ),
    # ops: "such as StringNotLike or ArnNotLike, and the right key is not present ... true"
    case({"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}}, {}, True, "arn-not-absent"),
    case(
        {"ArnNotEquals": {"aws:PrincipalArn": "arn:aws:iam::*:role/x"}},
        {"aws:PrincipalArn": "arn:aws:iam::1:role/x"},
        False,
        "arn-not",
    ),
    # ops: ARN "Policy variables - Supported"
    case(
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:user/${aws:username}"}},
        {"aws:PrincipalArn": "arn:aws:iam::1:user/alice", "aws:username": "alice"},
        True,
        "arn-variable",
    ),
    # ours: a value or pattern that is not six components matches nothing
    case(
        {"ArnLike": {"k:a": "arn:aws:s3:::b"}}, {"k:a": "not-an-arn"}, False, "arn-value-malformed"
    ),
    case({"ArnLike": {"k:a": "*"}}, {"k:a": "arn:aws:s3:::b"}, False, "arn-pattern-malformed"),
    # --- ...IfExists -----------------------------------------------------------------------
    # ops: "If the key is not present, evaluate the condition element as true"
    case({"StringLikeIfExists": {"ec2:InstanceType": "t1.*"}}, {}, True, "if-exists-absent"),
    case(
        {"StringLikeIfExists": {"ec2:InstanceType": "t1.*"}},
        {"ec2:InstanceType": "m2.micro"},
        False,
        "if-exists-present",
    ),
    case({"NumericLessThanIfExists": {"k:n": "5"}}, {}, True, "if-exists-numeric"),
    # ops: "a negated condition operator like StringNotEqualsIfExists, the request is still
    # denied even if the condition key is not present"
    case({"StringNotEqualsIfExists": {"k:x": "a"}}, {}, True, "if-exists-negated-absent"),
    case({"StringNotEqualsIfExists": {"k:x": "a"}}, {"k:x": "a"}, False, "if-exists-negated"),
    # --- Null ------------------------------------------------------------------------------
    # ops: Null "true (the key doesn't exist — it is null) or false (the key exists ...)"
    case({"Null": {"aws:TokenIssueTime": "true"}}, {}, True, "null-true-absent"),
    case(
        {"Null": {"aws:TokenIssueTime": "true"}},
        {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        False,
        "null-true-present",
    ),
    case(
        {"Null": {"aws:TokenIssueTime": "false"}},
        {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"},
        True,
        "null-false-present",
    ),
    case({"Null": {"aws:TokenIssueTime": "false"}}, {}, False, "null-false-absent"),
    case({"Null": {"aws:TokenIssueTime": True}}, {}, True, "null-json-bool"),
    # sets: Null "false" guards against "context keys with empty values"
    case({"Null": {"aws:TagKeys": "false"}}, {"aws:TagKeys": ()}, False, "null-empty"),
    # --- Set operators ---------------------------------------------------------------------
    # multi: ForAllValues: every request value must match at least one policy value
    case(
        {
            "ForAllValues:StringLike": {
                "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]
            }
        },
        {"dynamodb:requestedAttributes": ("PostDateTime", "Message")},
        True,
        "for-all",
    ),
    case(
        {
            "ForAllValues:StringLike": {
                "dynamodb:requestedAttributes": ["PostDateTime", "Message", "Tags"]
            }
        },
        {"dynamodb:requestedAttributes": ("PostDateTime", "UserName")},
        False,
        "for-all-no",
    ),
    # multi: ForAnyValue: any request value matching any policy value
    case(
        {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}},
        {"dynamodb:requestedAttributes": ("UserName", "Message", "PostDateTime")},
        True,
        "for-any",
    ),
    case(
        {"ForAnyValue:StringLike": {"dynamodb:requestedAttributes": ["ID", "PostDateTime"]}},
        {"dynamodb:requestedAttributes": ("UserName",)},
        False,
        "for-any-no",
    ),
    # sets: "The ForAllValues set operator also returns true if there are no context keys"
    case({"ForAllValues:StringEquals": {"aws:TagKeys": "a"}}, {}, True, "for-all-absent"),
    # multi: "an empty data set ... ForAllValues returns true, ... ForAnyValue returns false"
    case(
        {"ForAllValues:StringEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": ()},
        True,
        "for-all-empty",
    ),
    case(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": ()},
        False,
        "for-any-empty",
    ),
    case({"ForAnyValue:StringEquals": {"aws:TagKeys": "a"}}, {}, False, "for-any-absent"),
    # sets: ForAllValues:StringNotLike aws:TagKeys "key1*" table
    case(
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {"aws:TagKeys": ("key1:legal",)},
        False,
        "for-all-not-like-1",
    ),
    case(
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {"aws:TagKeys": ("key1:hr", "key1:personnel")},
        False,
        "for-all-not-like-2",
    ),
    case(
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {"aws:TagKeys": ("key2:audit",)},
        True,
        "for-all-not-like-3",
    ),
    case(
        {"ForAllValues:StringNotLike": {"aws:TagKeys": "key1*"}},
        {},
        True,
        "for-all-not-like-absent",
    ),
    # ops: ForAllValues:StringNotEquals "None of the values ... can match any of the ... values"
    case(
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("x", "y")},
        True,
        "for-all-ne",
    ),
    case(
        {"ForAllValues:StringNotEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("x", "b")},
        False,
        "for-all-ne-no",
    ),
    # ops: ForAnyValue:StringNotEquals "At least one ... value in the request must NOT match"
    case(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("a", "z")},
        True,
        "for-any-ne",
    ),
    case(
        {"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a", "b"]}},
        {"aws:TagKeys": ("a", "b")},
        False,
        "for-any-ne-no",
    ),
    case({"ForAnyValue:StringNotEquals": {"aws:TagKeys": ["a"]}}, {}, False, "for-any-ne-absent"),
    # ops: "ForAnyValue comparison is case sensitive ... Environment instead of environment"
    case(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "environment"}},
        {"aws:TagKeys": ("environment", "costcenter")},
        True,
        "for-any-tags",
    ),
    case(
        {"ForAnyValue:StringEquals": {"aws:TagKeys": "environment"}},
        {"aws:TagKeys": ("Environment",)},
        False,
        "for-any-tags-case",
    ),
    # ops: ForAllValues:ArnLike logs:LogGeneratingResourceArns table
    case(
        {"ForAllValues:ArnLike": {"k:arns": ["arn:aws::cloudfront:123456789012:distribution/*"]}},
        {
            "k:arns": (
                "arn:aws::cloudfront:123456789012:distribution/a",
                "arn:aws::cloudfront:123456789012:distribution/support2025",
            )
        },
        True,
        "for-all-arn",
    ),
    case(
        {"ForAllValues:ArnLike": {"k:arns": ["arn:aws::cloudfront:123456789012:distribution/*"]}},
        {"k:arns": ("arn:aws::cloudfront:777788889999:distribution/costcenter",)},
        False,
        "for-all-arn-no",
    ),
    # ops: ForAllValues:Bool "All of the booleans ... must match"
    case({"ForAllValues:Bool": {"k:b": "true"}}, {"k:b": ("true", "false")}, False, "for-all-bool"),
    case({"ForAnyValue:Bool": {"k:b": "true"}}, {"k:b": ("true", "false")}, True, "for-any-bool"),
    # ops: IfExists on a set operator: a missing key is true
    case({"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": "a"}}, {}, True, "for-any-if-exists"),
    # ours: without a set prefix, a multivalued key matches when any value does, and a
    # negated operator when none does
    case({"StringEquals": {"aws:TagKeys": "a"}}, {"aws:TagKeys": ("a", "b")}, True, "plain-multi"),
    case(
        {"StringNotEquals": {"aws:TagKeys": "a"}},
        {"aws:TagKeys": ("a", "b")},
        False,
        "plain-multi-ne",
    ),
    # --- Policy variables in values --------------------------------------------------------
    # ops: "home/${aws:username}/": martha_rivera matches, no aws:username: no match
    case(
        {"StringLike": {"s3:prefix": ["home/", "home/${aws:username}/"]}},
        {"s3:prefix": "home/martha_rivera/", "aws:username": "martha_rivera"},
        True,
        "var",
    ),
    case(
        {"StringLike": {"s3:prefix": ["home/${aws:username}/"]}},
        {"s3:prefix": "home/nikki_wolf/", "aws:username": "martha_rivera"},
        False,
        "var-other",
    ),
    case(
        {"StringLike": {"s3:prefix": ["home/${aws:username}/"]}},
        {"s3:prefix": "home//"},
        False,
        "var-absent",
    ),
    # vars: "StringEquals or StringLike do not match" a variable with no value ...
    case(
        {"StringEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        {"s3:ExistingObjectTag/Team": ""},
        False,
        "var-null-eq",
    ),
    # ... "Inverted condition operators like StringNotEquals or StringNotLike do match
    # against a null value" (the documented Deny when aws:PrincipalTag/Team is not set)
    case(
        {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        {"s3:ExistingObjectTag/Team": "blue"},
        True,
        "var-null-ne",
    ),
    case(
        {"StringNotEquals": {"s3:ExistingObjectTag/Team": "${aws:PrincipalTag/Team}"}},
        {"s3:ExistingObjectTag/Team": "blue", "aws:PrincipalTag/Team": "blue"},
        False,
        "var-ne-equal",
    ),
    case(
        {"StringNotLike": {"k:x": "${aws:PrincipalTag/Team}*"}},
        {"k:x": "blue"},
        True,
        "var-null-not-like",
    ),
    # vars: "Specifying default values"
    case(
        {"StringEquals": {"k:bucket": "b-${aws:PrincipalTag/team, 'company-wide'}"}},
        {"k:bucket": "b-company-wide"},
        True,
        "var-default",
    ),
    # vars: ${*} "use where you need an * (asterisk) character": literal, no wildcard
    case({"StringLike": {"k:x": "a${*}"}}, {"k:x": "abc"}, False, "var-star-literal"),
    case({"StringLike": {"k:x": "a${*}"}}, {"k:x": "a*"}, True, "var-star"),
    # ours: a substituted value is literal even under StringLike
    case(
        {"StringLike": {"k:x": "${aws:PrincipalTag/p}"}},
        {"k:x": "abc", "aws:PrincipalTag/p": "a*"},
        False,
        "var-value-literal",
    ),
    # vars: "You can't use a policy variable with ... IP Address"
    case(
        {"IpAddress": {SOURCE_IP: "${k:net}"}},
        {SOURCE_IP: "10.0.0.1", "k:net": "10.0.0.0/8"},
        False,
        "var-ip",
    ),
]


@pytest.mark.parametrize(("condition", "context", "expected"), CASES)
def test_condition(condition: dict[str, Any], context: dict[str, Any], expected: bool) -> None:
    assert condition_matches(condition, request(context)) is expected


def test_empty_condition_holds() -> None:
    # cond: the Condition element is optional; an element with no operators imposes nothing
    assert condition_matches({}, request({}))


def test_variables_off_for_the_2008_language() -> None:
    # vars: without Version 2012-10-17 "variables like ${aws:username} are treated as
    # literal strings"
    condition = {"StringEquals": {"k:x": "${aws:username}"}}
    assert condition_matches(condition, request({"k:x": "${aws:username}"}), variables=False)
    assert not condition_matches(
        condition, request({"k:x": "alice", "aws:username": "alice"}), variables=False
    )
    assert condition_matches(condition, request({"k:x": "alice", "aws:username": "alice"}))


@pytest.mark.parametrize(
    "operator",
    [
        "StringEqual",
        "stringequals",
        "NullIfExists",
        "ForAllValues:",
        "ForEveryValue:StringEquals",
        "IfExists",
    ],
)
def test_unknown_operator_is_a_programmer_mistake(operator: str) -> None:
    # parse_policy refuses these, so meeting one here is a bug, never a silent False
    with pytest.raises(ValueError, match="unknown condition operator"):
        condition_matches({operator: {"k:x": "a"}}, request({"k:x": "a"}))


def test_request_rejects_a_string_for_a_tuple() -> None:
    with pytest.raises(TypeError):
        Request("a:b", "*", "p", "1", {"k:x": "abc"})  # type: ignore[dict-item]


def test_request_rejects_keys_differing_only_in_case() -> None:
    with pytest.raises(ValueError):
        Request("a:b", "*", "p", "1", {"k:x": ("a",), "K:X": ("b",)})


def test_request_copies_its_context() -> None:
    context = {"k:x": ("a",)}
    built = Request("a:b", "*", "p", "1", context)
    context["k:y"] = ("b",)
    assert built.values("k:y") is None
    assert built.values("K:x") == ("a",)


# --- Properties -------------------------------------------------------------------------

PLAIN_TEXT = st.text(
    st.characters(blacklist_characters="*?$", blacklist_categories=("Cs",)), max_size=12
)
NEGATIONS = [
    ("StringEquals", "StringNotEquals"),
    ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"),
    ("StringLike", "StringNotLike"),
    ("ArnEquals", "ArnNotEquals"),
    ("ArnLike", "ArnNotLike"),
]


@given(PLAIN_TEXT, PLAIN_TEXT)
def test_string_like_without_wildcards_is_string_equals(pattern: str, value: str) -> None:
    # ops: "You must specify wildcards to achieve partial string matches"
    context = request({"k:x": value})
    like = condition_matches({"StringLike": {"k:x": pattern}}, context)
    assert like is condition_matches({"StringEquals": {"k:x": pattern}}, context)


@given(
    st.sampled_from(NEGATIONS),
    st.lists(st.text(st.sampled_from("arn:aws*?x"), max_size=14), min_size=1, max_size=3),
    st.text(st.sampled_from("arn:awsx"), max_size=14),
    st.booleans(),
)
def test_operator_and_its_negation_partition_a_present_value(
    pair: tuple[str, str], patterns: list[str], value: str, if_exists: bool
) -> None:
    # multi: a negated operator is the NOR of the values its positive twin ORs
    suffix = "IfExists" if if_exists else ""
    positive, negated = (name + suffix for name in pair)
    context = request({"k:x": value})
    assert condition_matches({positive: {"k:x": patterns}}, context) is not condition_matches(
        {negated: {"k:x": patterns}}, context
    )


@given(st.lists(st.integers(-5, 5), min_size=1, max_size=3), st.integers(-5, 5))
def test_numeric_negation_partitions(policy: list[int], value: int) -> None:
    context = request({"k:n": str(value)})
    matches = condition_matches({"NumericEquals": {"k:n": policy}}, context)
    assert matches is (value in policy)
    assert matches is not condition_matches({"NumericNotEquals": {"k:n": policy}}, context)


@given(st.lists(st.integers(0, 5), min_size=1, max_size=3), st.integers(0, 5))
def test_date_negation_partitions(policy: list[int], value: int) -> None:
    # epoch seconds in the policy, ISO 8601 in the request: one instant either way
    instant = datetime.fromtimestamp(1_600_000_000 + value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    epochs = [str(1_600_000_000 + p) for p in policy]
    context = request({"aws:CurrentTime": instant})
    matches = condition_matches({"DateEquals": {"aws:CurrentTime": epochs}}, context)
    assert matches is (value in policy)
    assert matches is not condition_matches({"DateNotEquals": {"aws:CurrentTime": epochs}}, context)


@given(st.ip_addresses(), st.ip_addresses(), st.integers(0, 128))
def test_ip_address_and_not_ip_address_partition(address: Any, base: Any, prefix: int) -> None:
    network = ipaddress.ip_network(f"{base}/{min(prefix, base.max_prefixlen)}", strict=False)
    context = request({SOURCE_IP: str(address)})
    inside = condition_matches({"IpAddress": {SOURCE_IP: str(network)}}, context)
    assert inside is (address.version == network.version and address in network)
    assert inside is not condition_matches({"NotIpAddress": {SOURCE_IP: str(network)}}, context)


@given(
    st.sampled_from(["StringEquals", "StringLike", "NumericEquals", "Bool", "ArnLike", "IpAddress"])
)
def test_positive_false_negated_true_if_exists_true_when_absent(name: str) -> None:
    # ops: the missing-key rule "applies to all condition operators except ...IfExists and Null"
    empty = request({})
    negated = {"StringEquals": "StringNotEquals", "StringLike": "StringNotLike",
               "NumericEquals": "NumericNotEquals", "ArnLike": "ArnNotLike",
               "IpAddress": "NotIpAddress"}.get(name)  # fmt: skip
    assert not condition_matches({name: {"k:x": "1"}}, empty)
    assert condition_matches({name + "IfExists": {"k:x": "1"}}, empty)
    assert condition_matches({f"ForAllValues:{name}": {"k:x": "1"}}, empty)
    assert not condition_matches({f"ForAnyValue:{name}": {"k:x": "1"}}, empty)
    if negated:
        assert condition_matches({negated: {"k:x": "1"}}, empty)


@given(
    st.sampled_from(["StringEquals", "StringNotEquals", "StringLike", "StringNotLike"]),
    PLAIN_TEXT,
    PLAIN_TEXT,
)
def test_set_prefixes_agree_with_the_plain_operator_on_one_value(
    name: str, pattern: str, value: str
) -> None:
    # sets: with one request value, "every" and "any" are the same question
    context = request({"k:x": value})
    plain = condition_matches({name: {"k:x": pattern}}, context)
    assert condition_matches({f"ForAllValues:{name}": {"k:x": pattern}}, context) is plain
    assert condition_matches({f"ForAnyValue:{name}": {"k:x": pattern}}, context) is plain


@given(PLAIN_TEXT, st.text(st.sampled_from("aAbB:/"), min_size=1, max_size=8))
def test_key_names_ignore_case(value: str, key: str) -> None:
    # cond: "Context key names are not case-sensitive"
    context = request({"k:" + key: value})
    assert condition_matches({"StringEquals": {"K:" + key.swapcase(): value}}, context)
