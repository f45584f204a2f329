"""The AWS managed key a service makes for itself in KMS (`alias/aws/<service>`).

Made at the service's first encrypted write in an account and region, once however many
writes race, and shown by KMS as any AWS managed key: KeyManager AWS, enabled, with the
key policy AWS gives it.
"""

from __future__ import annotations

import json
from typing import Any


def managed_aliases(kms: Any, alias: str) -> list[dict[str, Any]]:
    """The aliases named `alias` (none, or the one)."""
    return [a for a in kms.list_aliases(Limit=100)["Aliases"] if a["AliasName"] == alias]


def aws_managed_keys(kms: Any) -> list[str]:
    """Ids of the keys whose KeyManager is AWS."""
    keys = [k["KeyId"] for k in kms.list_keys(Limit=1000)["Keys"]]
    return [k for k in keys if kms.describe_key(KeyId=k)["KeyMetadata"]["KeyManager"] == "AWS"]


def the_managed_key(kms: Any, alias: str, policy_id: str) -> tuple[list[dict[str, Any]], Any]:
    """The one alias `alias` and the key it names, checked: enabled, managed by AWS, under
    the key policy `policy_id`; (the aliases, the key's metadata)."""
    aliases = managed_aliases(kms, alias)
    assert len(aliases) == 1
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    assert key["KeyId"] == aliases[0]["TargetKeyId"]
    assert key["KeyManager"] == "AWS" and key["KeyState"] == "Enabled"
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy["Id"] == policy_id
    return aliases, key
