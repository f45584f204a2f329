"""Domain events in AWS's EventBridge envelope, and their bytes on the wire.

An event is a plain dict with exactly AWS's top-level members, in AWS's order:
`version` ("0"), `id` (a version-4 UUID), `detail-type`, `source`, `account`, `time`
(ISO 8601 UTC to the second, `2026-12-03T08:00:00Z`), `region`, `resources` (ARNs) and
`detail` (the service's own object). A receiver written for EventBridge reads it unchanged.

Invariants:
- The id comes from the injected randomness and the time from the injected clock
  (house rule 7), so tests can fix both.
- `detail` must be JSON (dicts, lists, strings, numbers, booleans, None); it is copied
  through JSON, so a later change to the caller's dict does not change the event.
- An event never carries a secret value: services put names, ARNs and versions in
  `detail`, never a plaintext (the outbox stores it and webhooks send it).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from strongroom.crypto import RandomBytes

__all__ = ["event_bytes", "format_time", "make_event"]


def format_time(now: float) -> str:
    """Seconds since the epoch as EventBridge writes `time`: `2026-12-03T08:00:00Z`."""
    return datetime.fromtimestamp(int(now), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_event(
    detail_type: str,
    source: str,
    account: str,
    region: str,
    resources: list[str],
    detail: dict[str, Any],
    now: float,
    random: RandomBytes,
) -> dict[str, Any]:
    """An EventBridge-shaped event; ValueError if `detail` is not JSON."""
    if not detail_type or not source:
        raise ValueError("an event needs a detail-type and a source")
    if not all(isinstance(resource, str) for resource in resources):
        raise ValueError("event resources are ARN strings")
    try:
        detail_copy = json.loads(json.dumps(detail, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValueError(f"event detail is not JSON: {error}") from None
    return {
        "version": "0",
        "id": str(uuid.UUID(bytes=random(16), version=4)),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": format_time(now),
        "region": region,
        "resources": list(resources),
        "detail": detail_copy,
    }


def event_bytes(event: dict[str, Any]) -> bytes:
    """The event as sent: compact JSON (ASCII, non-ASCII escaped), members in order."""
    return json.dumps(event, separators=(",", ":")).encode("ascii")
