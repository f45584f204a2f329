"""IAM records: users, groups and roles (`EntityRecord`) and managed policies.

Invariants:
- Relations are kept on one side only, the entity's: a user names its groups, an entity
  names its attached managed policies and its permissions boundary (each by the policy's
  ARN, exactly as the policy record makes it, so comparing ARNs compares policies).
  Reverse questions (a group's members, a policy's attachments) are answered by scanning
  the account, so a rename or delete never leaves a dangling back-reference.
- Names are unique per account and kind in any letter case: the storage key is the
  lower-case name; the record keeps the name as it was given.
- Policy documents are kept as the text the caller sent (AWS hands it back unchanged).
- Times are epoch seconds.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import orjson

USER = "user"
GROUP = "group"
ROLE = "role"
KINDS = (USER, GROUP, ROLE)

ID_PREFIXES = {USER: "AIDA", GROUP: "AGPA", ROLE: "AROA", "policy": "ANPA"}
"""How AWS begins each kind's unique id (16 base-32 characters follow)."""


def entity_arn(partition: str, account: str, kind: str, path: str, name: str) -> str:
    """`arn:aws:iam::<account>:user/<path><name>` (and group/, role/)."""
    return f"arn:{partition}:iam::{account}:{kind}{path}{name}"


def policy_arn(partition: str, account: str, path: str, name: str) -> str:
    """`arn:aws:iam::<account>:policy/<path><name>`."""
    return f"arn:{partition}:iam::{account}:policy{path}{name}"


def name_in_arn(arn: str) -> str:
    """The name at the end of an entity's or policy's ARN."""
    return arn.rpartition("/")[2]


def path_in_arn(arn: str) -> str:
    """The path of an entity's or policy's ARN (`/` at least)."""
    inner = arn.split(":", 5)[5].partition("/")[2].rpartition("/")[0]
    return f"/{inner}/" if inner else "/"


@dataclass(slots=True)
class EntityRecord:
    """A user, group or role, with its inline policies and attachments."""

    kind: str
    account: str
    name: str
    path: str
    entity_id: str
    created: float
    inline: dict[str, str] = field(default_factory=dict)
    """Inline policy name -> document text."""
    attached: list[str] = field(default_factory=list)
    """Attached managed policies' ARNs, in attachment order."""
    tags: list[dict[str, str]] = field(default_factory=list)
    boundary: str | None = None
    """The permissions boundary policy's ARN (users and roles)."""
    groups: list[str] = field(default_factory=list)
    """A user's groups, by lower-case name."""
    trust_policy: str | None = None
    description: str | None = None
    max_session_duration: int | None = None

    @property
    def key(self) -> str:
        """The storage key: the lower-case name."""
        return self.name.lower()

    def arn(self, partition: str) -> str:
        """The entity's ARN."""
        return entity_arn(partition, self.account, self.kind, self.path, self.name)

    def to_bytes(self) -> bytes:
        """The record as stored."""
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> EntityRecord:
        """A record as stored."""
        return cls(**orjson.loads(data))


@dataclass(slots=True)
class PolicyVersion:
    """One version of a managed policy's document."""

    version_id: str
    document: str
    created: float


@dataclass(slots=True)
class PolicyRecord:
    """A customer managed policy and its versions (at most five)."""

    account: str
    name: str
    path: str
    policy_id: str
    created: float
    updated: float
    default_version: str
    versions: list[PolicyVersion]
    next_version: int
    """The number the next version takes: AWS never reuses a version id."""
    description: str | None = None
    tags: list[dict[str, str]] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The storage key: the lower-case name."""
        return self.name.lower()

    def arn(self, partition: str) -> str:
        """The policy's ARN."""
        return policy_arn(partition, self.account, self.path, self.name)

    def version(self, version_id: str) -> PolicyVersion | None:
        """The version with this id, or None."""
        return next((v for v in self.versions if v.version_id == version_id), None)

    @property
    def default_document(self) -> str:
        """The default version's document."""
        found = self.version(self.default_version)
        assert found is not None, "a policy's default version exists"
        return found.document

    def to_bytes(self) -> bytes:
        """The record as stored."""
        return orjson.dumps(dataclasses.asdict(self))

    @classmethod
    def from_bytes(cls, data: bytes) -> PolicyRecord:
        """A record as stored."""
        fields: dict[str, Any] = orjson.loads(data)
        fields["versions"] = [PolicyVersion(**v) for v in fields["versions"]]
        return cls(**fields)
