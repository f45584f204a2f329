"""IAM roles: Create/Get/List/Update/DeleteRole, UpdateAssumeRolePolicy and role tags.

Invariants: role names are unique per account in any letter case. A role's trust policy
(AssumeRolePolicyDocument) is a resource policy (each statement names a principal) of at
most 2,048 characters; MaxSessionDuration is 3,600 unless set. A role is deleted only
without policies.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import EntityAlreadyExistsException
from strongroom.services.caller import Caller
from strongroom.services.iam.boundaries import boundary_arn, boundary_view
from strongroom.services.iam.deletion_conflicts import refuse_if_in_use
from strongroom.services.iam.documents import check_trust_policy
from strongroom.services.iam.paging import page
from strongroom.services.iam.records import ROLE, EntityRecord, entity_arn
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_entity,
    entity_to_change,
    writes,
)
from strongroom.services.iam.tags import merged_tags, tag_page, without_tags

DEFAULT_MAX_SESSION_DURATION = 3600


def role_view(record: EntityRecord, partition: str, *, detail: bool = True) -> dict[str, Any]:
    """A `Role` as AWS shapes it; listings leave out boundary, tags and last use."""
    view: dict[str, Any] = {
        "Path": record.path,
        "RoleName": record.name,
        "RoleId": record.entity_id,
        "Arn": record.arn(partition),
        "CreateDate": record.created,
        "AssumeRolePolicyDocument": record.trust_policy,
        "MaxSessionDuration": record.max_session_duration,
    }
    if record.description is not None:
        view["Description"] = record.description
    if detail:
        view.update(boundary_view(record.boundary))
        if record.tags:
            view["Tags"] = [dict(tag) for tag in record.tags]
        view["RoleLastUsed"] = {}
    return view


@writes
def create_role(
    iam: Iam,
    caller: Caller,
    *,
    RoleName: str,
    AssumeRolePolicyDocument: str,
    Path: str = "/",
    Description: str | None = None,
    MaxSessionDuration: int = DEFAULT_MAX_SESSION_DURATION,
    PermissionsBoundary: str | None = None,
    Tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Create a role that the principals its trust policy names may assume."""
    arn = entity_arn(caller.partition, caller.account_id, ROLE, Path, RoleName)
    caller.authorize("iam:CreateRole", arn)
    if iam.repository.load_entity(caller.account_id, ROLE, RoleName) is not None:
        raise EntityAlreadyExistsException(f"Role with name {RoleName} already exists.")
    check_trust_policy(AssumeRolePolicyDocument)
    record = EntityRecord(
        ROLE, caller.account_id, RoleName, Path, iam.new_id(ROLE), iam.clock.now()
    )
    record.trust_policy = AssumeRolePolicyDocument
    record.description = Description
    record.max_session_duration = MaxSessionDuration
    record.tags = merged_tags([], Tags or [])
    if PermissionsBoundary is not None:
        record.boundary = boundary_arn(iam, caller, PermissionsBoundary)
    iam.repository.save_entity(record)
    return {"Role": role_view(record, caller.partition)}


def get_role(iam: Iam, caller: Caller, *, RoleName: str) -> dict[str, Any]:
    """A role."""
    record = authorized_entity(iam, caller, "iam:GetRole", ROLE, RoleName)
    return {"Role": role_view(record, caller.partition)}


def list_roles(
    iam: Iam,
    caller: Caller,
    *,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The account's roles whose path begins with `PathPrefix`, by name."""
    caller.authorize("iam:ListRoles", "*")
    roles = (
        r for r in iam.repository.entities(caller.account_id, ROLE) if r.path.startswith(PathPrefix)
    )
    chosen, more = page(roles, lambda r: r.key, Marker, MaxItems)
    return {"Roles": [role_view(r, caller.partition, detail=False) for r in chosen], **more}


@writes
def update_role(
    iam: Iam,
    caller: Caller,
    *,
    RoleName: str,
    Description: str | None = None,
    MaxSessionDuration: int | None = None,
) -> dict[str, Any]:
    """Change a role's description or maximum session duration."""
    record = entity_to_change(iam, caller, "iam:UpdateRole", ROLE, RoleName)
    if Description is not None:
        record.description = Description
    if MaxSessionDuration is not None:
        record.max_session_duration = MaxSessionDuration
    iam.repository.save_entity(record)
    return {}


@writes
def update_assume_role_policy(
    iam: Iam, caller: Caller, *, RoleName: str, PolicyDocument: str
) -> dict[str, Any]:
    """Replace a role's trust policy."""
    record = entity_to_change(iam, caller, "iam:UpdateAssumeRolePolicy", ROLE, RoleName)
    check_trust_policy(PolicyDocument)
    record.trust_policy = PolicyDocument
    iam.repository.save_entity(record)
    return {}


@writes
def delete_role(iam: Iam, caller: Caller, *, RoleName: str) -> dict[str, Any]:
    """Delete a role without policies."""
    record = entity_to_change(iam, caller, "iam:DeleteRole", ROLE, RoleName)
    refuse_if_in_use(iam, record)
    iam.repository.remove_entity(caller.account_id, ROLE, record.name)
    return {}


@writes
def tag_role(
    iam: Iam, caller: Caller, *, RoleName: str, Tags: list[dict[str, str]]
) -> dict[str, Any]:
    """Add or replace tags of a role."""
    record = entity_to_change(iam, caller, "iam:TagRole", ROLE, RoleName)
    record.tags = merged_tags(record.tags, Tags)
    iam.repository.save_entity(record)
    return {}


@writes
def untag_role(iam: Iam, caller: Caller, *, RoleName: str, TagKeys: list[str]) -> dict[str, Any]:
    """Remove tags of a role (keys it lacks are ignored)."""
    record = entity_to_change(iam, caller, "iam:UntagRole", ROLE, RoleName)
    record.tags = without_tags(record.tags, TagKeys)
    iam.repository.save_entity(record)
    return {}


def list_role_tags(
    iam: Iam,
    caller: Caller,
    *,
    RoleName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """A role's tags."""
    record = authorized_entity(iam, caller, "iam:ListRoleTags", ROLE, RoleName)
    return tag_page(record.tags, Marker, MaxItems)


OPERATIONS: dict[str, Operation] = {
    "CreateRole": create_role,
    "GetRole": get_role,
    "ListRoles": list_roles,
    "UpdateRole": update_role,
    "UpdateAssumeRolePolicy": update_assume_role_policy,
    "DeleteRole": delete_role,
    "TagRole": tag_role,
    "UntagRole": untag_role,
    "ListRoleTags": list_role_tags,
}
