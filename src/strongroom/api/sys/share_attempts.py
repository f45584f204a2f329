"""Share-collection attempts, each its own, named by a nonce (Vault's unseal nonce).

The first share of an unseal starts an attempt and learns its nonce; every later share
must name it. A share sent without a nonce starts another attempt, so a stranger's share
can only ever spoil the stranger's own attempt, never the operators'.

Invariants:
- Nonces are 16 random bytes (hex), compared as dictionary keys; an unknown or expired
  nonce is refused without saying whether it ever existed.
- An attempt forgets its shares when it completes, is reset, or has seen no share for
  `ttl_seconds`. No attempt is ever dropped to make room for another: at most `limit`
  attempts, and `per_client` from one client address, are kept, and starting one more is
  refused (`ThrottlingException`) until one ends, so memory stays bounded and a stranger
  can only delay new attempts, never end the operators'.
- Not thread-safe: the caller serialises (the operator holds its lock).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from strongroom.crypto import RandomBytes
from strongroom.errors import StrongroomError, ThrottlingException

__all__ = ["Attempt", "Attempts", "UnknownAttempt"]

T = TypeVar("T")


class UnknownAttempt(StrongroomError):
    """The nonce names no attempt in progress."""

    code = "InvalidNonce"


@dataclass(slots=True)
class Attempt(Generic[T]):
    """One attempt: its nonce, what it collects into, when it last moved."""

    nonce: str
    collector: T
    last_seen: float
    client: str | None


class Attempts(Generic[T]):
    """Attempts in progress, by nonce."""

    def __init__(
        self,
        random: RandomBytes,
        now: Callable[[], float],
        ttl_seconds: float = 900.0,
        limit: int = 64,
        per_client: int = 4,
    ) -> None:
        self._random = random
        self._now = now
        self._ttl = ttl_seconds
        self._limit = limit
        self._per_client = per_client
        self._attempts: dict[str, Attempt[T]] = {}

    def __len__(self) -> int:
        self._expire()
        return len(self._attempts)

    def start(self, collector: T, client: str | None = None) -> Attempt[T]:
        """A new attempt around `collector`, with a fresh nonce, for `client`."""
        self._expire()
        mine = sum(1 for attempt in self._attempts.values() if attempt.client == client)
        if len(self._attempts) >= self._limit or mine >= self._per_client:
            raise ThrottlingException(
                "Too many attempts are in progress: finish or reset one, or wait for an "
                "idle one to expire."
            )
        attempt = Attempt(self._random(16).hex(), collector, self._now(), client)
        self._attempts[attempt.nonce] = attempt
        return attempt

    def get(self, nonce: str) -> Attempt[T]:
        """The attempt named `nonce`, marked as just seen; `UnknownAttempt` if none is."""
        self._expire()
        attempt = self._attempts.get(nonce)
        if attempt is None:
            raise UnknownAttempt(
                "No attempt in progress has this nonce: it finished, was reset or expired. "
                "Start a new attempt by sending a share without a nonce."
            )
        attempt.last_seen = self._now()
        return attempt

    def drop(self, nonce: str) -> None:
        """Forget one attempt (completed or reset), if it is still kept."""
        self._attempts.pop(nonce, None)

    def clear(self) -> None:
        """Forget every attempt."""
        self._attempts.clear()

    def _expire(self) -> None:
        cutoff = self._now() - self._ttl
        for nonce in [n for n, a in self._attempts.items() if a.last_seen < cutoff]:
            del self._attempts[nonce]
