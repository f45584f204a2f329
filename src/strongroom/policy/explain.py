"""Which statements of a policy speak to a request, and what they lack: the policy
simulator's view of one decision.

`explain(policy, request)` walks a policy's statements with evaluation's own tests
(`evaluation.statement_applies` and its parts), so what it reports is what decided:
- a statement *names* the request when its Action/NotAction, Principal/NotPrincipal and
  Resource/NotResource match it; a Resource entry whose policy variable has no value
  counts as naming it, since only the absent key stands in the way;
- it *applies* when, in addition, its Condition holds (exactly when evaluation counts its
  Effect);
- `missing` lists the condition keys it tests and the policy variables (without a default)
  it reads, in its Resource entries and in String, Arn and Bool condition values (the
  only values AWS substitutes), that the request does not carry.

Invariants: pure, stdlib only; it never decides anything itself (`evaluate` does) and never
raises on a request `evaluate` accepts. Statements that do not name the request are left
out: their conditions say nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from strongroom.policy.evaluation import (
    Policy,
    Statement,
    principal_applies,
    resource_applies,
    statement_applies,
)
from strongroom.policy.matching import action_matches
from strongroom.policy.request import Request
from strongroom.policy.variables import required_variables

# Operators whose values take policy variables (conditions._BUILDERS: String*, Arn*, Bool).
_SUBSTITUTING: Final = ("String", "Arn", "Bool")
_SET_PREFIXES: Final = ("ForAllValues:", "ForAnyValue:")


@dataclass(frozen=True, slots=True)
class Finding:
    """One statement that names the request."""

    index: int
    """Its position in `Policy.statements` (0-based)."""
    allow: bool
    applies: bool
    missing: tuple[str, ...]


def explain(
    policy: Policy, request: Request, *, principal_has_boundary: bool = False
) -> tuple[Finding, ...]:
    """The statements of `policy` that name `request`, in order (see the module docstring).

    `principal_has_boundary` is evaluation's flag of the same name (a Deny with
    NotPrincipal applies to every principal that has a permissions boundary).
    """
    findings: list[Finding] = []
    for index, statement in enumerate(policy.statements):
        if not _names(statement, policy, request, principal_has_boundary):
            continue
        findings.append(
            Finding(
                index=index,
                allow=statement.effect_allow,
                applies=statement_applies(statement, policy, request, principal_has_boundary),
                missing=_missing(statement, policy, request),
            )
        )
    return tuple(findings)


def _names(statement: Statement, policy: Policy, request: Request, boundary: bool) -> bool:
    """Action, principal and resource match (an unresolved Resource variable counts)."""
    named = any(action_matches(p, request.action) for p in statement.actions)
    if named == statement.not_action:
        return False
    if statement.principal is not None and not principal_applies(statement, request, boundary):
        return False
    if statement.resources is None or resource_applies(statement, policy, request):
        return True
    return policy.has_variables and any(
        request.values(name) is None
        for text in statement.resources
        for name in required_variables(text)
    )


def _missing(statement: Statement, policy: Policy, request: Request) -> tuple[str, ...]:
    """The keys the statement reads that the request lacks, each once (any case)."""
    wanted: list[str] = []
    for operator, block in (statement.condition or {}).items():
        substitutes = policy.has_variables and _substitutes(operator)
        for key, raw in block.items():
            wanted.append(key)
            if substitutes:
                values = raw if isinstance(raw, tuple) else (raw,)
                for value in values:
                    if isinstance(value, str):
                        wanted.extend(required_variables(value))
    if policy.has_variables:
        for text in statement.resources or ():
            wanted.extend(required_variables(text))
    return _unique(key for key in wanted if request.values(key) is None)


def _substitutes(operator: str) -> bool:
    for prefix in _SET_PREFIXES:
        operator = operator.removeprefix(prefix)
    return operator.startswith(_SUBSTITUTING)


def _unique(keys: Iterable[str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for key in keys:
        if key.lower() not in seen:
            seen.add(key.lower())
            kept.append(key)
    return tuple(kept)


def unique_keys(groups: Iterable[Iterable[str]]) -> tuple[str, ...]:
    """Keys from several findings, each once (key names ignore case), in first-seen order."""
    return _unique(key for group in groups for key in group)
