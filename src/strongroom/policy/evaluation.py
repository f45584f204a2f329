"""Compiled policies and AWS's decision: may this request go ahead, and if not, why?

AWS's rules (IAM User Guide, "Policy evaluation logic", "Permissions boundaries for IAM
entities", "Session policies", "Cross-account policy evaluation logic"):
1. An explicit Deny in any applicable policy (identity, resource, boundary, session)
   wins. A resource policy's Deny with NotPrincipal denies every principal that has a
   permissions boundary, whatever it lists (documented in "Permissions boundaries").
2. Same account: the account root user is allowed. Otherwise an Allow in the identity
   policies OR the resource policy suffices, but
   - a boundary (when set) and a session policy (when set) must also allow what the
     identity policies allow; a federated-user session with no session policy gets
     nothing from its identity policies;
   - a resource policy naming the caller directly (user, role session or federated-user
     ARN, "*", the calling service) is not limited by those implicit denies; naming the
     session's role ARN is limited by boundary and session policy (not by identity
     policies); naming the account only delegates to the identity policies.
   - `resource_required` (KMS key policies, role trust policies) means the resource
     policy must allow even then: an account grant there lets identity policies work.
3. Cross-account (resource ARN's account differs from the caller's): the caller's
   account must allow (identity policies, boundary, session) AND the resource policy
   must name the caller in any way.
`Verdict.denied_by` names the policy type for AWS's AccessDenied wording; when several
types deny, AWS names one: here the first of identity, resource, boundary, session.

Invariants: `Policy` is built once from `parse_policy`'s dict (Statement as one object or
a list, strings or lists: always tuples here) and never changes; evaluation is pure,
stdlib only, and never allows what no Allow statement grants (except the root user).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from strongroom.policy.conditions import condition_matches
from strongroom.policy.matching import (
    Grant,
    PrincipalElement,
    action_matches,
    not_principal_applies,
    principal_grant,
    resource_pattern,
)
from strongroom.policy.request import Request
from strongroom.policy.variables import variable_names

_VARIABLES_VERSION: Final = "2012-10-17"  # the only policy language with variables
_SERVICE_KEY: Final = "aws:PrincipalServiceName"
_READ_BY_MATCHING: Final = frozenset({_SERVICE_KEY.lower(), "aws:federatedprovider"})
"""Condition keys principal matching reads whatever the policy says (`matching`)."""


class Decision(enum.Enum):
    """The outcome of evaluating policies for one request."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True, slots=True)
class Verdict:
    """A decision and, for a deny, which policy type denied (None when allowed)."""

    decision: Decision
    denied_by: str | None = None  # "identity", "resource", "boundary" or "session"
    principal_arn: str | None = field(default=None, compare=False)
    """Who was refused, as AWS's message names it (a user's ARN with its path), when the
    decider knows better than the caller's credentials say."""

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW


@dataclass(frozen=True, slots=True, eq=False)
class Statement:
    """One statement, normalized: every list element is a tuple, None when absent."""

    effect_allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    principal: PrincipalElement | None
    not_principal: bool
    condition: Mapping[str, Mapping[str, Any]] | None
    sid: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """A compiled policy document: immutable, safe to cache and share."""

    statements: tuple[Statement, ...]
    version: str | None = None
    policy_id: str | None = None
    request_keys: frozenset[str] = field(init=False, repr=False)
    """The condition keys (lowercased) whose values can change this policy's decisions: its
    conditions' keys, the keys its variables read (2012-10-17) and those principal matching
    reads. Two requests that differ only in other keys get the same decision from it."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "request_keys", _request_keys(self))

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> Policy:
        """Compile a document that `parse_policy` accepted."""
        raw = document["Statement"]
        statements = (raw,) if isinstance(raw, Mapping) else tuple(raw)
        return cls(
            statements=tuple(_statement(s) for s in statements),
            version=document.get("Version"),
            policy_id=document.get("Id"),
        )

    @property
    def has_variables(self) -> bool:
        """Whether `${...}` is a policy variable here (2012-10-17) or literal text."""
        return self.version == _VARIABLES_VERSION


def _request_keys(policy: Policy) -> frozenset[str]:
    names = set(_READ_BY_MATCHING)
    variables = policy.has_variables
    for statement in policy.statements:
        for entries in (statement.condition or {}).values():
            for key, values in entries.items():
                names.add(key.lower())
                if variables:
                    for value in values if isinstance(values, tuple) else (values,):
                        if isinstance(value, str):
                            names |= variable_names(value)
        if variables:
            for resource in statement.resources or ():
                names |= variable_names(resource)
    return frozenset(names)


def _statement(raw: Mapping[str, Any]) -> Statement:
    action_key = "Action" if "Action" in raw else "NotAction"
    resource_key = "Resource" if "Resource" in raw else "NotResource"
    principal_key = "Principal" if "Principal" in raw else "NotPrincipal"
    condition = raw.get("Condition")
    return Statement(
        effect_allow=raw["Effect"] == "Allow",
        actions=_strings(raw[action_key]),
        not_action=action_key == "NotAction",
        resources=_strings(raw[resource_key]) if resource_key in raw else None,
        not_resource=resource_key == "NotResource",
        principal=_principal(raw[principal_key]) if principal_key in raw else None,
        not_principal=principal_key == "NotPrincipal",
        condition=_frozen_condition(condition) if condition else None,
        sid=raw.get("Sid"),
    )


def _strings(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _principal(value: Any) -> PrincipalElement:
    if isinstance(value, str):
        return value
    return MappingProxyType({kind: _strings(entries) for kind, entries in value.items()})


def _frozen_condition(block: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    return MappingProxyType(
        {
            operator: MappingProxyType(
                {key: tuple(v) if isinstance(v, list) else v for key, v in keys.items()}
            )
            for operator, keys in block.items()
        }
    )


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Every policy that applies to one request.

    `boundary` / `session` None means none is set (no limit); an empty tuple is set
    and allows nothing. `resource_account` defaults to the account in the resource ARN.
    """

    identity: Sequence[Policy] = ()
    resource: Policy | None = None
    boundary: Sequence[Policy] | None = None
    session: Sequence[Policy] | None = None
    is_root: bool = False
    resource_required: bool = False
    resource_account: str | None = None


def statements_decide(
    policy: Policy, request: Request, *, principal_has_boundary: bool = False
) -> Decision:
    """Within one policy: a matching Deny wins, else a matching Allow, else implicit deny."""
    allowed = False
    for statement in policy.statements:
        if statement.effect_allow and allowed:
            continue
        if statement_applies(statement, policy, request, principal_has_boundary):
            if not statement.effect_allow:
                return Decision.EXPLICIT_DENY
            allowed = True
    return Decision.ALLOW if allowed else Decision.IMPLICIT_DENY


def statement_applies(
    statement: Statement, policy: Policy, request: Request, boundary: bool
) -> bool:
    """Whether every element of the statement matches the request (cheapest first)."""
    named = any(action_matches(p, request.action) for p in statement.actions)
    if named == statement.not_action:
        return False
    if statement.principal is not None and not principal_applies(statement, request, boundary):
        return False
    if statement.resources is not None and not resource_applies(statement, policy, request):
        return False
    if statement.condition is None:
        return True
    return condition_matches(statement.condition, request, variables=policy.has_variables)


def principal_applies(statement: Statement, request: Request, boundary: bool) -> bool:
    assert statement.principal is not None
    if not statement.not_principal:
        return principal_grant(statement.principal, request) is not None
    if boundary and not statement.effect_allow:
        return True  # AWS: Deny + NotPrincipal always denies a principal with a boundary
    return not_principal_applies(statement.principal, request, deny=not statement.effect_allow)


def resource_applies(statement: Statement, policy: Policy, request: Request) -> bool:
    """Resource/NotResource; an entry whose variable has no value voids the statement."""
    assert statement.resources is not None
    named = False
    for text in statement.resources:
        if text == "*":
            named = True
            continue
        pattern = resource_pattern(text, request, variables=policy.has_variables)
        if pattern is None:
            return False  # AWS: the unresolvable variable makes the statement invalid
        named = named or pattern.matches(request.resource)
    return named != statement.not_resource


def _resource_grant(policy: Policy, request: Request) -> Grant | None:
    """The most direct way any applicable Allow statement names the caller."""
    best: Grant | None = None
    for statement in policy.statements:
        if not statement.effect_allow or statement.principal is None:
            continue  # a resource policy grants only to principals it names
        if not statement_applies(statement, policy, request, False):
            continue
        grant = (
            Grant.DIRECT  # everyone but the listed principals, like "*"
            if statement.not_principal
            else principal_grant(statement.principal, request)
        )
        if grant is not None and (best is None or grant > best):
            best = grant
    return best


def evaluate(policies: PolicySet, request: Request) -> Verdict:
    """AWS's decision for `request` under `policies` (see the module docstring)."""
    decided = _decide_all(policies, request)
    for kind, decisions in decided.items():
        if Decision.EXPLICIT_DENY in decisions:
            return Verdict(Decision.EXPLICIT_DENY, kind)
    grant = _resource_grant(policies.resource, request) if policies.resource else None
    if request.values(_SERVICE_KEY) is not None:  # a service has no identity policies
        return _verdict(None if grant is not None else "resource")
    if _cross_account(policies, request):
        caller_side = _identity_side(policies, request, decided)
        return _verdict(caller_side or (None if grant is not None else "resource"))
    if grant is Grant.DIRECT:
        return _verdict(None)
    if grant is Grant.ROLE:
        return _verdict(_limits(policies, request, decided))
    if policies.resource_required and grant is None:
        return _verdict("resource")
    return _verdict(_identity_side(policies, request, decided))


def _verdict(denied_by: str | None) -> Verdict:
    if denied_by is None:
        return Verdict(Decision.ALLOW)
    return Verdict(Decision.IMPLICIT_DENY, denied_by)


def _decide_all(policies: PolicySet, request: Request) -> dict[str, list[Decision]]:
    """Each policy's own decision, once, by type in AWS's message order."""
    has_boundary = policies.boundary is not None
    groups: dict[str, Sequence[Policy]] = {
        "identity": policies.identity,
        "resource": (policies.resource,) if policies.resource else (),
        "boundary": policies.boundary or (),
        "session": policies.session or (),
    }
    return {
        kind: [statements_decide(p, request, principal_has_boundary=has_boundary) for p in group]
        for kind, group in groups.items()
    }


def _identity_side(
    policies: PolicySet, request: Request, decided: dict[str, list[Decision]]
) -> str | None:
    """What the caller's own account allows: None, or the policy type that does not."""
    if policies.is_root:
        return None
    if Decision.ALLOW not in decided["identity"]:
        return "identity"
    return _limits(policies, request, decided)


def _limits(
    policies: PolicySet, request: Request, decided: dict[str, list[Decision]]
) -> str | None:
    """The boundary and session policy, each when set, must allow; None when they do."""
    if policies.boundary is not None and Decision.ALLOW not in decided["boundary"]:
        return "boundary"
    if policies.session is not None:
        return None if Decision.ALLOW in decided["session"] else "session"
    # AWS: a federated-user session passed no session policy has no permissions of its own.
    return "session" if ":federated-user/" in request.principal_arn else None


def _cross_account(policies: PolicySet, request: Request) -> bool:
    account = policies.resource_account
    if account is None:
        parts = request.resource.split(":", 5)
        account = parts[4] if len(parts) == 6 and parts[0] == "arn" else ""
    return account != "" and account != request.principal_account


_EXPLICIT: Final = {
    "identity": "an identity-based policy",
    "resource": "a resource-based policy",
    "boundary": "a permissions boundary",
    "session": "a session policy",
}
_IMPLICIT: Final = {
    "identity": "no identity-based policy",
    "resource": "no resource-based policy",
    "boundary": "no permissions boundary",
    "session": "no session policy",
}


def access_denied_message(principal_arn: str, action: str, resource: str, verdict: Verdict) -> str:
    """AWS's AccessDenied message for a denied verdict (IAM "Troubleshoot access denied")."""
    if verdict.allowed:
        raise ValueError("an allowed request has no access-denied message")
    message = (
        f"User: {principal_arn} is not authorized to perform: {action} on resource: {resource}"
    )
    if verdict.denied_by is None:
        return message
    if verdict.decision is Decision.EXPLICIT_DENY:
        return f"{message} with an explicit deny in {_EXPLICIT[verdict.denied_by]}"
    return f"{message} because {_IMPLICIT[verdict.denied_by]} allows the {action} action"
