"""Managed policies attached to users, groups and roles: Attach/Detach/ListAttached
{User,Group,Role}Policies and ListEntitiesForPolicy.

Invariants: an entity attaches only the account's existing managed policies, each at
most once (attaching again changes nothing) and at most 10 of them (AWS's
PoliciesPerUser, PoliciesPerGroup, PoliciesPerRole). Authorization is on the entity (the
policy is the request's `iam:PolicyARN`, as AWS has it); ListEntitiesForPolicy is on the
policy.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import IamLimitExceededException, NoSuchEntityException
from strongroom.services.caller import Caller
from strongroom.services.iam.paging import page
from strongroom.services.iam.policy_usage import every_entity
from strongroom.services.iam.records import (
    GROUP,
    ROLE,
    USER,
    EntityRecord,
    name_in_arn,
    path_in_arn,
)
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_entity,
    authorized_policy,
    entity_to_change,
    existing_policy,
    policy_name_of,
    writes,
)

POLICIES_PER_ENTITY = 10
_TITLE = {USER: "User", GROUP: "Group", ROLE: "Role"}


def _attach(iam: Iam, caller: Caller, kind: str, name: str, arn: str) -> dict[str, Any]:
    record = entity_to_change(iam, caller, f"iam:Attach{_TITLE[kind]}Policy", kind, name)
    policy = existing_policy(iam, caller, arn).arn(caller.partition)
    if policy in record.attached:
        return {}
    if len(record.attached) >= POLICIES_PER_ENTITY:
        raise IamLimitExceededException(
            f"Cannot exceed quota for PoliciesPer{_TITLE[kind]}: {POLICIES_PER_ENTITY}"
        )
    record.attached.append(policy)
    iam.repository.save_entity(record)
    return {}


def _detach(iam: Iam, caller: Caller, kind: str, name: str, arn: str) -> dict[str, Any]:
    record = entity_to_change(iam, caller, f"iam:Detach{_TITLE[kind]}Policy", kind, name)
    policy_name_of(caller, arn)  # a malformed ARN is InvalidInput, as AWS answers
    if arn not in record.attached:
        raise NoSuchEntityException(f"Policy {arn} was not found.")
    record.attached.remove(arn)
    iam.repository.save_entity(record)
    return {}


def _list(
    iam: Iam,
    caller: Caller,
    kind: str,
    name: str,
    path_prefix: str,
    marker: str | None,
    max_items: int | None,
) -> dict[str, Any]:
    action = f"iam:ListAttached{_TITLE[kind]}Policies"
    record = authorized_entity(iam, caller, action, kind, name)
    arns = [arn for arn in record.attached if path_in_arn(arn).startswith(path_prefix)]
    chosen, more = page(arns, lambda arn: name_in_arn(arn).lower(), marker, max_items)
    attached = [{"PolicyName": name_in_arn(arn), "PolicyArn": arn} for arn in chosen]
    return {"AttachedPolicies": attached, **more}


@writes
def attach_user_policy(
    iam: Iam, caller: Caller, *, UserName: str, PolicyArn: str
) -> dict[str, Any]:
    """Attach a managed policy to a user."""
    return _attach(iam, caller, USER, UserName, PolicyArn)


@writes
def attach_group_policy(
    iam: Iam, caller: Caller, *, GroupName: str, PolicyArn: str
) -> dict[str, Any]:
    """Attach a managed policy to a group."""
    return _attach(iam, caller, GROUP, GroupName, PolicyArn)


@writes
def attach_role_policy(
    iam: Iam, caller: Caller, *, RoleName: str, PolicyArn: str
) -> dict[str, Any]:
    """Attach a managed policy to a role."""
    return _attach(iam, caller, ROLE, RoleName, PolicyArn)


@writes
def detach_user_policy(
    iam: Iam, caller: Caller, *, UserName: str, PolicyArn: str
) -> dict[str, Any]:
    """Detach a managed policy from a user."""
    return _detach(iam, caller, USER, UserName, PolicyArn)


@writes
def detach_group_policy(
    iam: Iam, caller: Caller, *, GroupName: str, PolicyArn: str
) -> dict[str, Any]:
    """Detach a managed policy from a group."""
    return _detach(iam, caller, GROUP, GroupName, PolicyArn)


@writes
def detach_role_policy(
    iam: Iam, caller: Caller, *, RoleName: str, PolicyArn: str
) -> dict[str, Any]:
    """Detach a managed policy from a role."""
    return _detach(iam, caller, ROLE, RoleName, PolicyArn)


def list_attached_user_policies(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The managed policies attached to a user."""
    return _list(iam, caller, USER, UserName, PathPrefix, Marker, MaxItems)


def list_attached_group_policies(
    iam: Iam,
    caller: Caller,
    *,
    GroupName: str,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The managed policies attached to a group."""
    return _list(iam, caller, GROUP, GroupName, PathPrefix, Marker, MaxItems)


def list_attached_role_policies(
    iam: Iam,
    caller: Caller,
    *,
    RoleName: str,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The managed policies attached to a role."""
    return _list(iam, caller, ROLE, RoleName, PathPrefix, Marker, MaxItems)


_ENTITY_FILTERS = {"User": USER, "Group": GROUP, "Role": ROLE}


def _uses(entity: EntityRecord, arn: str, usage_filter: str | None) -> bool:
    attached = arn in entity.attached and usage_filter != "PermissionsBoundary"
    bounded = entity.boundary == arn and usage_filter != "PermissionsPolicy"
    return attached or bounded


def list_entities_for_policy(
    iam: Iam,
    caller: Caller,
    *,
    PolicyArn: str,
    EntityFilter: str | None = None,
    PathPrefix: str = "/",
    PolicyUsageFilter: str | None = None,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The users, groups and roles that attach the policy or are bounded by it."""
    policy = authorized_policy(iam, caller, "iam:ListEntitiesForPolicy", PolicyArn)
    arn = policy.arn(caller.partition)
    kind = _ENTITY_FILTERS.get(EntityFilter or "")
    entities = (
        e
        for e in every_entity(iam, caller.account_id)
        if EntityFilter != "AWSManagedPolicy"
        and (kind is None or e.kind == kind)
        and e.path.startswith(PathPrefix)
        and _uses(e, arn, PolicyUsageFilter)
    )
    chosen, more = page(entities, lambda e: f"{e.kind}/{e.key}", Marker, MaxItems)
    result: dict[str, Any] = {"PolicyGroups": [], "PolicyUsers": [], "PolicyRoles": [], **more}
    for e in chosen:
        title = _TITLE[e.kind]
        result[f"Policy{title}s"].append({f"{title}Name": e.name, f"{title}Id": e.entity_id})
    return result


OPERATIONS: dict[str, Operation] = {
    "AttachUserPolicy": attach_user_policy,
    "AttachGroupPolicy": attach_group_policy,
    "AttachRolePolicy": attach_role_policy,
    "DetachUserPolicy": detach_user_policy,
    "DetachGroupPolicy": detach_group_policy,
    "DetachRolePolicy": detach_role_policy,
    "ListAttachedUserPolicies": list_attached_user_policies,
    "ListAttachedGroupPolicies": list_attached_group_policies,
    "ListAttachedRolePolicies": list_attached_role_policies,
    "ListEntitiesForPolicy": list_entities_for_policy,
}
