"""Access keys of IAM users: Create/List/Update/DeleteAccessKey, GetAccessKeyLastUsed.

Keys live in `identity.AccessKeyStore` (the store SigV4 reads), not in IAM's records: a
key's principal names its user. Without UserName an operation acts on the caller's own
keys (the account root's, for the root's keys); with it, on an existing user's. At most
two keys per user; the account's last active key is never disabled or deleted (the
store's rules). DeleteAccessKey runs in the store's own transaction, not inside an IAM
one, because the store scrubs the deleted secret from storage once that commits.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import InvalidInputException, NoSuchEntityException
from strongroom.identity import ACCESS_KEYS_PER_USER, ACTIVE, INACTIVE, AccessKey, Principal
from strongroom.services.caller import Caller
from strongroom.services.iam.paging import page
from strongroom.services.iam.records import USER
from strongroom.services.iam.service import Iam, Operation, arn_for, no_such_entity, writes
from strongroom.services.iam.users import ROOT, caller_user_name


def _user_arn(iam: Iam, caller: Caller, name: str) -> str:
    record = iam.repository.load_entity(caller.account_id, USER, name)
    if record is not None:
        return record.arn(caller.partition)
    return Principal("", caller.account_id, name).arn(caller.partition)


def _owner(iam: Iam, caller: Caller, action: str, user_name: str | None) -> str:
    """The name of the user whose keys the operation acts on, once authorized."""
    if user_name is None:
        name = caller_user_name(caller)
        caller.authorize(action, _user_arn(iam, caller, name))
        return name
    record = iam.repository.load_entity(caller.account_id, USER, user_name)
    caller.authorize(action, arn_for(caller, USER, user_name, record))
    if record is None:
        if user_name == caller.principal.user_name and caller.principal.role_session is None:
            return user_name  # the caller's own keys, made by the operator for a name
        raise no_such_entity(USER, user_name)
    return record.name


def _users_key(iam: Iam, caller: Caller, owner: str, access_key_id: str) -> AccessKey:
    key = iam.access_keys.find(access_key_id)
    if (
        key is None
        or key.principal.role_session is not None
        or key.principal.account_id != caller.account_id
        or key.principal.user_name != owner
    ):
        raise NoSuchEntityException(f"The Access Key with id {access_key_id} cannot be found.")
    return key


def _user_name_member(name: str) -> dict[str, str]:
    return {} if name == ROOT else {"UserName": name}


@writes
def create_access_key(iam: Iam, caller: Caller, *, UserName: str | None = None) -> dict[str, Any]:
    """Make an Active key for the user (at most two per user)."""
    owner = _owner(iam, caller, "iam:CreateAccessKey", UserName)
    key = iam.access_keys.create(caller.account_id, owner, limit=ACCESS_KEYS_PER_USER)
    return {
        "AccessKey": {
            **_user_name_member(owner),
            "AccessKeyId": key.access_key_id,
            "Status": key.status,
            "SecretAccessKey": key.secret_access_key,
            "CreateDate": key.created,
        }
    }


def list_access_keys(
    iam: Iam,
    caller: Caller,
    *,
    UserName: str | None = None,
    Marker: str | None = None,
    MaxItems: int | None = None,
) -> dict[str, Any]:
    """The user's keys (ids, status, creation; never secrets)."""
    owner = _owner(iam, caller, "iam:ListAccessKeys", UserName)
    keys = [k for k in iam.access_keys.list(caller.account_id) if k.principal.user_name == owner]
    chosen, more = page(keys, lambda k: k.access_key_id, Marker, MaxItems)
    metadata = [
        {
            **_user_name_member(owner),
            "AccessKeyId": k.access_key_id,
            "Status": k.status,
            **({} if k.created is None else {"CreateDate": k.created}),
        }
        for k in chosen
    ]
    return {"AccessKeyMetadata": metadata, **more}


@writes
def update_access_key(
    iam: Iam,
    caller: Caller,
    *,
    AccessKeyId: str,
    Status: str,
    UserName: str | None = None,
) -> dict[str, Any]:
    """Make the user's key Active or Inactive."""
    owner = _owner(iam, caller, "iam:UpdateAccessKey", UserName)
    if Status not in (ACTIVE, INACTIVE):
        raise InvalidInputException(f"Status {Status} is not valid: Active or Inactive.")
    _users_key(iam, caller, owner, AccessKeyId)
    iam.access_keys.set_status(caller.account_id, AccessKeyId, Status)
    return {}


def delete_access_key(
    iam: Iam, caller: Caller, *, AccessKeyId: str, UserName: str | None = None
) -> dict[str, Any]:
    """Delete the user's key for good (see the module docstring for its transaction)."""
    owner = _owner(iam, caller, "iam:DeleteAccessKey", UserName)
    _users_key(iam, caller, owner, AccessKeyId)
    iam.access_keys.delete(caller.account_id, AccessKeyId)
    return {}


def get_access_key_last_used(iam: Iam, caller: Caller, *, AccessKeyId: str) -> dict[str, Any]:
    """When, where and with which service the key last signed a request."""
    keys = iam.access_keys.list(caller.account_id)
    key = next((k for k in keys if k.access_key_id == AccessKeyId), None)
    owner = None if key is None else key.principal.user_name
    resource = (
        f"arn:{caller.partition}:iam::{caller.account_id}:user/*"
        if owner is None
        else _user_arn(iam, caller, owner)
    )
    caller.authorize("iam:GetAccessKeyLastUsed", resource)
    if key is None or owner is None:
        raise NoSuchEntityException(f"The Access Key with id {AccessKeyId} cannot be found.")
    use = key.last_used
    last: dict[str, Any] = (
        {"ServiceName": "N/A", "Region": "N/A"}
        if use is None
        else {"LastUsedDate": use.time, "ServiceName": use.service, "Region": use.region}
    )
    return {**_user_name_member(owner), "AccessKeyLastUsed": last}


OPERATIONS: dict[str, Operation] = {
    "CreateAccessKey": create_access_key,
    "ListAccessKeys": list_access_keys,
    "UpdateAccessKey": update_access_key,
    "DeleteAccessKey": delete_access_key,
    "GetAccessKeyLastUsed": get_access_key_last_used,
}
