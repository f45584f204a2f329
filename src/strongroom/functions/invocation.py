"""What one function invocation is given, and what it gives back.

Both are immutable values. `Invocation` refuses a MemorySize outside Lambda's range
(128..10240 MB), a timeout that is not a positive finite number, or an environment
variable no process can hold (an empty name, `=` in a name, a NUL anywhere): those are
programmer errors (`ValueError`), since the Lambda API validates them at its edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

MIN_MEMORY_MB = 128
MAX_MEMORY_MB = 10240


@dataclass(frozen=True, slots=True)
class Invocation:
    """One call of a Lambda-style Python function, as the Lambda API hands it over."""

    handler: str
    """AWS's Handler, "module.function"; the module may be dotted ("pkg.mod.fn")."""
    code: bytes | None
    """The deployment package (zip); None for a built-in importable by the server."""
    event: bytes
    """The JSON payload (empty means `{}`)."""
    function_name: str
    function_arn: str
    function_version: str
    memory_mb: int
    timeout_seconds: float
    environment: Mapping[str, str]
    """The function's whole environment: the caller composes the AWS_* variables."""
    request_id: str

    def __post_init__(self) -> None:
        if not MIN_MEMORY_MB <= self.memory_mb <= MAX_MEMORY_MB:
            raise ValueError(f"memory_mb must be {MIN_MEMORY_MB}..{MAX_MEMORY_MB}")
        if not (math.isfinite(self.timeout_seconds) and self.timeout_seconds > 0):
            raise ValueError("timeout_seconds must be a positive number")
        for name, value in self.environment.items():
            if not name or "=" in name or "\x00" in name or "\x00" in value:
                raise ValueError(f"environment variable {name!r} cannot be passed to a process")


@dataclass(frozen=True, slots=True)
class InvocationResult:
    """How an invocation ended, as Lambda's Invoke reports it."""

    payload: bytes
    """The handler's return value as JSON (b"null" for None), or Lambda's error document."""
    function_error: str | None
    """None on success; "Unhandled" when the function raised, timed out, ran out of
    memory or its process died."""
    duration_ms: float
    log_tail: str
    """The last 4 KB of the invocation's log (Invoke's LogType=Tail, before base64)."""
