"""Permissions boundaries of users and roles: Put/Delete{User,Role}PermissionsBoundary.

A boundary is one of the account's managed policies, named by ARN; the entity keeps that
ARN (see `records`), and the policy cannot be deleted while it bounds anyone. AWS managed
policies are not kept by Strongroom, so naming one is NoSuchEntity.
"""

from __future__ import annotations

from typing import Any

from strongroom.services.caller import Caller
from strongroom.services.iam.records import ROLE, USER
from strongroom.services.iam.service import (
    Iam,
    Operation,
    entity_to_change,
    existing_policy,
    writes,
)

BOUNDARY_TYPE = "PermissionsBoundaryPolicy"


def boundary_arn(iam: Iam, caller: Caller, policy_arn: str) -> str:
    """The ARN of the account's managed policy `policy_arn` names (NoSuchEntity if none)."""
    return existing_policy(iam, caller, policy_arn).arn(caller.partition)


def boundary_view(arn: str | None) -> dict[str, Any]:
    """The `PermissionsBoundary` member of a user or role, if it has one."""
    if arn is None:
        return {}
    return {
        "PermissionsBoundary": {
            "PermissionsBoundaryType": BOUNDARY_TYPE,
            "PermissionsBoundaryArn": arn,
        }
    }


def _put(iam: Iam, caller: Caller, kind: str, action: str, name: str, arn: str) -> dict[str, Any]:
    record = entity_to_change(iam, caller, action, kind, name)
    record.boundary = boundary_arn(iam, caller, arn)
    iam.repository.save_entity(record)
    return {}


def _delete(iam: Iam, caller: Caller, kind: str, action: str, name: str) -> dict[str, Any]:
    record = entity_to_change(iam, caller, action, kind, name)
    if record.boundary is not None:
        record.boundary = None
        iam.repository.save_entity(record)
    return {}


@writes
def put_user_permissions_boundary(
    iam: Iam, caller: Caller, *, UserName: str, PermissionsBoundary: str
) -> dict[str, Any]:
    """Set the user's permissions boundary."""
    return _put(iam, caller, USER, "iam:PutUserPermissionsBoundary", UserName, PermissionsBoundary)


@writes
def delete_user_permissions_boundary(iam: Iam, caller: Caller, *, UserName: str) -> dict[str, Any]:
    """Remove the user's permissions boundary (nothing to remove is not an error)."""
    return _delete(iam, caller, USER, "iam:DeleteUserPermissionsBoundary", UserName)


@writes
def put_role_permissions_boundary(
    iam: Iam, caller: Caller, *, RoleName: str, PermissionsBoundary: str
) -> dict[str, Any]:
    """Set the role's permissions boundary."""
    return _put(iam, caller, ROLE, "iam:PutRolePermissionsBoundary", RoleName, PermissionsBoundary)


@writes
def delete_role_permissions_boundary(iam: Iam, caller: Caller, *, RoleName: str) -> dict[str, Any]:
    """Remove the role's permissions boundary."""
    return _delete(iam, caller, ROLE, "iam:DeleteRolePermissionsBoundary", RoleName)


OPERATIONS: dict[str, Operation] = {
    "PutUserPermissionsBoundary": put_user_permissions_boundary,
    "DeleteUserPermissionsBoundary": delete_user_permissions_boundary,
    "PutRolePermissionsBoundary": put_role_permissions_boundary,
    "DeleteRolePermissionsBoundary": delete_role_permissions_boundary,
}
