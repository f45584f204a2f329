"""KMS key ARNs: parse them, and tell a key ARN from an alias or a bare key id.

An encrypted data key made by a KMS keyring names its key by full key ARN
(`arn:<partition>:kms:<region>:<account>:key/<id>`): that is what decrypt trusts and
filters on. Aliases and bare ids are fine for encrypt, where KMS resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KmsKeyArn", "parse_key_arn"]


@dataclass(frozen=True, slots=True)
class KmsKeyArn:
    """The parts of a KMS key ARN."""

    partition: str
    region: str
    account: str
    key_id: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:kms:{self.region}:{self.account}:key/{self.key_id}"


def parse_key_arn(text: str) -> KmsKeyArn | None:
    """The parts of `text` if it is a KMS key ARN (not an alias ARN), else None."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or parts[2] != "kms":
        return None
    _, partition, _, region, account, resource = parts
    kind, _, key_id = resource.partition("/")
    if not (partition and region and account and key_id) or kind != "key":
        return None
    return KmsKeyArn(partition, region, account, key_id)
