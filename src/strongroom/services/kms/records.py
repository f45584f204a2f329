"""What KMS keeps about a key, an alias and a grant, and how each is shown in AWS's shapes.

Records are stored as JSON in the barrier. Material never appears here: a key names its
key store and its current material version; the key store holds the bytes. A key record
also remembers where the scheduler's due index files it (`due_at`, see `due_index`), so
that a change of date takes the old entry out; records written before that field existed
read as filed nowhere.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

import orjson

from strongroom.services.kms.key_specs import ALGORITHM_FIELDS, KEY_SPECS, KeySpec

ENABLED = "Enabled"
DISABLED = "Disabled"
PENDING_DELETION = "PendingDeletion"
PENDING_IMPORT = "PendingImport"
PENDING_REPLICA_DELETION = "PendingReplicaDeletion"
DAY = 86_400.0
"""Seconds in a day, for deletion windows and rotation periods."""


def key_arn(partition: str, region: str, account: str, key_id: str) -> str:
    """`arn:aws:kms:<region>:<account>:key/<id>`."""
    return f"arn:{partition}:kms:{region}:{account}:key/{key_id}"


def alias_arn(partition: str, region: str, account: str, alias_name: str) -> str:
    """`arn:aws:kms:<region>:<account>:alias/<name>` (alias_name includes `alias/`)."""
    return f"arn:{partition}:kms:{region}:{account}:{alias_name}"


def legacy_material_id(key_id: str, version: int) -> str:
    """The material id of a version made before ids were kept: stable, 64 hex digits."""
    return f"{key_id.replace('-', '')}{version:032x}"


@dataclass(slots=True)
class MaterialVersion:
    """One generation of a key's material."""

    version: int
    created: float
    rotation_type: str | None = None  # None for the original, else AUTOMATIC / ON_DEMAND
    material_id: str = ""
    """KeyMetadata's CurrentKeyMaterialId while current (64 hex digits)."""
    description: str = ""
    """KeyMaterialDescription of imported material."""
    import_state: str | None = None
    """None for material KMS made; IMPORTED, or PENDING_IMPORT once deleted or expired."""
    valid_to: float | None = None
    """When imported material expires (None: it does not)."""

    def awaiting(self) -> MaterialVersion:
        """A copy that waits for the same material to be imported (a multi-Region key's
        other region, or deleted material)."""
        return replace(self, import_state="PENDING_IMPORT", valid_to=None)

    def copy(self) -> MaterialVersion:
        """A private copy (records are shared while cached)."""
        return replace(self)


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
    pending_material: MaterialVersion | None = None
    """Imported material waiting for RotateKeyOnDemand to make it current."""
    multi_region: bool = False
    primary_region: str | None = None
    """A multi-Region key's primary region (its own region on the primary)."""
    replica_regions: list[str] = field(default_factory=list)
    """On a multi-Region primary: the regions its replicas are in."""

    @property
    def due_time(self) -> float | None:
        """When the scheduler next has work on this key: the earliest of its deletion date
        (while pending deletion), the expiry of imported material (in any state) and its
        next automatic rotation (while enabled with rotation on)."""
        times = [
            v.valid_to
            for v in self.all_material
            if v.valid_to is not None and v.import_state == "IMPORTED"
        ]
        if self.state in (PENDING_DELETION, PENDING_REPLICA_DELETION):
            if self.deletion_date is not None:
                times.append(self.deletion_date)
            return min(times, default=None)
        rotates = self.rotation_enabled and not self.is_replica  # replicas follow
        if self.state == ENABLED and rotates and self.next_rotation is not None:
            times.append(self.next_rotation)
        return min(times, default=None)

    @property
    def all_material(self) -> list[MaterialVersion]:
        """Every material version, the pending imported one (if any) last."""
        if self.pending_material is None:
            return self.versions
        return [*self.versions, self.pending_material]

    @property
    def material_name(self) -> str:
        """The name the key store files this key's material under: the key id, which the
        related multi-Region keys share (they share material), except imported material,
        which each region imports for itself."""
        if self.multi_region and self.origin == "EXTERNAL":
            return f"{self.key_id}.{self.region}"
        return self.key_id

    @property
    def is_replica(self) -> bool:
        """Whether this is a multi-Region replica key."""
        return self.multi_region and self.primary_region != self.region

    @property
    def spec(self) -> KeySpec:
        """The key's entry in AWS's table of key specs."""
        return KEY_SPECS[self.key_spec]

    @property
    def arn(self) -> str:
        """The key's ARN."""
        return key_arn(self.partition, self.region, self.account, self.key_id)

    def material_id_of(self, version: int) -> str:
        """KeyMaterialId of a material version of this key."""
        for known in reversed(self.versions):
            if known.version == version:
                return known.material_id or legacy_material_id(self.key_id, version)
        return legacy_material_id(self.key_id, version)

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
        if fields.get("pending_material") is not None:
            fields["pending_material"] = MaterialVersion(**fields["pending_material"])
        return cls(**fields)

    def metadata(self, multi_region: dict[str, Any] | None = None) -> dict[str, Any]:
        """The `KeyMetadata` shape AWS returns (`multi_region`: its
        MultiRegionConfiguration, for a multi-Region key)."""
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
            ALGORITHM_FIELDS[self.key_usage]: list(self.spec.usages[self.key_usage]),
            "MultiRegion": self.multi_region,
        }
        if self.deletion_date is not None:
            meta["DeletionDate"] = self.deletion_date
        if self.pending_window_days is not None and self.state == PENDING_REPLICA_DELETION:
            meta["PendingDeletionWindowInDays"] = self.pending_window_days
        if self.origin == "EXTERNAL" and self.versions and self.state != PENDING_IMPORT:
            expiries = [v.valid_to for v in self.versions if v.valid_to is not None]
            meta["ExpirationModel"] = (
                "KEY_MATERIAL_EXPIRES" if expiries else "KEY_MATERIAL_DOES_NOT_EXPIRE"
            )
            if expiries:  # the key is unusable once its first material expires
                meta["ValidTo"] = min(expiries)
        if self.versions and self.key_spec == "SYMMETRIC_DEFAULT":
            meta["CurrentKeyMaterialId"] = self.versions[-1].material_id or legacy_material_id(
                self.key_id, self.versions[-1].version
            )
        if multi_region is not None:
            meta["MultiRegionConfiguration"] = multi_region
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


@dataclass(slots=True)
class GrantRecord:
    """One grant on a key: who may do which operations, under which constraints.

    `equals` and `subset` are the EncryptionContextEquals and EncryptionContextSubset
    constraints (None: not set). Grant tokens are not kept: each names its grant
    (`grant_token`), so any token CreateGrant handed out finds the grant while it exists.
    """

    grant_id: str
    key_id: str
    account: str
    region: str
    partition: str
    created: float
    grantee: str
    operations: list[str]
    issuing_account: str
    """The ARN of the account root the grant was created in (ListGrants' IssuingAccount)."""
    name: str = ""
    retiring: str | None = None
    equals: dict[str, str] | None = None
    subset: dict[str, str] | None = None

    @property
    def key_arn(self) -> str:
        """The ARN of the key the grant is on."""
        return key_arn(self.partition, self.region, self.account, self.key_id)

    @property
    def constrained(self) -> bool:
        """Whether the grant has an encryption context constraint."""
        return self.equals is not None or self.subset is not None

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> GrantRecord:
        """Parse the stored form."""
        return cls(**orjson.loads(data))

    def entry(self) -> dict[str, Any]:
        """The `GrantListEntry` shape AWS returns (ListGrants, ListRetirableGrants)."""
        shown: dict[str, Any] = {
            "KeyId": self.key_arn,
            "GrantId": self.grant_id,
            "Name": self.name,
            "CreationDate": self.created,
            "GranteePrincipal": self.grantee,
            "IssuingAccount": self.issuing_account,
            "Operations": list(self.operations),
        }
        if self.retiring is not None:
            shown["RetiringPrincipal"] = self.retiring
        constraints: dict[str, dict[str, str]] = {}
        if self.subset is not None:
            constraints["EncryptionContextSubset"] = dict(self.subset)
        if self.equals is not None:
            constraints["EncryptionContextEquals"] = dict(self.equals)
        if constraints:
            shown["Constraints"] = constraints
        return shown
