"""What Lambda keeps about a function: its configuration and its resource policy.

A `FunctionRecord` is the function's configuration (`$LATEST`, the only version here); it
names its code package by `code_id` but never holds it: the zip is a record of its own
(see `repository`). A `PolicyRecord` holds the function's resource-policy statements.
Both are stored as JSON in the barrier, so they are encrypted at rest.

Dates are epoch seconds with millisecond precision; Lambda shows `LastModified` as
`2024-05-01T12:34:56.789+0000`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson

from strongroom.services.awslambda.names import LATEST, function_arn

POLICY_VERSION = "2012-10-17"


def lambda_time(moment: float) -> str:
    """`moment` as Lambda writes LastModified: UTC, milliseconds, `+0000`."""
    millis = round(moment * 1000)
    seconds, fraction = divmod(millis, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:03d}+0000"


@dataclass(slots=True)
class FunctionRecord:
    """One function's configuration (without its code)."""

    name: str
    account: str
    region: str
    partition: str
    runtime: str
    handler: str
    role: str
    code_id: str
    """Names the stored zip (random; a new upload gets a new one). Empty for built-ins."""
    code_sha256: str
    code_size: int
    last_modified: float
    revision_id: str
    description: str = ""
    timeout: int = 3
    memory_size: int = 128
    environment: dict[str, str] | None = None
    """None until the function is given variables (Lambda then leaves Environment out)."""
    architectures: list[str] = field(default_factory=lambda: ["x86_64"])
    ephemeral_storage: int = 512
    tags: dict[str, str] | None = None
    builtin_handler: str | None = None
    """Set on built-in functions: the importable handler run in place of a zip."""

    @property
    def arn(self) -> str:
        """The function's (unqualified) ARN."""
        return function_arn(self.partition, self.region, self.account, self.name)

    @property
    def is_builtin(self) -> bool:
        """Whether this is one of Strongroom's built-in functions (no zip, not stored)."""
        return self.builtin_handler is not None

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> FunctionRecord:
        """Parse the stored form."""
        return cls(**orjson.loads(data))

    def configuration(self) -> dict[str, Any]:
        """The FunctionConfiguration shape, as Lambda answers it for `$LATEST`."""
        shape: dict[str, Any] = {
            "FunctionName": self.name,
            "FunctionArn": self.arn,
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": lambda_time(self.last_modified),
            "CodeSha256": self.code_sha256,
            "Version": LATEST,
        }
        if self.environment:
            shape["Environment"] = {"Variables": dict(self.environment)}
        shape.update(
            {
                "TracingConfig": {"Mode": "PassThrough"},
                "RevisionId": self.revision_id,
                "State": "Active",
                "LastUpdateStatus": "Successful",
                "PackageType": "Zip",
                "Architectures": list(self.architectures),
                "EphemeralStorage": {"Size": self.ephemeral_storage},
                "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
                "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{self.name}"},
            }
        )
        return shape


@dataclass(slots=True)
class PolicyRecord:
    """A function's resource policy: its statements in the order they were added.

    `revision_id` is the function's RevisionId after the last permission change; built-in
    functions, which have no stored configuration, show it as theirs.
    """

    revision_id: str
    statements: list[dict[str, Any]] = field(default_factory=list)

    def statement(self, sid: str) -> dict[str, Any] | None:
        """The statement with that id, or None."""
        return next((s for s in self.statements if s.get("Sid") == sid), None)

    def document(self) -> str:
        """The policy document, as GetPolicy returns it."""
        return orjson.dumps(
            {"Version": POLICY_VERSION, "Id": "default", "Statement": self.statements}
        ).decode()

    def to_bytes(self) -> bytes:
        """Stored form."""
        return orjson.dumps(self)

    @classmethod
    def from_bytes(cls, data: bytes) -> PolicyRecord:
        """Parse the stored form."""
        return cls(**orjson.loads(data))
