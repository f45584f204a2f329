"""Aliases: friendly names for keys, within one account and region.

A name starts with `alias/`; names under `alias/aws/` belong to AWS managed keys
(`managed_keys`), so no caller creates, moves or deletes one. Errors carry AWS's codes and
messages: a name without the prefix, a reserved name (no message, as AWS sends none), a
duplicate, a missing alias.
"""

from __future__ import annotations

from typing import Any

from strongroom.errors import (
    AlreadyExistsException,
    InvalidMarkerException,
    KMSInvalidStateException,
    NotAuthorizedException,
    NotFoundException,
    ValidationException,
)
from strongroom.services.caller import Caller
from strongroom.services.kms.records import AliasRecord, alias_arn
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    find_key,
    require_not_pending_deletion,
    writes,
)

PREFIX = "alias/"
RESERVED_PREFIX = "alias/aws/"


def _check_prefix(name: str) -> None:
    if not name.startswith(PREFIX):
        raise ValidationException(
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
        )


def _check_alias_name(name: str) -> None:
    """The rules CreateAlias and UpdateAlias apply to the alias name."""
    _check_prefix(name)
    if name.startswith(RESERVED_PREFIX):
        raise NotAuthorizedException("")
    if ":" in name:
        raise ValidationException(f"{name} contains invalid characters for an alias")
    if name == PREFIX:
        raise ValidationException("Alias must not be empty")


def _target(kms: Kms, caller: Caller, target_key_id: str, action: str) -> str:
    """The key an alias will point at; the caller needs `action` on it too, as in AWS."""
    if target_key_id.startswith(PREFIX) or f":{PREFIX}" in target_key_id:
        raise ValidationException("Aliases must refer to keys. Not aliases")
    record = authorized_key(
        kms, caller, action, target_key_id, aliases=False, check=require_not_pending_deletion
    )
    return record.key_id


def _authorize_current_target(kms: Kms, caller: Caller, alias: AliasRecord, action: str) -> None:
    record = kms.repository.key(caller.account_id, caller.region, alias.target_key_id)
    if record is not None:
        kms.access.authorize(caller, action, record)


def _arn(caller: Caller, name: str) -> str:
    return alias_arn(caller.partition, caller.region, caller.account_id, name)


@writes
def create_alias(kms: Kms, caller: Caller, *, AliasName: str, TargetKeyId: str) -> dict[str, Any]:
    """CreateAlias: a new name for a key; names are unique per account and region."""
    _check_alias_name(AliasName)
    caller.authorize("kms:CreateAlias", _arn(caller, AliasName))
    key_id = _target(kms, caller, TargetKeyId, "kms:CreateAlias")
    if kms.repository.load_alias(caller.account_id, caller.region, AliasName) is not None:
        raise AlreadyExistsException(
            f"An alias with the name {_arn(caller, AliasName)} already exists"
        )
    now = kms.clock.now()
    kms.repository.save_alias(
        caller.account_id, caller.region, AliasRecord(AliasName, key_id, now, now)
    )
    return {}


def _existing(kms: Kms, caller: Caller, name: str) -> AliasRecord:
    """The alias as storage holds it inside the write's transaction (never a cached copy,
    which another process's write may have overtaken), private to change."""
    alias = kms.repository.load_alias(caller.account_id, caller.region, name)
    if alias is None:
        raise NotFoundException(f"Alias {_arn(caller, name)} is not found.")
    return alias


@writes
def update_alias(kms: Kms, caller: Caller, *, AliasName: str, TargetKeyId: str) -> dict[str, Any]:
    """UpdateAlias: point an existing alias at another key."""
    _check_alias_name(AliasName)
    caller.authorize("kms:UpdateAlias", _arn(caller, AliasName))
    alias = _existing(kms, caller, AliasName)
    _authorize_current_target(kms, caller, alias, "kms:UpdateAlias")
    new_target = _target(kms, caller, TargetKeyId, "kms:UpdateAlias")
    _require_same_kind(kms, caller, alias.target_key_id, new_target)
    alias.target_key_id = new_target
    alias.updated = kms.clock.now()
    kms.repository.save_alias(caller.account_id, caller.region, alias)
    return {}


def _require_same_kind(kms: Kms, caller: Caller, current_id: str, new_id: str) -> None:
    """UpdateAlias moves an alias only between keys of one type (symmetric, asymmetric or
    HMAC) and one key usage, as AWS requires: code using the alias keeps working."""
    current = kms.repository.key(caller.account_id, caller.region, current_id)
    new = kms.repository.key(caller.account_id, caller.region, new_id)
    if current is None or new is None:
        return
    if (current.spec.form, current.key_usage) != (new.spec.form, new.key_usage):
        raise ValidationException(
            f"{new.arn} is not the same type of key, with the same key usage, as the "
            f"alias's current key {current.arn}."
        )


@writes
def delete_alias(kms: Kms, caller: Caller, *, AliasName: str) -> dict[str, Any]:
    """DeleteAlias: the key itself is untouched."""
    _check_prefix(AliasName)
    if AliasName.startswith(RESERVED_PREFIX):
        raise KMSInvalidStateException(
            f"The alias {AliasName} is a AWS managed alias and cannot be deleted."
        )
    caller.authorize("kms:DeleteAlias", _arn(caller, AliasName))
    _authorize_current_target(kms, caller, _existing(kms, caller, AliasName), "kms:DeleteAlias")
    kms.repository.remove_alias(caller.account_id, caller.region, AliasName)
    return {}


def list_aliases(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str | None = None,
    Limit: int = 100,
    Marker: str | None = None,
) -> dict[str, Any]:
    """ListAliases: every alias of the account and region, or those of one key."""
    caller.authorize("kms:ListAliases", "*")
    key_id = None if KeyId is None else find_key(kms, caller, KeyId, aliases=False).key_id
    entries = [
        alias
        for alias in kms.repository.aliases(caller.account_id, caller.region)
        if key_id is None or alias.target_key_id == key_id
    ]
    start = 0
    if Marker is not None:
        names = [alias.name for alias in entries]
        if Marker not in names:
            raise InvalidMarkerException("Invalid marker")
        start = names.index(Marker) + 1
    page = entries[start : start + Limit]
    truncated = start + Limit < len(entries)
    result: dict[str, Any] = {
        "Aliases": [
            {
                "AliasName": alias.name,
                "AliasArn": _arn(caller, alias.name),
                "TargetKeyId": alias.target_key_id,
                "CreationDate": alias.created,
                "LastUpdatedDate": alias.updated,
            }
            for alias in page
        ],
        "Truncated": truncated,
    }
    if truncated:
        result["NextMarker"] = page[-1].name
    return result


OPERATIONS: dict[str, Operation] = {
    "CreateAlias": create_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
