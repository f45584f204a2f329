"""IAM users: CreateUser, GetUser, ListUsers, UpdateUser, DeleteUser and their tags.

Invariants: user names are unique per account in any letter case, and `root` (in any
case) is refused, since a key of a user of that name would stand for the account itself.
A user is deleted only once nothing hangs on it (access keys, inline and attached
policies, group memberships), as AWS requires. Renaming a user renames what its access
keys stand for, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    EntityAlreadyExistsException,
    IamValidationError,
    InvalidInputException,
)
from strongroom.identity import Principal
from strongroom.services.caller import Caller
from strongroom.services.iam.boundaries import boundary_arn, boundary_view
from strongroom.services.iam.deletion_conflicts import refuse_if_in_use
from strongroom.services.iam.paging import page
from strongroom.services.iam.records import USER, EntityRecord, entity_arn
from strongroom.services.iam.service import (
    Iam,
    Operation,
    authorized_entity,
    entity_to_change,
    writes,
)
from strongroom.services.iam.tags import merged_tags, tag_page, without_tags

ROOT = "root"


def user_view(record: EntityRecord, partition: str, *, detail: bool = True) -> dict[str, Any]:
    """A `User` as AWS shapes it; listings leave out boundary and tags (`detail`)."""
    view: dict[str, Any] = {
        "Path": record.path,
        "UserName": record.name,
        "UserId": record.entity_id,
        "Arn": record.arn(partition),
        "CreateDate": record.created,
    }
    if detail:
        view.update(boundary_view(record.boundary))
        if record.tags:
            view["Tags"] = [dict(tag) for tag in record.tags]
    return view


def caller_user_name(caller: Caller) -> str:
    """The user the caller signs as, for operations whose UserName defaults to it
    (`root` for the account's own keys); a role session or service has none."""
    principal = caller.principal
    if principal.role_session is not None or principal.service is not None:
        raise IamValidationError("Must specify userName when calling with non-User credentials")
    return principal.user_name


@writes
def create_user(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    Path: str = "/",
    PermissionsBoundary: str | None = None,
    Tags: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    """Create a user."""
    caller.authorize(
        "iam:CreateUser", entity_arn(caller.partition, caller.account_id, USER, Path, UserName)
    )
    if UserName.lower() == ROOT:
        raise InvalidInputException(f"The user name {UserName} is reserved.")
    if iam.repository.load_entity(caller.account_id, USER, UserName) is not None:
        raise EntityAlreadyExistsException(f"User with name {UserName} already exists.")
    record = EntityRecord(
        USER, caller.account_id, UserName, Path, iam.new_id(USER), iam.clock.now()
    )
    record.tags = merged_tags([], Tags or [])
    if PermissionsBoundary is not None:
        record.boundary = boundary_arn(iam, caller, PermissionsBoundary)
    iam.repository.save_entity(record)
    return {"User": user_view(record, caller.partition)}


def get_user(iam: Iam, caller: Caller, *, UserName: str | None = None) -> dict[str, Any]:
    """The named user, or the caller's own (the account root's, for its own keys)."""
    name = caller_user_name(caller) if UserName is None else UserName
    if UserName is None and name == ROOT:
        return _root_user(iam, caller)
    return {
        "User": user_view(
            authorized_entity(iam, caller, "iam:GetUser", USER, name), caller.partition
        )
    }


def _root_user(iam: Iam, caller: Caller) -> dict[str, Any]:
    arn = Principal("", caller.account_id, ROOT).arn(caller.partition)
    caller.authorize("iam:GetUser", arn)
    created = [k.created for k in iam.access_keys.list(caller.account_id) if k.created]
    # AWS names no user for the root: UserId is the account, the ARN the root's.
    return {
        "User": {
            "UserId": caller.account_id,
            "Arn": arn,
            "CreateDate": min(created, default=0.0),
        }
    }


def list_users(
    iam: Iam,
    caller: Caller,
    *,
    PathPrefix: str = "/",
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The account's users whose path begins with `PathPrefix`, by name."""
    caller.authorize("iam:ListUsers", "*")
    users = (
        r for r in iam.repository.entities(caller.account_id, USER) if r.path.startswith(PathPrefix)
    )
    chosen, more = page(users, lambda r: r.key, Marker, MaxItems)
    return {"Users": [user_view(r, caller.partition, detail=False) for r in chosen], **more}


@writes
def update_user(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    NewPath: str | None = None,
    NewUserName: str | None = None,
) -> dict[str, Any]:
    """Rename a user or move it to another path."""
    record = entity_to_change(iam, caller, "iam:UpdateUser", USER, UserName)
    old_name = record.name
    if NewPath is not None:
        record.path = NewPath
    if NewUserName is not None and NewUserName != old_name:
        caller.authorize(
            "iam:UpdateUser", record.arn(caller.partition).removesuffix(old_name) + NewUserName
        )
        if NewUserName.lower() == ROOT:
            raise InvalidInputException(f"The user name {NewUserName} is reserved.")
        if NewUserName.lower() != record.key:
            if iam.repository.load_entity(caller.account_id, USER, NewUserName) is not None:
                raise EntityAlreadyExistsException(f"User with name {NewUserName} already exists.")
            iam.repository.remove_entity(caller.account_id, USER, old_name)
        record.name = NewUserName
    iam.repository.save_entity(record)
    if record.name != old_name:
        iam.access_keys.rename_user(caller.account_id, old_name, record.name)
    return {}


@writes
def delete_user(iam: Iam, caller: Caller, *, UserName: str) -> dict[str, Any]:
    """Delete a user that nothing hangs on any more."""
    record = entity_to_change(iam, caller, "iam:DeleteUser", USER, UserName)
    refuse_if_in_use(iam, record)
    iam.repository.remove_entity(caller.account_id, USER, record.name)
    return {}


@writes
def tag_user(
    iam: Iam, caller: Caller, *, UserName: str, Tags: list[dict[str, str]]
) -> dict[str, Any]:
    """Add or replace tags of a user."""
    record = entity_to_change(iam, caller, "iam:TagUser", USER, UserName)
    record.tags = merged_tags(record.tags, Tags)
    iam.repository.save_entity(record)
    return {}


@writes
def untag_user(iam: Iam, caller: Caller, *, UserName: str, TagKeys: list[str]) -> dict[str, Any]:
    """Remove tags of a user (keys it lacks are ignored)."""
    record = entity_to_change(iam, caller, "iam:UntagUser", USER, UserName)
    record.tags = without_tags(record.tags, TagKeys)
    iam.repository.save_entity(record)
    return {}


def list_user_tags(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """A user's tags."""
    record = authorized_entity(iam, caller, "iam:ListUserTags", USER, UserName)
    return tag_page(record.tags, Marker, MaxItems)


OPERATIONS: dict[str, Operation] = {
    "CreateUser": create_user,
    "GetUser": get_user,
    "ListUsers": list_users,
    "UpdateUser": update_user,
    "DeleteUser": delete_user,
    "TagUser": tag_user,
    "UntagUser": untag_user,
    "ListUserTags": list_user_tags,
}
