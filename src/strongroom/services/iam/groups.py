"""IAM groups: Create/Get/List/DeleteGroup, memberships and ListGroupsForUser.

Invariants: group names are unique per account in any letter case. Membership is kept on
the user (its `groups`, by lower-case group name), so a group's members are found by
scanning the account's users; a user is in at most 10 groups (AWS's GroupsPerUser). A
group is deleted only without members and policies.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import EntityAlreadyExistsException, IamLimitExceededException
from strongroom.services.caller import Caller
from strongroom.services.iam.deletion_conflicts import refuse_if_in_use
from strongroom.services.iam.paging import page
from strongroom.services.iam.records import GROUP, USER, EntityRecord, entity_arn
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_entity,
    entity_to_change,
    existing_entity,
    no_such_entity,
    writes,
)
from strongroom.services.iam.users import user_view

GROUPS_PER_USER = 10


def group_view(record: EntityRecord, partition: str) -> dict[str, Any]:
    """A `Group` as AWS shapes it."""
    return {
        "Path": record.path,
        "GroupName": record.name,
        "GroupId": record.entity_id,
        "Arn": record.arn(partition),
        "CreateDate": record.created,
    }


@writes
def create_group(iam: Iam, caller: Caller, *, GroupName: str, Path: str = "/") -> dict[str, Any]:
    """Create a group."""
    arn = entity_arn(caller.partition, caller.account_id, GROUP, Path, GroupName)
    caller.authorize("iam:CreateGroup", arn)
    if iam.repository.load_entity(caller.account_id, GROUP, GroupName) is not None:
        raise EntityAlreadyExistsException(f"Group with name {GroupName} already exists.")
    record = EntityRecord(
        GROUP, caller.account_id, GroupName, Path, iam.new_id(GROUP), iam.clock.now()
    )
    iam.repository.save_entity(record)
    return {"Group": group_view(record, caller.partition)}


def get_group(
    iam: Iam,
    caller: Caller,
    *,
    GroupName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """A group and its users (paged)."""
    group = authorized_entity(iam, caller, "iam:GetGroup", GROUP, GroupName)
    members = (u for u in iam.repository.entities(caller.account_id, USER) if group.key in u.groups)
    chosen, more = page(members, lambda u: u.key, Marker, MaxItems)
    return {
        "Group": group_view(group, caller.partition),
        "Users": [user_view(u, caller.partition, detail=False) for u in chosen],
        **more,
    }


def list_groups(
    iam: Iam,
    caller: Caller,
    *,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The account's groups whose path begins with `PathPrefix`, by name."""
    caller.authorize("iam:ListGroups", "*")
    groups = (
        g
        for g in iam.repository.entities(caller.account_id, GROUP)
        if g.path.startswith(PathPrefix)
    )
    chosen, more = page(groups, lambda g: g.key, Marker, MaxItems)
    return {"Groups": [group_view(g, caller.partition) for g in chosen], **more}


@writes
def add_user_to_group(iam: Iam, caller: Caller, *, GroupName: str, UserName: str) -> dict[str, Any]:
    """Make the user a member of the group (already one: nothing changes)."""
    group = entity_to_change(iam, caller, "iam:AddUserToGroup", GROUP, GroupName)
    user = existing_entity(iam, caller, USER, UserName)
    if group.key in user.groups:
        return {}
    if len(user.groups) >= GROUPS_PER_USER:
        raise IamLimitExceededException(f"Cannot exceed quota for GroupsPerUser: {GROUPS_PER_USER}")
    user.groups.append(group.key)
    iam.repository.save_entity(user)
    return {}


@writes
def remove_user_from_group(
    iam: Iam, caller: Caller, *, GroupName: str, UserName: str
) -> dict[str, Any]:
    """End the user's membership of the group."""
    group = entity_to_change(iam, caller, "iam:RemoveUserFromGroup", GROUP, GroupName)
    user = existing_entity(iam, caller, USER, UserName)
    if group.key not in user.groups:
        raise no_such_entity(USER, UserName)
    user.groups.remove(group.key)
    iam.repository.save_entity(user)
    return {}


def list_groups_for_user(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The groups the user is in, by name."""
    user = authorized_entity(iam, caller, "iam:ListGroupsForUser", USER, UserName)
    found = (iam.repository.entity(caller.account_id, GROUP, key) for key in user.groups)
    groups = [g for g in found if g is not None]
    chosen, more = page(groups, lambda g: g.key, Marker, MaxItems)
    return {"Groups": [group_view(g, caller.partition) for g in chosen], **more}


@writes
def delete_group(iam: Iam, caller: Caller, *, GroupName: str) -> dict[str, Any]:
    """Delete a group without members or policies."""
    group = entity_to_change(iam, caller, "iam:DeleteGroup", GROUP, GroupName)
    refuse_if_in_use(iam, group)
    iam.repository.remove_entity(caller.account_id, GROUP, group.name)
    return {}


OPERATIONS: dict[str, Operation] = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "ListGroups": list_groups,
    "AddUserToGroup": add_user_to_group,
    "RemoveUserFromGroup": remove_user_from_group,
    "ListGroupsForUser": list_groups_for_user,
    "DeleteGroup": delete_group,
}
