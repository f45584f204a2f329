"""What Secrets Manager keeps about a secret, its versions and their encrypted values.

A `SecretRecord` holds a secret's metadata and, per version, its labels and dates; it
never holds a value. Each version's value is a `SealedValue` of its own: the value
encrypted under a fresh data key, and that data key as KMS wrapped it (under the
secret's KMS key, with the secret's ARN and the version id as encryption context). Both
are stored as JSON in the barrier, so at rest they are encrypted twice.

Dates are epoch seconds with millisecond precision, as AWS returns them; last-accessed
dates are truncated to the UTC day.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.services.secretsmanager.rotation_schedule import RotationRules

AWSCURRENT = "AWSCURRENT"
AWSPREVIOUS = "AWSPREVIOUS"
AWSPENDING = "AWSPENDING"
DAY = 86_400.0


def secret_arn(partition: str, region: str, account: str, name: str, suffix: str) -> str:
    """`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 chars>`."""
    return f"arn:{partition}:secretsmanager:{region}:{account}:secret:{name}-{suffix}"


def day_of(moment: float) -> float:
    """`moment` truncated to 00:00 UTC of its day."""
    return moment - moment % DAY


@dataclass(slots=True)
class VersionInfo:
    """One version of a secret, without its value."""

    created: float
    labels: list[str] = field(default_factory=list)
    last_accessed: float | None = None
    kms_key_ids: list[str] = field(default_factory=list)
    """The KMS key ARNs the value's data key is wrapped under."""


@dataclass(slots=True)
class ReplicaInfo:
    """A primary secret's replica in another region."""

    kms_key_id: str | None
    status: str = "InSync"
    message: str = "Replication succeeded"
    last_accessed: float | None = None


@dataclass(slots=True)
class RotationRun:
    """A rotation under way: its version (token), and how its tries went."""

    token: str
    test_only: bool = False
    """RotateImmediately=false: only testSecret runs, then the AWSPENDING version goes."""
    attempts: int = 0
    claimed_by: str | None = None
    """The rotation engine (one per process start) running it now, if any."""
    claimed_at: float | None = None
    next_attempt: float = 0.0
    """When the rotation is due to (re)start."""
    failure: str | None = None
    """Why the last try failed (step and the function's error type), shown by DescribeSecret."""
    failed_at: float | None = None


@dataclass(slots=True)
class SecretRecord:
    """Everything Secrets Manager knows about one secret except its values."""

    secret_id: str
    """Random and internal: names the secret's value records and index entries."""
    name: str
    account: str
    region: str
    partition: str
    suffix: str
    created: float
    last_changed: float
    description: str | None = None
    kms_key_id: str | None = None
    """As the caller named it; None for the AWS managed key `alias/aws/secretsmanager`."""
    secret_type: str | None = None
    tags: list[list[str]] | None = None
    """[key, value] pairs in the order given; None until the secret is first tagged."""
    policy: str | None = None
    last_accessed: float | None = None
    deleted_date: float | None = None
    deletion_date: float | None = None
    """When the scheduler destroys a secret scheduled for deletion."""
    versions: dict[str, VersionInfo] = field(default_factory=dict)
    primary_region: str | None = None
    """Set on a replica: the region of its primary."""
    replicas: dict[str, ReplicaInfo] = field(default_factory=dict)
    """On a primary: its replicas by region."""
    rotation_enabled: bool | None = None
    """None until rotation is first configured (AWS then leaves RotationEnabled out)."""
    rotation_lambda_arn: str | None = None
    rotation_rules: dict[str, Any] | None = None
    """`RotationRules.to_json()` of the configured schedule (None: none configured)."""
    last_rotated: float | None = None
    rotation_configured: float | None = None
    """When RotateSecret last set the schedule: a never-rotated secret's schedule counts
    from then."""
    next_rotation: float | None = None
    """NextRotationDate: the last second of the next scheduled rotation's window."""
    rotation_run: RotationRun | None = None
    due_at: float | None = None
    """The time this secret is filed under in the rotation due index (None: not filed)."""

    @property
    def arn(self) -> str:
        """The secret's ARN."""
        return secret_arn(self.partition, self.region, self.account, self.name, self.suffix)

    @property
    def is_deleted(self) -> bool:
        """Whether the secret is scheduled for deletion."""
        return self.deleted_date is not None

    @property
    def shown_primary_region(self) -> str | None:
        """`PrimaryRegion` as AWS shows it: set on replicated secrets, primary or replica."""
        return self.primary_region or (self.region if self.replicas else None)

    def holder(self, label: str) -> str | None:
        """The id of the version holding `label`, or None."""
        # Newest first: a label is on one version at most, so the order changes no answer,
        # but AWSCURRENT is usually on the newest of up to ~100 (deprecated ones are kept),
        # and GetSecretValue asks for it on every read.
        for version_id, info in reversed(self.versions.items()):
            if label in info.labels:
                return version_id
        return None

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(self)  # orjson writes dataclasses itself, without asdict's deep copy

    @classmethod
    def from_bytes(cls, data: bytes) -> SecretRecord:
        """Parse the stored form."""
        fields = orjson.loads(data)
        fields["versions"] = {k: VersionInfo(**v) for k, v in fields["versions"].items()}
        fields["replicas"] = {k: ReplicaInfo(**v) for k, v in fields["replicas"].items()}
        run = fields.get("rotation_run")
        if run is not None:
            fields["rotation_run"] = RotationRun(**run)
        return cls(**fields)

    def tag_list(self) -> list[dict[str, str]]:
        """Tags in AWS's shape."""
        return [{"Key": key, "Value": value} for key, value in self.tags or []]

    def stages(self) -> dict[str, list[str]]:
        """Labelled versions -> their labels (deprecated versions are left out)."""
        return {vid: list(info.labels) for vid, info in self.versions.items() if info.labels}

    def summary(self, *, versions_key: str) -> dict[str, Any]:
        """The fields DescribeSecret and ListSecrets share; absent ones are left out."""
        shape: dict[str, Any] = {"ARN": self.arn, "Name": self.name}
        optional = {
            "Type": self.secret_type,
            "Description": self.description,
            "KmsKeyId": self.kms_key_id,
            "LastAccessedDate": self.last_accessed,
            "DeletedDate": self.deleted_date,
            "PrimaryRegion": self.shown_primary_region,
            "RotationEnabled": self.rotation_enabled,
            "RotationLambdaARN": self.rotation_lambda_arn,
            "LastRotatedDate": self.last_rotated,
            "NextRotationDate": self.next_rotation if self.rotation_enabled else None,
        }
        shape.update({k: v for k, v in optional.items() if v is not None})
        if self.rotation_rules is not None:
            shape["RotationRules"] = RotationRules.from_json(self.rotation_rules).to_wire()
        shape["LastChangedDate"] = self.last_changed
        if self.tags is not None:
            shape["Tags"] = self.tag_list()
        stages = self.stages()
        if stages:
            shape[versions_key] = stages
        shape["CreatedDate"] = self.created
        return shape

    def replication_status(self) -> list[dict[str, Any]]:
        """`ReplicationStatus` entries, by region."""
        entries = []
        for region, replica in sorted(self.replicas.items()):
            entry: dict[str, Any] = {
                "Region": region,
                "KmsKeyId": replica.kms_key_id or "alias/aws/secretsmanager",
                "Status": replica.status,
                "StatusMessage": replica.message,
            }
            if replica.last_accessed is not None:
                entry["LastAccessedDate"] = replica.last_accessed
            entries.append(entry)
        return entries


@dataclass(frozen=True, slots=True)
class SealedValue:
    """One version's value, encrypted; decrypting it takes a KMS Decrypt of a wrapped key."""

    binary: bool
    """Whether the value was given as SecretBinary (else SecretString)."""
    wrapped_keys: tuple[bytes, ...]
    """The data key as KMS wrapped it, newest key first (a key change re-wraps, keeping
    the old wrap too); each KMS blob names its own key."""
    nonce: bytes
    ciphertext: bytes

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(
            {
                "binary": self.binary,
                "wrapped_keys": [base64.b64encode(w).decode() for w in self.wrapped_keys],
                "nonce": base64.b64encode(self.nonce).decode(),
                "ciphertext": base64.b64encode(self.ciphertext).decode(),
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedValue:
        """Parse the stored form."""
        fields = orjson.loads(data)
        return cls(
            fields["binary"],
            tuple(base64.b64decode(w) for w in fields["wrapped_keys"]),
            base64.b64decode(fields["nonce"]),
            base64.b64decode(fields["ciphertext"]),
        )
