"""What KMS keeps about a key and an alias, and how each is shown in AWS's shapes.

Records are stored as JSON in the barrier. Material never appears here: a key names its
key store and its current material version; the key store holds the bytes. A key record
also remembers where the scheduler's due index files it (`due_at`, see `due_index`), so
that a change of date takes the old entry out; records written before that field existed
read as filed nowhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
DAY = 86_400.0
"""Seconds in a day, for deletion windows and rotation periods."""


def key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    """`arn:aws:kms:<region>:<account>:key/<id>`."""
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def alias_arn(partition: str, region: str, account: str, alias_name: str) -> str:
    """`arn:aws:kms:<region>:<account>:alias/<name>` (alias_name includes `alias/`)."""
    return f"arn:{partition}:kms:{region}:{account}:{alias_name}"


@dataclass(slots=True)
class MaterialVersion:
    """One generation of a key's material."""

    version: int
    created: float
    rotation_type: str | None = None  # None for the original, else AUTOMATIC / ON_DEMAND


@dataclass(slots=True)
class KeyRecord:
    """Everything KMS knows about one key except its material."""

    key_id: str
    account: str
    region: str
    partition: str
    created: float
    description: str = ""
    state: str = ENABLED
    key_usage: str = "ENCRYPT_DECRYPT"
    key_spec: str = "SYMMETRIC_DEFAULT"
    origin: str = "AWS_KMS"
    key_store: str = "software"
    deletion_date: float | None = None
    pending_window_days: int | None = None
    rotation_enabled: bool = False
    rotation_period_days: int | None = None
    next_rotation: float | None = None
    on_demand_rotations: int = 0
    versions: list[MaterialVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    policy: str = ""
    key_manager: str = "CUSTOMER"
    """`AWS` for a service's managed key (`alias/aws/<service>`), else `CUSTOMER`."""
    due_at: float | None = None
    """The time the due index files the key under (None: not filed); kept by the
    repository, equal to `due_time` whenever the record is saved."""

    @property
    def due_time(self) -> float | None:
        """When the scheduler next has work on this key: its deletion date while pending
        deletion, else its next automatic rotation while enabled with rotation on."""
        if self.state == PENDING_DELETION:
            return self.deletion_date
        if self.state == ENABLED and self.rotation_enabled:
            return self.next_rotation
        return None

    @property
    def arn(self) -> str:
        """The key's ARN."""
        return key_arn(self.partition, self.region, self.account, self.key_id)

    @property
    def current_version(self) -> int:
        """The material version that encrypts now."""
        return self.versions[-1].version

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyRecord:
        """Parse the stored form."""
        fields = orjson.loads(data)
        fields["versions"] = [MaterialVersion(**v) for v in fields["versions"]]
        return cls(**fields)

    def metadata(self) -> dict[str, Any]:
        """The `KeyMetadata` shape AWS returns."""
        meta: dict[str, Any] = {
            "AWSAccountId": self.account,
            "KeyId": self.key_id,
            "Arn": self.arn,
            "CreationDate": self.created,
            "Enabled": self.state == ENABLED,
            "Description": self.description,
            "KeyUsage": self.key_usage,
            "KeyState": self.state,
            "Origin": self.origin,
            "KeyManager": self.key_manager,
            "CustomerMasterKeySpec": self.key_spec,
            "KeySpec": self.key_spec,
            "EncryptionAlgorithms": ["SYMMETRIC_DEFAULT"],
            "MultiRegion": False,
        }
        if self.deletion_date is not None:
            meta["DeletionDate"] = self.deletion_date
        return meta


@dataclass(slots=True)
class AliasRecord:
    """An alias name pointing at a key."""

    name: str
    target_key_id: str
    created: float
    updated: float

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> AliasRecord:
        """Parse the stored form."""
        return cls(**orjson.loads(data))
