"""The IAM service's dependencies and the lookups every operation shares.

`Iam` is built once by the package's `plugin`; operations are plain functions
`(iam, caller, **params)`. An operation on one user, group, role or managed policy gets
it from `authorized_entity` / `authorized_policy` (read-only) or their `*_to_change`
twins (a private copy read inside the operation's transaction): looked up, then
authorized on its ARN, then refused as missing, in that order, so a caller without
permission learns nothing of what exists and authorizing first is structural. IAM is
global: ARNs have no region, and every record belongs to the caller's account.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes
from strongroom.errors import InvalidInputException, NoSuchEntityException
from strongroom.identity import AccessKeyStore
from strongroom.identity.access_keys import new_access_key_id
from strongroom.services.caller import Caller
from strongroom.services.iam.records import (
    ID_PREFIXES,
    EntityRecord,
    PolicyRecord,
    entity_arn,
)
from strongroom.services.iam.repository import IamRepository
from strongroom.services.plugin import Operation as Operation  # re-exported to the operations


@dataclass(slots=True)
class Iam:
    """What IAM operations work with."""

    repository: IamRepository
    access_keys: AccessKeyStore
    clock: Clock
    random: RandomBytes

    def new_id(self, kind: str) -> str:
        """A unique id in AWS's style for a user, group, role or policy."""
        return new_access_key_id(self.random, ID_PREFIXES[kind])

    def forget_caches(self) -> None:
        """Drop cached records (after a rolled-back write, on seal or after a reset)."""
        self.repository.forget()
        self.access_keys.forget_cache()


OperationT = TypeVar("OperationT", bound=Operation)


def writes(operation: OperationT) -> OperationT:
    """Run a mutating operation as one storage transaction (the access key store's
    writes included); a failure rolls everything back and drops the caches."""

    @functools.wraps(operation)
    def run(iam: Iam, caller: Caller, **params: Any) -> dict[str, Any]:
        with write_transaction(iam):
            return operation(iam, caller, **params)

    return run  # type: ignore[return-value]


@contextlib.contextmanager
def write_transaction(iam: Iam) -> Iterator[None]:
    """One storage transaction for a write; a failure drops the caches."""
    try:
        with iam.repository.transaction():
            yield
    except BaseException:
        iam.forget_caches()
        raise


# --- users, groups, roles -------------------------------------------------------------

_NOUNS = {"user": "user", "group": "group", "role": "role"}


def no_such_entity(kind: str, name: str) -> NoSuchEntityException:
    """AWS's NoSuchEntity for a user, group or role."""
    return NoSuchEntityException(f"The {_NOUNS[kind]} with name {name} cannot be found.")


def arn_for(caller: Caller, kind: str, name: str, record: EntityRecord | None) -> str:
    """The ARN to authorize on: the record's, or (absent) the name's at path `/`."""
    if record is not None:
        return record.arn(caller.partition)
    return entity_arn(caller.partition, caller.account_id, kind, "/", name)


def authorized_entity(iam: Iam, caller: Caller, action: str, kind: str, name: str) -> EntityRecord:
    """The user, group or role (shared, read-only), once `caller` may do `action` on it."""
    record = iam.repository.entity(caller.account_id, kind, name)
    caller.authorize(action, arn_for(caller, kind, name, record))
    if record is None:
        raise no_such_entity(kind, name)
    return record


def entity_to_change(iam: Iam, caller: Caller, action: str, kind: str, name: str) -> EntityRecord:
    """Like `authorized_entity`, but a private copy to change and save."""
    record = iam.repository.load_entity(caller.account_id, kind, name)
    caller.authorize(action, arn_for(caller, kind, name, record))
    if record is None:
        raise no_such_entity(kind, name)
    return record


def existing_entity(iam: Iam, caller: Caller, kind: str, name: str) -> EntityRecord:
    """A private copy of another entity an operation involves (already authorized on its
    main resource): AddUserToGroup's user, say."""
    record = iam.repository.load_entity(caller.account_id, kind, name)
    if record is None:
        raise no_such_entity(kind, name)
    return record


# --- managed policies ----------------------------------------------------------------


def policy_name_of(caller: Caller, policy_arn: str) -> tuple[str, str]:
    """(path, name) of a customer managed policy ARN in the caller's account.

    A malformed ARN is InvalidInput; a well-formed one of another account (AWS managed
    policies included: Strongroom has none) is NoSuchEntity.
    """
    parts = policy_arn.split(":", 5)
    resource = parts[5] if len(parts) == 6 else ""
    if (
        len(parts) != 6
        or parts[0] != "arn"
        or parts[2] != "iam"
        or parts[3] != ""
        or not resource.startswith("policy/")
        or resource.endswith("/")
    ):
        raise InvalidInputException(f"ARN {policy_arn} is not valid.")
    path, _, name = resource[len("policy") :].rpartition("/")
    if parts[1] != caller.partition or parts[4] != caller.account_id:
        raise no_such_policy(policy_arn)
    return path + "/", name


def no_such_policy(policy_arn: str) -> NoSuchEntityException:
    """AWS's NoSuchEntity for a managed policy."""
    return NoSuchEntityException(f"Policy {policy_arn} does not exist or is not attachable.")


def _matching(caller: Caller, policy_arn: str, record: PolicyRecord | None) -> PolicyRecord:
    if record is None or record.arn(caller.partition) != policy_arn:
        raise no_such_policy(policy_arn)
    return record


def authorized_policy(iam: Iam, caller: Caller, action: str, policy_arn: str) -> PolicyRecord:
    """The managed policy (shared, read-only), once `caller` may do `action` on it."""
    caller.authorize(action, policy_arn)
    _, name = policy_name_of(caller, policy_arn)
    return _matching(caller, policy_arn, iam.repository.policy(caller.account_id, name))


def policy_to_change(iam: Iam, caller: Caller, action: str, policy_arn: str) -> PolicyRecord:
    """Like `authorized_policy`, but a private copy to change and save."""
    caller.authorize(action, policy_arn)
    _, name = policy_name_of(caller, policy_arn)
    return _matching(caller, policy_arn, iam.repository.load_policy(caller.account_id, name))


def existing_policy(iam: Iam, caller: Caller, policy_arn: str) -> PolicyRecord:
    """The managed policy an operation on an entity names (attach, boundary), read
    inside its transaction; NoSuchEntity unless it is one of the account's."""
    _, name = policy_name_of(caller, policy_arn)
    return _matching(caller, policy_arn, iam.repository.load_policy(caller.account_id, name))
