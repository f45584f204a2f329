"""The audit log as it stands: a fan-out to sinks, of which none is wired yet.

What the code does today: for each AWS call, `api.aws.dispatch` builds a record of the
request id, the phase ("request" before the operation runs, "outcome" after it), the
caller's principal ARN and region, the operation (its X-Amz-Target) and the error code
(None on success). An error outcome is recorded without principal and region, and a call
refused by SigV4 is not recorded. No request or response parameter is recorded, so a
record holds no secret and nothing in it is HMAC'd.

`app.py` builds `AuditLog()` with no sink, so `enabled` is False, no record is built and
nothing is recorded: the fail-closed path (a sink that raises on a "request" record stops
the call before its operation runs, rule 8) is in place but never runs. The audit trail
itself (sinks, recorded parameters with sensitive members HMAC'd, a hash chain) comes in
its own issue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol


class AuditSink(Protocol):
    """Somewhere audit records go."""

    def write(self, record: Mapping[str, Any]) -> None:
        """Persist one record or raise."""
        ...


class AuditLog:
    """Fans one record out to every sink; any failure propagates."""

    def __init__(self, sinks: list[AuditSink] | None = None) -> None:
        """No sinks (the default until the audit trail arrives): nothing is recorded."""
        self._sinks = sinks or []

    @property
    def enabled(self) -> bool:
        """Whether any sink listens (so the edge can skip building records)."""
        return bool(self._sinks)

    def write(self, record: Mapping[str, Any]) -> None:
        """Give `record` to every sink."""
        for sink in self._sinks:
            sink.write(record)
