"""Per-client-address rate limiting for the unauthenticated operator calls (unseal).

A token bucket per address: `burst` calls at once, then one more every
`refill_seconds`. Calls over the limit get `ThrottlingException` (429) and do nothing.

Invariants: memory is bounded (at most `max_clients` buckets; when full, the bucket used
longest ago goes, which is a full one unless more than `max_clients` addresses called
within one refill of the whole burst); time comes from the injected clock; a request
whose address is unknown shares one bucket with every other such request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from strongroom.errors import ThrottlingException

__all__ = ["RateLimiter"]


class RateLimiter:
    """Token buckets by client address."""

    def __init__(
        self,
        now: Callable[[], float],
        burst: int = 20,
        refill_seconds: float = 3.0,
        max_clients: int = 4096,
    ) -> None:
        self._now = now
        self._burst = float(burst)
        self._refill = refill_seconds
        self._max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, as of)
        self._lock = threading.Lock()

    def check(self, client: str | None) -> None:
        """Take one token for `client`, or raise ThrottlingException."""
        address = client or "unknown"
        now = self._now()
        with self._lock:
            tokens, since = self._buckets.pop(address, (self._burst, now))
            tokens = min(self._burst, tokens + max(0.0, now - since) / self._refill)
            if len(self._buckets) >= self._max_clients:  # least recently used goes
                del self._buckets[next(iter(self._buckets))]
            if tokens < 1.0:
                self._buckets[address] = (tokens, now)
                raise ThrottlingException("Rate exceeded")
            self._buckets[address] = (tokens - 1.0, now)  # last in order: most recent
