"""Broad ("public") access: does a resource policy let anyone at all in?

Backs Secrets Manager's BlockPublicPolicy and ValidateResourcePolicy (and, later, KMS key
policies). It follows the rule AWS documents for S3 Block Public Access and IAM Access
Analyzer: an Allow statement is public when its principal is open (`"*"`, `{"AWS": "*"}`
or any NotPrincipal) unless one of its conditions pins the caller to something a single
owner controls (an account, an organization, a VPC, a fixed ARN, a narrow IP range).

Invariants:
- When unsure it answers True: a wildcard, a policy variable, IfExists, ForAllValues or a
  negated operator never counts as a limit. A false "public" costs the caller a retry with
  BlockPublicPolicy off; a false "private" would expose a secret.
- Deny statements are ignored, so a Deny that fences an open Allow does not make the
  policy private (Zelkova, AWS's reasoner, would see that; this check does not).
- It reads a document `document.parse_policy` accepted, but tolerates any dict.
- Pure and stdlib only.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any, Final

# Condition keys (lower case: IAM compares key names case-insensitively) that can limit
# an open principal, each with how its values must look to count as fixed. From the AWS
# list of what makes a policy non-public (S3 "The meaning of public": fixed aws:SourceArn,
# aws:SourceVpc, aws:SourceVpce, aws:SourceOwner, aws:SourceAccount, aws:userid outside
# "AROLEID:*", a set of CIDRs in aws:SourceIp) plus the keys IAM Access Analyzer reports
# as account or organization limits (aws:PrincipalAccount, aws:PrincipalArn,
# aws:PrincipalOrgID, aws:PrincipalOrgPaths, aws:SourceOrgID, aws:SourceOrgPaths,
# kms:CallerAccount).
# aws:username is deliberately absent: a user name is unique only inside one account, so
# "every user called alice" is anyone who creates one (AWS's own example of public).
#   exact:    no wildcard at all
#   arn:      no wildcard, or one only after a literal 12-digit account field
#   userid:   no wildcard, or one only after a literal "UNIQUEID:" (a role's sessions)
#   org_path: no wildcard, or one only after a literal "o-<org id>/"
#   cidr:     an IpAddress range no wider than /8 (IPv4) or /32 (IPv6): our bound
LIMITING_CONDITION_KEYS: Final[dict[str, str]] = {
    "aws:sourceaccount": "exact",
    "aws:sourceowner": "exact",
    "aws:sourcevpc": "exact",
    "aws:sourcevpce": "exact",
    "aws:sourceorgid": "exact",
    "aws:principalaccount": "exact",
    "aws:principalorgid": "exact",
    "kms:calleraccount": "exact",
    "aws:sourcearn": "arn",
    "aws:principalarn": "arn",
    "aws:userid": "userid",
    "aws:principalorgpaths": "org_path",
    "aws:sourceorgpaths": "org_path",
    "aws:sourceip": "cidr",
}

# Positive operators whose match needs the request's value to equal (or match) a listed
# one; "Like" and Arn* wildcards are handled by the value checks.
_MATCHING_OPERATORS: Final = frozenset(
    {"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"}
)
_ANY_VALUE: Final = "ForAnyValue:"
# "${" starts a policy variable, which the request fills in: never a fixed value.
_WILDCARDS: Final = ("*", "?", "${")
_ACCOUNT: Final = re.compile(r"[0-9]{12}")
_ORG_ID: Final = re.compile(r"o-[a-z0-9]{10,32}")
_NARROWEST_PREFIX: Final = {4: 8, 6: 32}


def grants_public_access(document: dict[str, Any]) -> bool:
    """True when some Allow statement opens to every principal without a limiting condition."""
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return False
    return any(isinstance(s, dict) and _is_public(s) for s in statements)


def _is_public(statement: dict[str, Any]) -> bool:
    """An Allow with an open principal and no condition that limits it."""
    if statement.get("Effect") != "Allow" or not _opens_principal(statement):
        return False
    return not _is_limited(statement.get("Condition"))


def _opens_principal(statement: dict[str, Any]) -> bool:
    """Principal "*" or a wildcard in any principal value, or any NotPrincipal at all."""
    if "NotPrincipal" in statement:
        return True  # Allow + NotPrincipal grants everyone but the few it names
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    for entries in principal.values():
        values = entries if isinstance(entries, list) else [entries]
        if any(isinstance(v, str) and _has_wildcard(v) for v in values):
            return True
    return False


def _is_limited(condition: Any) -> bool:
    """Whether any one condition entry limits the caller (entries are ANDed, so one will do)."""
    if not isinstance(condition, dict):
        return False
    for operator, block in condition.items():
        if isinstance(block, dict) and any(
            _entry_limits(operator, key, values) for key, values in block.items()
        ):
            return True
    return False


def _entry_limits(operator: str, key: str, values: Any) -> bool:
    """Whether `operator: {key: values}` pins the caller: a limiting key, a positive
    operator that fails when the key is absent, and every listed value fixed (they are
    ORed, so one loose value opens the entry)."""
    kind = LIMITING_CONDITION_KEYS.get(key.lower())
    base = operator.removeprefix(_ANY_VALUE)
    if kind is None:
        return False
    if kind == "cidr":
        if base != "IpAddress":
            return False
    elif base not in _MATCHING_OPERATORS:
        return False
    items = values if isinstance(values, list) else [values]
    fixed = _FIXED[kind]
    return bool(items) and all(isinstance(v, str) and fixed(v) for v in items)


def _has_wildcard(value: str) -> bool:
    """Whether the value holds a wildcard or a policy variable."""
    return any(w in value for w in _WILDCARDS)


def _is_literal(value: str) -> bool:
    """A non-empty value with no wildcard and no policy variable."""
    return bool(value) and not _has_wildcard(value)


def _literal_head(value: str, separator: str, fields: int) -> list[str] | None:
    """The first `fields` fields, when they and the separator after them are literal.

    A pattern whose head is literal can only match values that start with that head, so
    the head pins whatever it names (an account, a role, an organization).
    """
    parts = value.split(separator, fields)
    if len(parts) <= fields:
        return None
    head = parts[:fields]
    return None if _has_wildcard(separator.join(head)) else head


def _is_fixed_arn(value: str) -> bool:
    """Literal, or a pattern whose account field (the fifth) is a literal account."""
    if _is_literal(value):
        return True
    head = _literal_head(value, ":", 5)
    return head is not None and head[0] == "arn" and bool(_ACCOUNT.fullmatch(head[4]))


def _is_fixed_userid(value: str) -> bool:
    """Literal, or "UNIQUEID:<pattern>" (any session of one role)."""
    if _is_literal(value):
        return True
    head = _literal_head(value, ":", 1)
    return head is not None and bool(head[0])


def _is_fixed_org_path(value: str) -> bool:
    """Literal, or a path pattern whose organization id is literal."""
    if _is_literal(value):
        return True
    head = _literal_head(value, "/", 1)
    return head is not None and bool(_ORG_ID.fullmatch(head[0]))


def _is_narrow_cidr(value: str) -> bool:
    """A valid IP range no wider than the bound for its family."""
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return network.prefixlen >= _NARROWEST_PREFIX[network.version]


_FIXED: Final[dict[str, Callable[[str], bool]]] = {
    "exact": _is_literal,
    "arn": _is_fixed_arn,
    "userid": _is_fixed_userid,
    "org_path": _is_fixed_org_path,
    "cidr": _is_narrow_cidr,
}
