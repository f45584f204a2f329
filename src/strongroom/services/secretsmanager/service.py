"""The Secrets Manager service's dependencies and the lookups every operation shares.

`SecretsManager` is built once by the package's `plugin`; operations are plain functions
`(sm, caller, **params)`. A `SecretId` is resolved the way AWS resolves it (name, full
ARN, partial ARN), always within the caller's account and region. An operation on one
secret gets it from `authorized_secret` (read-only) or `secret_to_change` (a private
copy): found, then authorized (identity policies and the secret's resource policy, with
the request's condition keys: see `secret_access`), then its state checked, in that
order, so authorizing first is structural.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import (
    InvalidParameterException,
    InvalidRequestException,
    ResourceNotFoundException,
    ValidationException,
)
from strongroom.services.caller import NO_CONTEXT, Caller, Context
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations
from strongroom.services.secretsmanager.functions_gateway import FunctionsGateway
from strongroom.services.secretsmanager.kms_gateway import KmsGateway
from strongroom.services.secretsmanager.records import SecretRecord
from strongroom.services.secretsmanager.repository import SecretsRepository
from strongroom.services.secretsmanager.secret_access import SecretAccess

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_DELETED = (
    "You can't perform this operation on the secret because it was marked for deletion."
)
ON_REPLICA = (
    "Operation not permitted on a replica secret. Call must be made in primary secret's region."
)
_NAME = re.compile(r"[A-Za-z0-9/_+=.@!-]+")
_FULL_ARN_TAIL = re.compile(r"-[A-Za-z0-9]{6}")


@dataclass(slots=True)
class SecretsManager:
    """What Secrets Manager operations work with."""

    repository: SecretsRepository
    kms: KmsGateway
    clock: Clock
    random: RandomBytes
    functions: FunctionsGateway | None = None
    """Rotation functions (the Lambda service); None where the server has none."""
    wake_rotations: Callable[[], None] | None = None
    """Tells the rotation engine a rotation was just asked for."""
    access: SecretAccess = field(default_factory=SecretAccess)
    """Authorizes operations on one secret."""

    def forget_caches(self) -> None:
        """Drop cached records (after a rolled-back write, a wipe or a seal), KMS's too:
        a rolled-back write may have created the managed key inside the same transaction."""
        self.repository.forget()
        self.kms.forget()


OperationT = TypeVar("OperationT", bound=Operation)


def writes(operation: OperationT) -> OperationT:
    """Run a mutating operation as one storage transaction (see KMS's `writes`): its
    reads and writes, KMS's included, commit together or not at all, serialized against
    every other process on the same storage."""

    @functools.wraps(operation)
    def run(sm: SecretsManager, caller: Caller, **params: Any) -> dict[str, Any]:
        try:
            with sm.repository.transaction():
                return operation(sm, caller, **params)
        except BaseException:
            sm.forget_caches()
            raise

    return run  # type: ignore[return-value]


def check_name(name: str) -> None:
    """Refuse a name outside AWS's alphabet (letters, digits and `/_+=.@-!`)."""
    if not _NAME.fullmatch(name):
        raise ValidationException(
            "Invalid name. Must be a valid name containing alphanumeric characters, "
            "or any of the following: -/_+=.@!"
        )


def _name_and_suffix(caller: Caller, secret_id: str, strict: bool) -> tuple[str, str | None]:
    """(name, ARN suffix or None) that `secret_id` names in the caller's namespace.

    A name outside the alphabet is a ValidationException when `strict` (AWS's answer for
    most operations), else simply not found (the resource-policy operations)."""
    if not secret_id.startswith("arn:"):
        if strict:
            check_name(secret_id)
        elif not _NAME.fullmatch(secret_id):
            raise ResourceNotFoundException(NOT_FOUND)
        return secret_id, None
    parts = secret_id.split(":", 6)
    if (
        len(parts) != 7
        or parts[1] != caller.partition
        or parts[2] != "secretsmanager"
        or parts[3] != caller.region
        or parts[4] != caller.account_id
        or parts[5] != "secret"
        or not _NAME.fullmatch(parts[6])
    ):
        raise ResourceNotFoundException(NOT_FOUND)
    resource = parts[6]
    if len(resource) > 7 and _FULL_ARN_TAIL.fullmatch(resource[-7:]):
        return resource[:-7], resource[-6:]  # a full ARN: its suffix must match too
    return resource, None  # a partial ARN: the name


def find_secret(
    sm: SecretsManager, caller: Caller, secret_id: str, *, strict: bool = True
) -> SecretRecord:
    """The secret `secret_id` names (shared, read-only), or ResourceNotFoundException.

    An ARN ending in `-` and six characters is a full ARN: name and suffix must both
    match. Any other ARN is a partial one: its resource part is the name. So, as in AWS, a
    secret whose name ends like a suffix is found by name or full ARN, not partial ARN."""
    name, suffix = _name_and_suffix(caller, secret_id, strict)
    record = sm.repository.secret(caller.account_id, caller.region, name)
    if record is None or (suffix is not None and record.suffix != suffix):
        raise ResourceNotFoundException(NOT_FOUND)
    return record


SecretCheck = Callable[[SecretRecord], None]
"""A secret-state check run once the caller is authorized (`require_not_deleted`, ...)."""


def authorized_secret(
    sm: SecretsManager,
    caller: Caller,
    action: str,
    secret_id: str,
    *,
    check: SecretCheck | None = None,
    strict: bool = True,
    context: Context = NO_CONTEXT,
) -> SecretRecord:
    """The secret (shared, read-only), once `caller` may do `action` on it (with the
    request's condition keys `context`) and `check` passed: find, authorize, check, in
    that order; a secret that is not there is ResourceNotFoundException only to a caller
    that may do `action` on what `secret_id` names (`SecretAccess.authorize_missing`)."""
    try:
        record = find_secret(sm, caller, secret_id, strict=strict)
    except ResourceNotFoundException:
        sm.access.authorize_missing(caller, action, secret_id, context)
        raise
    sm.access.authorize(caller, action, record, secret_id=secret_id, context=context)
    if check is not None:
        check(record)
    return record


def secret_to_change(
    sm: SecretsManager,
    caller: Caller,
    action: str,
    secret_id: str,
    *,
    check: SecretCheck | None = None,
    strict: bool = True,
    context: Context = NO_CONTEXT,
) -> SecretRecord:
    """Like `authorized_secret`, but a private copy read inside the operation's
    transaction (authorized as it is there), to change and `save`."""
    try:
        found = find_secret(sm, caller, secret_id, strict=strict)
    except ResourceNotFoundException:
        sm.access.authorize_missing(caller, action, secret_id, context)
        raise
    record = sm.repository.load(found.account, found.region, found.name)
    _, suffix = _name_and_suffix(caller, secret_id, strict)
    if record is None or (suffix is not None and record.suffix != suffix):
        # gone since the cache saw it (a name alone names whichever secret holds it now)
        sm.access.authorize_missing(caller, action, secret_id, context)
        raise ResourceNotFoundException(NOT_FOUND)
    sm.access.authorize(caller, action, record, secret_id=secret_id, context=context, shared=False)
    if check is not None:
        check(record)
    return record


def require_not_deleted(record: SecretRecord) -> None:
    """Refuse an operation AWS refuses on a secret scheduled for deletion."""
    if record.is_deleted:
        raise InvalidRequestException(MARKED_DELETED)


def require_primary(record: SecretRecord) -> None:
    """Refuse a change that only the primary secret's region may make."""
    if record.primary_region is not None:
        raise InvalidParameterException(ON_REPLICA)


def require_changeable(record: SecretRecord) -> None:
    """Not scheduled for deletion, and not a replica."""
    require_not_deleted(record)
    require_primary(record)


def touch(sm: SecretsManager, record: SecretRecord) -> None:
    """Mark a metadata change: LastChangedDate moves to now."""
    record.last_changed = round(sm.clock.now(), 3)
