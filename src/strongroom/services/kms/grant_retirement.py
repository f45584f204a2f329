"""RetireGrant's two questions: which grant a call names, and whether the caller may
retire it.

A call names a grant by its token (`grant_token`), or by key and grant ID; a token and
an ID or key given together must agree. AWS's rule for who may retire ("Retiring and
revoking grants"): the grant decides, not the key policy. Its retiring principal, and
its grantee when it allows RetireGrant, may retire it without any policy; the key's
account may (its root, and the principals its IAM policies allow kms:RetireGrant); an
account named as retiring principal or grantee delegates the same way to its
principals. An explicit deny of kms:RetireGrant in IAM policies refuses anyone.
"""

from __future__ import annotations

import re

from strongroom.errors import NotFoundException, ValidationException
from strongroom.policy import Decision
from strongroom.services.caller import Caller
from strongroom.services.kms import grant_token
from strongroom.services.kms.grant_errors import (
    InvalidGrantIdException,
    InvalidGrantTokenException,
)
from strongroom.services.kms.grant_principals import account_root, caller_keys, principal_key
from strongroom.services.kms.records import GrantRecord, key_arn
from strongroom.services.kms.service import Kms, is_past_deletion, key_id_of

GRANT_ID = re.compile(r"[0-9a-fA-F]{64}")
"""A grant ID: 64 hexadecimal digits (KMS makes them lower case)."""


def grant_id_of(value: str) -> str:
    """`value` as a grant ID, or InvalidGrantIdException."""
    if not GRANT_ID.fullmatch(value):
        raise InvalidGrantIdException(f"Invalid grantId '{value}'")
    return value.lower()


def _not_found_key(partition: str, region: str, account: str, key_id: str) -> NotFoundException:
    return NotFoundException(f"Key '{key_arn(partition, region, account, key_id)}' does not exist")


def grant_to_retire(
    kms: Kms, caller: Caller, token: str | None, key_ref: str | None, grant_ref: str | None
) -> GrantRecord:
    """The grant RetireGrant names, by token or by key and grant ID."""
    if token is None and (key_ref is None or grant_ref is None):
        raise ValidationException("Grant token OR (grant ID, key ID) must be specified")
    account, region = caller.account_id, caller.region
    if token is not None:
        ref = grant_token.decode(token)
        if grant_ref is not None and grant_id_of(grant_ref) != ref.grant_id:
            raise InvalidGrantIdException(f"Invalid grantId '{grant_ref}'")
        if key_ref is not None and key_id_of(kms, caller, key_ref, aliases=False) != ref.key_id:
            raise InvalidGrantTokenException("Invalid grant token")
        account, key_id, grant_id = ref.account, ref.key_id, ref.grant_id
        if ref.region != region:
            raise _not_found_key(caller.partition, ref.region, account, key_id)
    else:
        assert key_ref is not None and grant_ref is not None
        key_id = key_id_of(kms, caller, key_ref, aliases=False)
        grant_id = grant_id_of(grant_ref)
    record = kms.repository.key(account, region, key_id)
    if record is None or is_past_deletion(kms, record):
        raise _not_found_key(caller.partition, region, account, key_id)
    grant = kms.repository.load_grant(account, region, key_id, grant_id)
    if grant is None:
        raise NotFoundException(f"Grant '{grant_id}' does not exist")
    return grant


def authorize_retire(caller: Caller, grant: GrantRecord) -> None:
    """Raise AccessDeniedException unless `caller` may retire `grant` (module docstring)."""
    action = "kms:RetireGrant"
    verdict = caller.verdict(action, grant.key_arn)
    if verdict.decision is Decision.EXPLICIT_DENY:
        caller.refuse(action, grant.key_arn, verdict)
    retirers = [grant.retiring] if grant.retiring is not None else []
    if "RetireGrant" in grant.operations:
        retirers.append(grant.grantee)
    names = caller_keys(caller)
    if any(principal_key(retirer) in names for retirer in retirers):
        return
    if verdict.decision is Decision.ALLOW and (
        caller.account_id == grant.account or account_root(caller) in retirers
    ):
        return
    caller.refuse(action, grant.key_arn, verdict)
