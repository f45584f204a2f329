"""One simulated request decided by the enforcing engine, and its answer as AWS shapes it
(`EvaluationResult`, `ResourceSpecificResult`).

The decision is `policy.evaluate` on the simulation's policies: nothing here decides.
What the answer adds is read from the same statements by `policy.explain`:
- `MatchedStatements`: for an explicit deny, every Deny statement that applies (identity,
  resource or boundary policy); when allowed, every Allow statement that applies in the
  identity and resource policies; for an implicit deny, none (no statement decided it);
- `MissingContextValues`: the keys that statements naming the request test and the
  context lacks;
- `PermissionsBoundaryDecisionDetail`, when a boundary is set: whether it allows;
- `EvalDecisionDetails`, for a specific resource: empty in the caller's account; across
  accounts, the caller's side ("IAM Policy": identity policies within the boundary) and
  the resource's ("Resource Policy"), each "allowed", "explicitDeny" or "implicitDeny".
A ResourcePolicy simulated for a `kms:` action is a key policy, and for `sts:AssumeRole*`
a trust policy: it must allow, as KMS and STS enforce (`PolicySet.resource_required`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from strongroom.policy import Decision, PolicySet, Request, evaluate, statements_decide
from strongroom.policy.explain import Finding, explain, unique_keys
from strongroom.services.iam.simulation_inputs import SourcePolicy

DECISIONS: Final = {
    Decision.ALLOW: "allowed",
    Decision.EXPLICIT_DENY: "explicitDeny",
    Decision.IMPLICIT_DENY: "implicitDeny",
}
_RESOURCE_POLICY_REQUIRED: Final = ("kms:", "sts:assumerole")


@dataclass(frozen=True, slots=True)
class Simulation:
    """Everything one simulation decides with; the same for each action and resource."""

    identity: Sequence[SourcePolicy]
    boundary: Sequence[SourcePolicy] | None
    resource: SourcePolicy | None
    principal_arn: str
    principal_account: str
    context: Mapping[str, tuple[str, ...]]
    resource_owner: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The decision on one action and resource, and what explains it."""

    decision: Decision
    matched: list[dict[str, Any]]
    missing: tuple[str, ...]
    boundary_allows: bool | None
    details: dict[str, str] | None
    """None in the caller's account; the two sides' decisions across accounts."""


def decide(simulation: Simulation, action: str, resource: str) -> Outcome:
    """Decide `action` on `resource` and explain the decision (see the module docstring)."""
    s = simulation
    request = Request(action, resource, s.principal_arn, s.principal_account, s.context)
    owner = _owner(s, resource)
    policies = PolicySet(
        identity=tuple(p.policy for p in s.identity),
        resource=s.resource.policy if s.resource else None,
        boundary=None if s.boundary is None else tuple(p.policy for p in s.boundary),
        resource_required=s.resource is not None
        and action.lower().startswith(_RESOURCE_POLICY_REQUIRED),
        resource_account=owner,
    )
    decision = evaluate(policies, request).decision
    bounded = s.boundary is not None
    sources = [(p, False) for p in (*s.identity, *([s.resource] if s.resource else []))]
    sources += [(p, True) for p in s.boundary or ()]
    found = [
        (p, is_boundary, explain(p.policy, request, principal_has_boundary=bounded))
        for p, is_boundary in sources
    ]
    return Outcome(
        decision=decision,
        matched=_matched(decision, found),
        missing=unique_keys(f.missing for _, _, findings in found for f in findings),
        boundary_allows=None if s.boundary is None else _boundary_allows(s.boundary, request),
        details=None if owner == s.principal_account else _sides(s, request),
    )


def _owner(simulation: Simulation, resource: str) -> str:
    """The resource's account: its ARN's, else ResourceOwner, else the caller's."""
    parts = resource.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[4]:
        return parts[4]
    return simulation.resource_owner or simulation.principal_account


def _matched(
    decision: Decision, found: list[tuple[SourcePolicy, bool, tuple[Finding, ...]]]
) -> list[dict[str, Any]]:
    """The statements that decided: applying Denies, or applying Allows outside the
    boundary (which only limits); none for an implicit deny."""
    if decision is Decision.IMPLICIT_DENY:
        return []
    deny = decision is Decision.EXPLICIT_DENY
    return [
        _statement(source, finding)
        for source, is_boundary, findings in found
        if deny or not is_boundary
        for finding in findings
        if finding.applies and finding.allow != deny
    ]


def _statement(source: SourcePolicy, finding: Finding) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "SourcePolicyId": source.source_id,
        "SourcePolicyType": source.source_type,
    }
    if finding.index < len(source.spans):
        (line, column), (end_line, end_column) = source.spans[finding.index]
        statement["StartPosition"] = {"Line": line, "Column": column}
        statement["EndPosition"] = {"Line": end_line, "Column": end_column}
    return statement


def _boundary_allows(boundary: Sequence[SourcePolicy], request: Request) -> bool:
    decisions = [
        statements_decide(p.policy, request, principal_has_boundary=True) for p in boundary
    ]
    return Decision.ALLOW in decisions and Decision.EXPLICIT_DENY not in decisions


def _sides(simulation: Simulation, request: Request) -> dict[str, str]:
    """Across accounts: what the caller's account allows, and what the resource's does."""
    s = simulation
    caller_side = PolicySet(
        identity=tuple(p.policy for p in s.identity),
        boundary=None if s.boundary is None else tuple(p.policy for p in s.boundary),
        resource_account=s.principal_account,
    )
    resource_side = Decision.IMPLICIT_DENY
    if s.resource is not None:
        resource_side = statements_decide(
            s.resource.policy, request, principal_has_boundary=s.boundary is not None
        )
    return {
        "IAM Policy": DECISIONS[evaluate(caller_side, request).decision],
        "Resource Policy": DECISIONS[resource_side],
    }
