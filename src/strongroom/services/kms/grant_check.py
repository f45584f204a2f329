"""The grants half of a key's access decision (`KeyAccess.grants`).

`KeyAccess` asks only when the key policy and IAM policies leave a request implicitly
denied (an explicit deny anywhere still wins). A grant then allows it when it is on the
key, names the caller (`grant_principals`), lists the operation (`kms:Decrypt` is the
grant operation `Decrypt`), and the request's encryption context meets its constraints
(`grant_rules.meets`). A grant naming the caller's account (its root ARN) allows a
principal of that account only as far as the principal's IAM policies allow the action
on the key: AWS delegates an account's grants to the account's administrators.

CreateGrant through a grant also needs what is being granted (`RequestedGrant`, which
`grants.create_grant` passes through `authorized_key`): a subset of the grant's
operations under constraints at least as strict.
Grants are used at once: a grant token (as AWS needs it until a grant is consistent
everywhere) is never required here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from strongroom.policy import Decision
from strongroom.services.caller import Caller, Context
from strongroom.services.kms.grant_principals import account_root, caller_keys
from strongroom.services.kms.grant_rules import Constraints, at_least_as_strict, meets
from strongroom.services.kms.key_access import GrantCheck
from strongroom.services.kms.records import GrantRecord, KeyRecord
from strongroom.services.kms.repository import KmsRepository


@dataclass(frozen=True, slots=True)
class RequestedGrant:
    """What a CreateGrant call asks to grant."""

    operations: frozenset[str]
    constraints: Constraints


def grant_check(repository: KmsRepository) -> GrantCheck:
    """The hook for `KeyAccess.grants`, reading grants from `repository`."""

    def allows(
        caller: Caller,
        action: str,
        record: KeyRecord,
        encryption_context: Mapping[str, str] | None,
        requested: object,
        keys: Context,
    ) -> bool:
        asked = requested if isinstance(requested, RequestedGrant) else None
        grants = repository.key_grants(record.account, record.region, record.key_id)
        if not grants.grants:
            return False
        operation = action.removeprefix("kms:")
        names = caller_keys(caller)
        for grant in grants.naming(names):
            if _allows(grant, operation, encryption_context, asked):
                return True
        root = account_root(caller)
        if caller.principal.service is None and root not in names:
            for grant in grants.naming((root,)):
                if _allows(grant, operation, encryption_context, asked) and _delegated(
                    caller, action, record, keys
                ):
                    return True
        return False

    return allows


def _allows(
    grant: GrantRecord,
    operation: str,
    context: Mapping[str, str] | None,
    asked: RequestedGrant | None,
) -> bool:
    if operation not in grant.operations:
        return False
    if operation != "CreateGrant":
        return meets(grant, operation, context)
    return (
        asked is not None
        and asked.operations <= frozenset(grant.operations)
        and at_least_as_strict(asked.constraints, grant)
    )


def _delegated(caller: Caller, action: str, record: KeyRecord, keys: Context) -> bool:
    """Whether the caller's IAM policies allow `action` on the key (no key policy), with
    the request's condition keys."""
    verdict = caller.verdict(action, record.arn, keys)
    return verdict.decision is Decision.ALLOW
