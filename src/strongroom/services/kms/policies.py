"""Key policies: checked, stored and returned as AWS does (`key_access` enforces them).

Invariants: a policy document that is not a resource policy in IAM's grammar (not JSON,
nested deeper than the parser goes, a statement without a principal, ...) or is larger
than 32 KB is a MalformedPolicyDocumentException, never another error; and a new policy
that would not let its author change the policy again is refused unless
BypassPolicyLockoutSafetyCheck says otherwise (AWS's lockout safety check).
"""

from __future__ import annotations

import json
from typing import Any

from strongroom.errors import MalformedPolicyDocumentException, NotFoundException
from strongroom.policy import PolicyGrammarError, parse_policy
from strongroom.services.caller import Caller
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    writes,
)

POLICY_NAME = "default"


def bypass_keys(bypass: bool) -> dict[str, tuple[str, ...]]:
    """`kms:BypassPolicyLockoutSafetyCheck` as the request sets it."""
    return {"kms:BypassPolicyLockoutSafetyCheck": ("true" if bypass else "false",)}


def default_policy(partition: str, account: str) -> str:
    """The default key policy AWS writes: the account root may do everything."""
    document = {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [
            {
                "Sid": "Enable IAM User Permissions",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    return json.dumps(document, indent=2)


MAX_POLICY_BYTES = 32_768


def check_policy_document(policy: str) -> None:
    """Refuse a policy that is not a key policy (see the module docstring)."""
    if len(policy.encode("utf-8", "surrogatepass")) > MAX_POLICY_BYTES:
        raise MalformedPolicyDocumentException(
            f"The new key policy is larger than {MAX_POLICY_BYTES} bytes."
        )
    try:
        parse_policy(policy, resource_policy=True)
    except PolicyGrammarError as error:
        reason = str(error)  # the grammar's words, never the document's
        message = (
            f"The new key {reason.removeprefix('The ')}"
            if reason.startswith("The policy")
            else f"The new key policy is not valid: {reason}"
        )
        raise MalformedPolicyDocumentException(message) from None


def check_new_policy(
    kms: Kms, caller: Caller, record: KeyRecord, policy: str, bypass_lockout_check: bool
) -> None:
    """Refuse a malformed policy, and unless `bypass_lockout_check`, one under which the
    caller could not call PutKeyPolicy on the key afterwards."""
    check_policy_document(policy)
    if not bypass_lockout_check and not kms.access.would_allow(
        caller, "kms:PutKeyPolicy", record, policy
    ):
        raise MalformedPolicyDocumentException(
            "The new key policy will not allow you to update the key policy in the future."
        )


def _check_name(name: str) -> None:
    if name != POLICY_NAME:
        raise NotFoundException("No such policy exists")


def get_key_policy(
    kms: Kms, caller: Caller, *, KeyId: str, PolicyName: str = POLICY_NAME
) -> dict[str, Any]:
    """GetKeyPolicy: the key's one policy, named `default`."""
    record = authorized_key(kms, caller, "kms:GetKeyPolicy", KeyId, aliases=False)
    _check_name(PolicyName)
    return {"Policy": record.policy, "PolicyName": POLICY_NAME}


@writes
def put_key_policy(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Policy: str,
    PolicyName: str = POLICY_NAME,
    BypassPolicyLockoutSafetyCheck: bool = False,
) -> dict[str, Any]:
    """PutKeyPolicy: replace the key's policy."""
    record = key_to_change(
        kms,
        caller,
        "kms:PutKeyPolicy",
        KeyId,
        aliases=False,
        context=bypass_keys(BypassPolicyLockoutSafetyCheck),
    )
    _check_name(PolicyName)
    # Allowed in every key state, as AWS's key-state table says.
    check_new_policy(kms, caller, record, Policy, BypassPolicyLockoutSafetyCheck)
    record.policy = Policy
    kms.repository.save(record)
    return {}


def list_key_policies(
    kms: Kms, caller: Caller, *, KeyId: str, Limit: int = 100, Marker: str | None = None
) -> dict[str, Any]:
    """ListKeyPolicies: always `["default"]`."""
    authorized_key(kms, caller, "kms:ListKeyPolicies", KeyId, aliases=False)
    return {"PolicyNames": [POLICY_NAME], "Truncated": False}


OPERATIONS: dict[str, Operation] = {
    "GetKeyPolicy": get_key_policy,
    "PutKeyPolicy": put_key_policy,
    "ListKeyPolicies": list_key_policies,
}
