"""Inline policies of users, groups and roles: Put/Get/Delete/List{User,Group,Role}Policy.

Invariants: a document is stored only if it is a well-formed identity policy, and only
while the entity's inline policies together stay within its kind's size limit (see
`documents`). Put replaces a policy of the same name. Names are kept as given and listed
in order.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import NoSuchEntityException
from strongroom.services.caller import Caller
from strongroom.services.iam.documents import check_identity_policy, check_inline_total
from strongroom.services.iam.paging import page
from strongroom.services.iam.records import GROUP, ROLE, USER
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_entity,
    entity_to_change,
    writes,
)

_MEMBER = {USER: "UserName", GROUP: "GroupName", ROLE: "RoleName"}
_TITLE = {USER: "User", GROUP: "Group", ROLE: "Role"}


def _no_such_policy(kind: str, policy_name: str) -> NoSuchEntityException:
    return NoSuchEntityException(f"The {kind} policy with name {policy_name} cannot be found.")


def _put(
    iam: Iam, caller: Caller, kind: str, name: str, policy: str, document: str
) -> dict[str, Any]:
    record = entity_to_change(iam, caller, f"iam:Put{_TITLE[kind]}Policy", kind, name)
    check_identity_policy(document)
    documents = {**record.inline, policy: document}
    check_inline_total(kind, record.name, list(documents.values()))
    record.inline = documents
    iam.repository.save_entity(record)
    return {}


def _get(iam: Iam, caller: Caller, kind: str, name: str, policy: str) -> dict[str, Any]:
    record = authorized_entity(iam, caller, f"iam:Get{_TITLE[kind]}Policy", kind, name)
    document = record.inline.get(policy)
    if document is None:
        raise _no_such_policy(kind, policy)
    return {_MEMBER[kind]: record.name, "PolicyName": policy, "PolicyDocument": document}


def _delete(iam: Iam, caller: Caller, kind: str, name: str, policy: str) -> dict[str, Any]:
    record = entity_to_change(iam, caller, f"iam:Delete{_TITLE[kind]}Policy", kind, name)
    if policy not in record.inline:
        raise _no_such_policy(kind, policy)
    del record.inline[policy]
    iam.repository.save_entity(record)
    return {}


def _list(
    iam: Iam, caller: Caller, kind: str, name: str, marker: str | None, max_items: int | None
) -> dict[str, Any]:
    record = authorized_entity(iam, caller, f"iam:List{_TITLE[kind]}Policies", kind, name)
    chosen, more = page(record.inline, lambda policy: policy, marker, max_items)
    return {"PolicyNames": chosen, **more}


@writes
def put_user_policy(
    iam: Iam, caller: Caller, *, UserName: str, PolicyName: str, PolicyDocument: str
) -> dict[str, Any]:
    """Add or replace an inline policy of a user."""
    return _put(iam, caller, USER, UserName, PolicyName, PolicyDocument)


def get_user_policy(iam: Iam, caller: Caller, *, UserName: str, PolicyName: str) -> dict[str, Any]:
    """An inline policy of a user."""
    return _get(iam, caller, USER, UserName, PolicyName)


@writes
def delete_user_policy(
    iam: Iam, caller: Caller, *, UserName: str, PolicyName: str
) -> dict[str, Any]:
    """Remove an inline policy of a user."""
    return _delete(iam, caller, USER, UserName, PolicyName)


def list_user_policies(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The names of a user's inline policies."""
    return _list(iam, caller, USER, UserName, Marker, MaxItems)


@writes
def put_group_policy(
    iam: Iam, caller: Caller, *, GroupName: str, PolicyName: str, PolicyDocument: str
) -> dict[str, Any]:
    """Add or replace an inline policy of a group."""
    return _put(iam, caller, GROUP, GroupName, PolicyName, PolicyDocument)


def get_group_policy(
    iam: Iam, caller: Caller, *, GroupName: str, PolicyName: str
) -> dict[str, Any]:
    """An inline policy of a group."""
    return _get(iam, caller, GROUP, GroupName, PolicyName)


@writes
def delete_group_policy(
    iam: Iam, caller: Caller, *, GroupName: str, PolicyName: str
) -> dict[str, Any]:
    """Remove an inline policy of a group."""
    return _delete(iam, caller, GROUP, GroupName, PolicyName)


def list_group_policies(
    iam: Iam,
    caller: Caller,
    *,
    GroupName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The names of a group's inline policies."""
    return _list(iam, caller, GROUP, GroupName, Marker, MaxItems)


@writes
def put_role_policy(
    iam: Iam, caller: Caller, *, RoleName: str, PolicyName: str, PolicyDocument: str
) -> dict[str, Any]:
    """Add or replace an inline policy of a role."""
    return _put(iam, caller, ROLE, RoleName, PolicyName, PolicyDocument)


def get_role_policy(iam: Iam, caller: Caller, *, RoleName: str, PolicyName: str) -> dict[str, Any]:
    """An inline policy of a role."""
    return _get(iam, caller, ROLE, RoleName, PolicyName)


@writes
def delete_role_policy(
    iam: Iam, caller: Caller, *, RoleName: str, PolicyName: str
) -> dict[str, Any]:
    """Remove an inline policy of a role."""
    return _delete(iam, caller, ROLE, RoleName, PolicyName)


def list_role_policies(
    iam: Iam,
    caller: Caller,
    *,
    RoleName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The names of a role's inline policies."""
    return _list(iam, caller, ROLE, RoleName, Marker, MaxItems)


OPERATIONS: dict[str, Operation] = {
    "PutUserPolicy": put_user_policy,
    "GetUserPolicy": get_user_policy,
    "DeleteUserPolicy": delete_user_policy,
    "ListUserPolicies": list_user_policies,
    "PutGroupPolicy": put_group_policy,
    "GetGroupPolicy": get_group_policy,
    "DeleteGroupPolicy": delete_group_policy,
    "ListGroupPolicies": list_group_policies,
    "PutRolePolicy": put_role_policy,
    "GetRolePolicy": get_role_policy,
    "DeleteRolePolicy": delete_role_policy,
    "ListRolePolicies": list_role_policies,
}
