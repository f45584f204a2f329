"""What Parameter Store keeps about a parameter and each of its versions.

A `ParameterRecord` is the parameter as GetParameter reads it: its current version in
full, its tags, which version holds each label, and which versions are kept. Every version
(the current one too) is also a `VersionRecord` of its own, for history, selectors and
labels. SecureString values are never stored in the clear: `value` then holds the KMS
ciphertext (base64), exactly what GetParameter without decryption returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from strongroom.services.ssm.names import parameter_arn

STRING = "String"
STRING_LIST = "StringList"
SECURE_STRING = "SecureString"
STANDARD = "Standard"
ADVANCED = "Advanced"


@dataclass(slots=True)
class VersionRecord:
    """One version of a parameter."""

    version: int
    value: str
    """The value; for a SecureString, its KMS ciphertext in base64."""
    type: str
    modified: float
    modified_user: str
    tier: str = STANDARD
    data_type: str = "text"
    description: str | None = None
    allowed_pattern: str | None = None
    key_id: str | None = None
    """SecureString only: the key as the caller named it (`alias/aws/ssm` by default)."""
    enveloped: bool = False
    """SecureString only: sealed with envelope encryption (see `secure_values`)."""
    policies: list[dict[str, str]] = field(default_factory=list)

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(self)  # orjson writes dataclasses itself, without asdict's deep copy

    @classmethod
    def from_bytes(cls, data: bytes) -> VersionRecord:
        """Parse the stored form."""
        return cls(**orjson.loads(data))


@dataclass(slots=True)
class ParameterRecord:
    """A parameter: its current version, tags, labels and kept versions."""

    name: str
    account: str
    region: str
    partition: str
    current: VersionRecord
    tags: dict[str, str] = field(default_factory=dict)
    kept: list[int] = field(default_factory=list)
    """Version numbers still stored, oldest first (at most 100)."""
    labels: dict[str, int] = field(default_factory=dict)
    """Label -> the version holding it."""
    scheduled: list[str] = field(default_factory=list)
    """Due-work entries of the current version's policies (to drop when it changes)."""

    @property
    def arn(self) -> str:
        """`arn:aws:ssm:<region>:<account>:parameter/<name without its leading slash>`."""
        return parameter_arn(self.partition, self.region, self.account, self.name)

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(self)  # orjson writes dataclasses itself, without asdict's deep copy

    @classmethod
    def from_bytes(cls, data: bytes) -> ParameterRecord:
        """Parse the stored form."""
        fields = orjson.loads(data)
        fields["current"] = VersionRecord(**fields["current"])
        return cls(**fields)
