"""IAM's policy simulator: SimulatePrincipalPolicy and SimulateCustomPolicy.

Each action is decided on each resource by the engine that enforces (`simulation_results`):
- SimulatePrincipalPolicy simulates a user, group or role: the policies the authorizer
  gathers for it (a user's groups' included) and its permissions boundary, plus any
  `PolicyInputList`; a `PermissionsBoundaryPolicyInputList` replaces its boundary. Its
  requests carry the condition keys the enforcing path gives it (`simulation_principal`);
  with `CallerArn` the caller is that user instead (its keys when it is one of the
  account's users, none otherwise), holding the source's policies.
- SimulateCustomPolicy simulates only the policies it is given, for `CallerArn` (or no
  one in particular): no principal keys are added.
`ContextEntries` are added to (and override) the principal's keys. A `ResourcePolicy` needs
a caller it can name: `CallerArn`, or a user as PolicySourceArn.

Answers are paged (`MaxItems`, default 100; `Marker`): one `EvaluationResult` per action
and resource, in ActionNames order then ResourceArns order, or with an EC2
`ResourceHandlingOption` one per action over all the resources. A marker is the position
of the next result, as text: it reveals nothing the request did not say.

Authorization comes first: `iam:SimulatePrincipalPolicy` on PolicySourceArn as given,
`iam:SimulateCustomPolicy` on "*". Nothing is stored or changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from strongroom.errors import InvalidInputException
from strongroom.policy import Decision
from strongroom.services.caller import Caller
from strongroom.services.iam.paging import DEFAULT_MAX_ITEMS
from strongroom.services.iam.records import USER
from strongroom.services.iam.service import Iam, Operation
from strongroom.services.iam.simulation_inputs import (
    SourcePolicy,
    action_names,
    caller_arn,
    context_entries,
    input_policies,
    resource_arns,
    resource_owner,
    resource_policy,
)
from strongroom.services.iam.simulation_principal import (
    keys_of,
    policies_of,
    source_entity,
    user_named,
)
from strongroom.services.iam.simulation_results import DECISIONS, Outcome, Simulation, decide

_NETWORK = ("instance", "image", "security-group", "network-interface")
SCENARIOS: Final = {
    "EC2-VPC-InstanceStore": _NETWORK,
    "EC2-VPC-InstanceStore-Subnet": (*_NETWORK, "subnet"),
    "EC2-VPC-EBS": (*_NETWORK, "volume"),
    "EC2-VPC-EBS-Subnet": (*_NETWORK, "subnet", "volume"),
}
"""ResourceHandlingOption -> the EC2 resource types its resources must include."""


def simulate_principal_policy(
    iam: Iam,
    caller: Caller,
    *,
    PolicySourceArn: str,
    ActionNames: list[str],
    PolicyInputList: list[str] | None = None,
    PermissionsBoundaryPolicyInputList: list[str] | None = None,
    ResourceArns: list[str] | None = None,
    ResourcePolicy: str | None = None,
    ResourceOwner: str | None = None,
    CallerArn: str | None = None,
    ContextEntries: list[dict[str, Any]] | None = None,
    ResourceHandlingOption: str | None = None,
    MaxItems: int | None = None,
    Marker: str | None = None,
) -> dict[str, Any]:
    """Simulate the policies of a user, group or role (see the module docstring)."""
    caller.authorize("iam:SimulatePrincipalPolicy", PolicySourceArn)
    record = source_entity(iam, caller, PolicySourceArn)
    identity, boundary = policies_of(iam, record)
    given = caller_arn(CallerArn)
    resource = resource_policy(ResourcePolicy)
    if resource is not None and given is None and record.kind != USER:
        raise InvalidInputException(
            "CallerArn is required with a ResourcePolicy when PolicySourceArn is not a user."
        )
    if given is None:
        principal = (record.arn(caller.partition), record.account)
        keys = keys_of(iam, record, caller.partition)
    else:
        principal = given
        user = user_named(iam, caller, given[0])
        keys = {} if user is None else keys_of(iam, user, caller.partition)
    simulation = Simulation(
        identity=[*identity, *input_policies("PolicyInputList", PolicyInputList)],
        boundary=_boundary(PermissionsBoundaryPolicyInputList) or boundary,
        resource=resource,
        principal_arn=principal[0],
        principal_account=principal[1],
        context=_merged(keys, context_entries(ContextEntries)),
        resource_owner=resource_owner(ResourceOwner),
    )
    return _answer(simulation, ActionNames, ResourceArns, ResourceHandlingOption, MaxItems, Marker)


def simulate_custom_policy(
    iam: Iam,
    caller: Caller,
    *,
    PolicyInputList: list[str],
    ActionNames: list[str],
    PermissionsBoundaryPolicyInputList: list[str] | None = None,
    ResourceArns: list[str] | None = None,
    ResourcePolicy: str | None = None,
    ResourceOwner: str | None = None,
    CallerArn: str | None = None,
    ContextEntries: list[dict[str, Any]] | None = None,
    ResourceHandlingOption: str | None = None,
    MaxItems: int | None = None,
    Marker: str | None = None,
) -> dict[str, Any]:
    """Simulate policies given as text (see the module docstring)."""
    caller.authorize("iam:SimulateCustomPolicy", "*")
    if not PolicyInputList:
        raise InvalidInputException("PolicyInputList must hold at least one policy.")
    given = caller_arn(CallerArn)
    resource = resource_policy(ResourcePolicy)
    if resource is not None and given is None:
        raise InvalidInputException("CallerArn is required with a ResourcePolicy.")
    principal = given or ("", caller.account_id)
    simulation = Simulation(
        identity=input_policies("PolicyInputList", PolicyInputList),
        boundary=_boundary(PermissionsBoundaryPolicyInputList),
        resource=resource,
        principal_arn=principal[0],
        principal_account=principal[1],
        context=context_entries(ContextEntries),
        resource_owner=resource_owner(ResourceOwner),
    )
    return _answer(simulation, ActionNames, ResourceArns, ResourceHandlingOption, MaxItems, Marker)


def _boundary(texts: list[str] | None) -> list[SourcePolicy] | None:
    """The boundary given as text (one at most), or None when none is."""
    if not texts:
        return None
    if len(texts) > 1:
        raise InvalidInputException("PermissionsBoundaryPolicyInputList takes one policy.")
    return input_policies("PermissionsBoundaryPolicyInputList", texts)


def _merged(
    keys: Mapping[str, tuple[str, ...]], entries: Mapping[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """The principal's keys, each overridden by a context entry of that name (key names
    ignore case: of two spellings, the later one stays)."""
    merged: dict[str, tuple[str, ...]] = {}
    spelled: dict[str, str] = {}
    for name, values in (*keys.items(), *entries.items()):
        merged.pop(spelled.get(name.lower(), name), None)
        merged[name] = values
        spelled[name.lower()] = name
    return merged


def _answer(
    simulation: Simulation,
    actions_given: Sequence[str],
    resources_given: Sequence[str] | None,
    option: str | None,
    max_items: int | None,
    marker: str | None,
) -> dict[str, Any]:
    """The page of results `marker` and `max_items` ask for."""
    actions = action_names(actions_given)
    resources = resource_arns(resources_given)
    if option is not None:
        _check_scenario(option, resources)
    per_action = 1 if option is not None else len(resources)
    total = len(actions) * per_action
    start = _start(marker, total)
    end = min(total, start + (max_items or DEFAULT_MAX_ITEMS))
    results = []
    for index in range(start, end):
        action, which = divmod(index, per_action)
        if option is not None:
            results.append(_grouped(simulation, actions[action], resources))
        else:
            results.append(_result(simulation, actions[action], resources[which]))
    answer: dict[str, Any] = {"EvaluationResults": results, "IsTruncated": end < total}
    if end < total:
        answer["Marker"] = str(end)
    return answer


def _start(marker: str | None, total: int) -> int:
    if marker is None:
        return 0
    if not (marker.isascii() and marker.isdigit()) or not 0 < int(marker) < total:
        raise InvalidInputException("Marker is not valid for this simulation.")
    return int(marker)


def _check_scenario(option: str, resources: Sequence[str]) -> None:
    needed = SCENARIOS.get(option)
    if needed is None:
        raise InvalidInputException(
            f"ResourceHandlingOption {option} is not valid: it must be one of "
            f"{', '.join(SCENARIOS)}."
        )
    kinds = set()
    for resource in resources:
        parts = resource.split(":", 5)
        if len(parts) == 6 and parts[2] == "ec2":
            kinds.add(parts[5].split("/", 1)[0])
    lacking = [kind for kind in needed if kind not in kinds]
    if lacking:
        raise InvalidInputException(
            f"The {option} scenario needs resources of type {', '.join(lacking)}."
        )


def _result(simulation: Simulation, action: str, resource: str) -> dict[str, Any]:
    """One action on one resource; "*" has no resource-specific part."""
    outcome = decide(simulation, action, resource)
    result: dict[str, Any] = {
        "EvalActionName": action,
        "EvalResourceName": resource,
        "EvalDecision": DECISIONS[outcome.decision],
        "MatchedStatements": outcome.matched,
        "MissingContextValues": list(outcome.missing) if resource == "*" else [],
        **_boundary_detail(outcome.boundary_allows),
    }
    if resource == "*":
        if outcome.details is not None:
            result["EvalDecisionDetails"] = outcome.details
        return result
    result["EvalDecisionDetails"] = outcome.details or {}
    result["ResourceSpecificResults"] = [_specific(resource, outcome)]
    return result


def _grouped(simulation: Simulation, action: str, resources: Sequence[str]) -> dict[str, Any]:
    """One action on every resource of a scenario: allowed only if allowed on each."""
    outcomes = [decide(simulation, action, resource) for resource in resources]
    decisions = {outcome.decision for outcome in outcomes}
    if Decision.EXPLICIT_DENY in decisions:
        decision = Decision.EXPLICIT_DENY
    elif decisions == {Decision.ALLOW}:
        decision = Decision.ALLOW
    else:
        decision = Decision.IMPLICIT_DENY
    matched: list[dict[str, Any]] = []
    for outcome in outcomes:
        matched += [statement for statement in outcome.matched if statement not in matched]
    bounded = [o.boundary_allows for o in outcomes if o.boundary_allows is not None]
    return {
        "EvalActionName": action,
        "EvalDecision": DECISIONS[decision],
        "MatchedStatements": matched,
        "MissingContextValues": [],
        "EvalDecisionDetails": {},
        **_boundary_detail(all(bounded) if bounded else None),
        "ResourceSpecificResults": [
            _specific(resource, outcome)
            for resource, outcome in zip(resources, outcomes, strict=True)
        ],
    }


def _specific(resource: str, outcome: Outcome) -> dict[str, Any]:
    """A `ResourceSpecificResult`."""
    result: dict[str, Any] = {
        "EvalResourceName": resource,
        "EvalResourceDecision": DECISIONS[outcome.decision],
        "MatchedStatements": outcome.matched,
        "MissingContextValues": list(outcome.missing),
        **_boundary_detail(outcome.boundary_allows),
    }
    if outcome.details is not None:
        result["EvalDecisionDetails"] = outcome.details
    return result


def _boundary_detail(allows: bool | None) -> dict[str, Any]:
    if allows is None:
        return {}
    return {"PermissionsBoundaryDecisionDetail": {"AllowedByPermissionsBoundary": allows}}


OPERATIONS: dict[str, Operation] = {
    "SimulatePrincipalPolicy": simulate_principal_policy,
    "SimulateCustomPolicy": simulate_custom_policy,
}
