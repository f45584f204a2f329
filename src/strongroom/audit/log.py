"""The audit log: one record per call, written before the answer leaves (fail closed).

Sinks receive plain dicts that hold no secret: the edge replaces sensitive members by
their HMAC before a record is built. A sink that raises makes the call fail (rule 8).
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
