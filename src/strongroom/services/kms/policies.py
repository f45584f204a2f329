"""Key policies: stored and returned as AWS does; enforcement arrives with identities.

Invariant: a policy document that cannot be parsed, for whatever reason (not JSON, nested
deeper than the parser goes, not an object with a Statement), is a
MalformedPolicyDocumentException, never another error.
"""

from __future__ import annotations

import json
from typing import Any

from strongroom.errors import MalformedPolicyDocumentException, NotFoundException
from strongroom.services.caller import Caller
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    key_to_change,
    writes,
)

POLICY_NAME = "default"


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


def check_policy_document(policy: str) -> None:
    """Refuse a policy that is not a JSON policy document."""
    try:
        document = json.loads(policy)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json parses
        raise MalformedPolicyDocumentException("The new key policy is not valid JSON.") from None
    if not isinstance(document, dict) or "Statement" not in document:
        raise MalformedPolicyDocumentException(
            "The new key policy must be a JSON object with a Statement."
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
    record = key_to_change(kms, caller, "kms:PutKeyPolicy", KeyId, aliases=False)
    _check_name(PolicyName)
    check_policy_document(Policy)  # allowed in every key state, as AWS's key-state table says
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
