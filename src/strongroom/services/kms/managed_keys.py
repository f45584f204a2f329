"""AWS managed keys: the key a service uses when its caller names none (`alias/aws/<service>`).

Created on first use, by the service itself (a caller acting via that service), with
KeyManager `AWS` and the policy AWS writes for such keys: every principal of the account
may use it, but only through that service. Nobody creates, moves or deletes the
`alias/aws/...` alias by hand (KMS's alias operations refuse that prefix).
"""

from __future__ import annotations

import json
import uuid

from strongroom.errors import AccessDeniedException
from strongroom.services.caller import Caller
from strongroom.services.kms.records import AliasRecord, KeyRecord, MaterialVersion
from strongroom.services.kms.service import Kms

_DESCRIPTIONS = {
    "secretsmanager": (
        "Default key that protects my Secrets Manager data when no other key is defined"
    ),
    "ssm": "Default key that protects my SSM parameters when no other key is defined",
}


def managed_policy(partition: str, account: str, service: str, region: str) -> str:
    """The key policy AWS writes for `alias/aws/<service>` (`auto-<service>-2`)."""
    root = f"arn:{partition}:iam::{account}:root"
    via = {"kms:CallerAccount": account, "kms:ViaService": f"{service}.{region}.amazonaws.com"}
    document = {
        "Version": "2012-10-17",
        "Id": f"auto-{service}-2",
        "Statement": [
            {
                "Sid": f"Allow access through {service} for all principals in the account "
                "that are authorized to use it",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:CreateGrant",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": via},
            },
            {
                "Sid": "Allow direct access to key metadata to the account",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
                "Resource": "*",
            },
        ],
    }
    return json.dumps(document, indent=2)


def _service_of(caller: Caller) -> str:
    via = caller.via_service or ""
    service = via.split(".", 1)[0]
    if service not in _DESCRIPTIONS or via != f"{service}.{caller.region}.amazonaws.com":
        raise AccessDeniedException("Only an AWS service may use its own managed key.")
    return service


def aws_managed_key(kms: Kms, caller: Caller) -> str:
    """The ARN of the managed key of the service `caller` acts through, created if absent.

    Found in the cache when it can; else made in one transaction, so two processes asking
    at once get the same key.
    """
    service = _service_of(caller)
    alias = kms.repository.alias(caller.account_id, caller.region, f"alias/aws/{service}")
    if alias is not None:
        record = kms.repository.key(caller.account_id, caller.region, alias.target_key_id)
        if record is not None:
            return record.arn
    try:
        with kms.repository.transaction():
            return _find_or_create(kms, caller, service)
    except BaseException:
        kms.forget_caches()
        raise


def _find_or_create(kms: Kms, caller: Caller, service: str) -> str:
    alias_name = f"alias/aws/{service}"
    account, region = caller.account_id, caller.region
    alias = kms.repository.load_alias(account, region, alias_name)
    if alias is not None:
        record = kms.repository.key(account, region, alias.target_key_id)
        if record is not None:
            return record.arn
    now = kms.clock.now()
    key_id = str(uuid.UUID(bytes=kms.random(16), version=4))
    record = KeyRecord(
        key_id=key_id,
        account=account,
        region=region,
        partition=caller.partition,
        created=now,
        description=_DESCRIPTIONS[service],
        versions=[MaterialVersion(1, now, material_id=kms.random(32).hex())],
        policy=managed_policy(caller.partition, account, service, region),
        key_manager="AWS",
    )
    kms.keystore(record).generate(key_id, 1)
    kms.repository.save(record)
    kms.repository.save_alias(account, region, AliasRecord(alias_name, key_id, now, now))
    return record.arn
