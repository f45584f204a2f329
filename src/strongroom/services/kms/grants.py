"""Grants: CreateGrant, ListGrants, ListRetirableGrants, RetireGrant, RevokeGrant.

A grant lets a principal use a key for some operations, perhaps only under an encryption
context constraint, without a change to any policy; `grant_check` is where grants join
the key's access decision, `grant_rules` says what a grant may hold, `grant_principals`
whom it may name, `grant_token` what its token is and `grant_retirement` who may retire
it.

AWS's rules kept here:
- CreateGrant needs kms:CreateGrant on the key (key policy, IAM, or a grant allowing
  CreateGrant), with the condition keys kms:GranteePrincipal, kms:RetiringPrincipal,
  kms:GrantOperations, kms:GrantConstraintType, kms:GrantIsForAWSResource (true when an
  AWS service calls for the caller) and kms:EncryptionContext:* / kms:EncryptionContextKeys
  of the constraints. A disabled key is DisabledException, one pending deletion
  KMSInvalidStateException. With a Name, the same name and the same parameters return the
  grant made before (with a new token); anything else makes a new grant.
- RetireGrant is authorized by the grant, not the key policy (`grant_retirement`).
- RevokeGrant and ListGrants need their permission on the key (kms:GrantIsForAWSResource
  passed too); ListRetirableGrants needs kms:ListRetirableGrants on the retiring principal
  named (the resource AWS authorizes it on).
- Limits: 50,000 grants per key and 500 per grantee on a key (AWS's quotas), else
  LimitExceededException. ListGrants pages at most 100 (default 50), in grant id order.

Every write runs in one transaction; a refused or invalid call changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from strongroom.errors import (
    DisabledException,
    InvalidMarkerException,
    LimitExceededException,
    NotFoundException,
)
from strongroom.services.caller import Caller, Context
from strongroom.services.kms import grant_token
from strongroom.services.kms.grant_check import RequestedGrant
from strongroom.services.kms.grant_principals import (
    account_root,
    check_principal,
    principal_key,
)
from strongroom.services.kms.grant_retirement import (
    GRANT_ID,
    authorize_retire,
    grant_id_of,
    grant_to_retire,
)
from strongroom.services.kms.grant_rules import Constraints as GrantConstraints
from strongroom.services.kms.grant_rules import check_constraints, check_operations
from strongroom.services.kms.key_access import encryption_context_keys
from strongroom.services.kms.records import DISABLED, GrantRecord, KeyRecord
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    is_past_deletion,
    refuse_if_dry_run,
    require_not_pending_deletion,
    writes,
)

MAX_GRANTS_PER_KEY = 50_000
MAX_GRANTS_PER_GRANTEE = 500
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_RETIRABLE_MARKER = re.compile(
    r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})"
    r"/[0-9a-f]{64}"
)


# --- CreateGrant ------------------------------------------------------------------


def _require_grantable(record: KeyRecord) -> None:
    if record.state == DISABLED:
        raise DisabledException(f"{record.arn} is disabled.")
    require_not_pending_deletion(record)


def _for_aws_resource(caller: Caller) -> dict[str, tuple[str, ...]]:
    return {"kms:GrantIsForAWSResource": ("true" if caller.via_service else "false",)}


def _create_keys(
    caller: Caller,
    grantee: str,
    retiring: str | None,
    operations: list[str],
    constraints: GrantConstraints,
) -> Context:
    """CreateGrant's condition keys."""
    keys: dict[str, tuple[str, ...]] = {
        "kms:GranteePrincipal": (grantee,),
        "kms:GrantOperations": tuple(operations),
        **_for_aws_resource(caller),
        **encryption_context_keys(constraints.pairs() or None),
    }
    if retiring is not None:
        keys["kms:RetiringPrincipal"] = (retiring,)
    if constraints.types:
        keys["kms:GrantConstraintType"] = constraints.types
    return keys


@writes
def create_grant(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    GranteePrincipal: str,
    Operations: list[str],
    RetiringPrincipal: str | None = None,
    Constraints: Mapping[str, Any] | None = None,
    GrantTokens: list[str] | None = None,
    Name: str | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """CreateGrant: a new grant on the key (or, with a Name, the same one again)."""
    constraints = GrantConstraints.of(Constraints)
    operations = list(dict.fromkeys(Operations))
    record = authorized_key(
        kms,
        caller,
        "kms:CreateGrant",
        KeyId,
        aliases=False,
        check=_require_grantable,
        context=_create_keys(caller, GranteePrincipal, RetiringPrincipal, operations, constraints),
        requested_grant=RequestedGrant(frozenset(operations), constraints),
    )
    grantee = check_principal(GranteePrincipal)
    retiring = None if RetiringPrincipal is None else check_principal(RetiringPrincipal)
    operations = check_operations(record, operations)
    check_constraints(record, constraints)
    refuse_if_dry_run(DryRun)
    existing = kms.repository.load_key_grants(record.account, record.region, record.key_id)
    same = _same_grant(existing, Name, grantee, retiring, operations, constraints)
    if same is not None:
        return _created(kms, same)
    _check_limits(record, existing, grantee)
    grant = GrantRecord(
        grant_id=kms.random(32).hex(),
        key_id=record.key_id,
        account=record.account,
        region=record.region,
        partition=record.partition,
        created=kms.clock.now(),
        grantee=grantee,
        operations=operations,
        issuing_account=account_root(caller),
        name=Name or "",
        retiring=retiring,
        equals=constraints.equals,
        subset=constraints.subset,
    )
    kms.repository.save_grant(grant)
    return _created(kms, grant)


def _same_grant(
    existing: list[GrantRecord],
    name: str | None,
    grantee: str,
    retiring: str | None,
    operations: list[str],
    constraints: GrantConstraints,
) -> GrantRecord | None:
    """The grant a retried CreateGrant with this Name and these parameters made."""
    if not name:
        return None
    for grant in existing:
        if (
            grant.name == name
            and grant.grantee == grantee
            and grant.retiring == retiring
            and set(grant.operations) == set(operations)
            and grant.equals == constraints.equals
            and grant.subset == constraints.subset
        ):
            return grant
    return None


def _check_limits(record: KeyRecord, existing: list[GrantRecord], grantee: str) -> None:
    if len(existing) >= MAX_GRANTS_PER_KEY:
        raise LimitExceededException(
            f"The key {record.arn} has {MAX_GRANTS_PER_KEY} grants, the most a key may have."
        )
    named = principal_key(grantee)
    if sum(principal_key(g.grantee) == named for g in existing) >= MAX_GRANTS_PER_GRANTEE:
        raise LimitExceededException(
            f"The key {record.arn} has {MAX_GRANTS_PER_GRANTEE} grants for {grantee}, "
            "the most one grantee principal may have on a key."
        )


def _created(kms: Kms, grant: GrantRecord) -> dict[str, Any]:
    ref = grant_token.GrantRef(grant.account, grant.region, grant.key_id, grant.grant_id)
    return {
        "GrantToken": grant_token.encode(ref, kms.random(grant_token.NONCE_BYTES)),
        "GrantId": grant.grant_id,
    }


# --- listing ----------------------------------------------------------------------


def _limit(limit: int | None) -> int:
    return DEFAULT_LIMIT if limit is None else min(limit, MAX_LIMIT)


def list_grants(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Limit: int | None = None,
    Marker: str | None = None,
    GrantId: str | None = None,
    GranteePrincipal: str | None = None,
) -> dict[str, Any]:
    """ListGrants: the key's grants, filtered by grant ID or grantee principal."""
    record = authorized_key(
        kms, caller, "kms:ListGrants", KeyId, aliases=False, context=_for_aws_resource(caller)
    )
    if Marker is not None and not GRANT_ID.fullmatch(Marker):
        raise InvalidMarkerException("Invalid marker")
    wanted = None if GrantId is None else grant_id_of(GrantId)
    grants = kms.repository.key_grants(record.account, record.region, record.key_id)
    chosen = (
        (grant.grant_id, grant)
        for grant in grants.after(Marker)
        if (wanted is None or grant.grant_id == wanted)
        and (GranteePrincipal is None or grant.grantee == GranteePrincipal)
    )
    return _page(chosen, _limit(Limit))


def list_retirable_grants(
    kms: Kms,
    caller: Caller,
    *,
    RetiringPrincipal: str,
    Limit: int | None = None,
    Marker: str | None = None,
) -> dict[str, Any]:
    """ListRetirableGrants: the grants of the account and region naming this retiring
    principal, in key and grant id order."""
    caller.authorize("kms:ListRetirableGrants", RetiringPrincipal)
    if Marker is not None and not _RETIRABLE_MARKER.fullmatch(Marker):
        raise InvalidMarkerException("Invalid marker")
    chosen = (
        (position, grant)
        for position, grant in kms.repository.account_grants(
            caller.account_id, caller.region, Marker
        )
        if grant.retiring == RetiringPrincipal and not _key_gone(kms, grant)
    )
    return _page(chosen, _limit(Limit))


def _key_gone(kms: Kms, grant: GrantRecord) -> bool:
    """Whether the grant's key is past its deletion date (its grants go with it)."""
    record = kms.repository.key(grant.account, grant.region, grant.key_id)
    return record is None or is_past_deletion(kms, record)


def _page(chosen: Iterable[tuple[str, GrantRecord]], limit: int) -> dict[str, Any]:
    """One page of (marker, grant) pairs: the first `limit`, and whether more follow."""
    page: list[tuple[str, GrantRecord]] = []
    truncated = False
    for item in chosen:
        if len(page) == limit:
            truncated = True
            break
        page.append(item)
    result: dict[str, Any] = {"Grants": [g.entry() for _, g in page], "Truncated": truncated}
    if truncated:
        result["NextMarker"] = page[-1][0]
    return result


# --- retiring and revoking --------------------------------------------------------


@writes
def retire_grant(
    kms: Kms,
    caller: Caller,
    *,
    GrantToken: str | None = None,
    KeyId: str | None = None,
    GrantId: str | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """RetireGrant: the grant, named by its token or by key and grant ID, is deleted."""
    grant = grant_to_retire(kms, caller, GrantToken, KeyId, GrantId)
    authorize_retire(caller, grant)
    refuse_if_dry_run(DryRun)
    kms.repository.remove_grant(grant)
    return {}


@writes
def revoke_grant(
    kms: Kms, caller: Caller, *, KeyId: str, GrantId: str, DryRun: bool = False
) -> dict[str, Any]:
    """RevokeGrant: the key's grant is deleted, by whoever may kms:RevokeGrant the key."""
    record = authorized_key(
        kms, caller, "kms:RevokeGrant", KeyId, aliases=False, context=_for_aws_resource(caller)
    )
    grant_id = grant_id_of(GrantId)
    grant = kms.repository.load_grant(record.account, record.region, record.key_id, grant_id)
    if grant is None:
        raise NotFoundException(f"Grant '{grant_id}' does not exist")
    refuse_if_dry_run(DryRun)
    kms.repository.remove_grant(grant)
    return {}


OPERATIONS: dict[str, Operation] = {
    "CreateGrant": create_grant,
    "ListGrants": list_grants,
    "ListRetirableGrants": list_retirable_grants,
    "RetireGrant": retire_grant,
    "RevokeGrant": revoke_grant,
}
