"""Share-collection attempts, each its own, named by a nonce (Vault's unseal nonce).

The first share of an unseal starts an attempt and learns its nonce; every later share
must name it. A share sent without a nonce starts another attempt, so a stranger's share
can only ever spoil the stranger's own attempt, never the operators'.

Invariants:
- Nonces are 16 random bytes (hex), compared as dictionary keys; an unknown or expired
  nonce is refused without saying whether it ever existed.
- An attempt forgets its shares when it completes, is reset, or has accepted no share
  for `ttl_seconds` (a refused share does not keep it alive). `expire` runs on every
  operator API call, health checks included.
- Memory is bounded: at most `limit` attempts, and `per_client` from one client address.
  A new attempt always gets in; to make room, one attempt goes: one of its own address's
  when that address is at its cap, else one of the address holding the most attempts;
  among those, the one with the fewest accepted shares, idle longest. So strangers crowd
  out strangers: the operators' attempt goes only if they share an address with the
  stranger (a proxy in front hides addresses) or the stranger has more addresses than
  `limit`.
- Not thread-safe: the caller serialises (the operator holds its lock).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from strongroom.crypto import RandomBytes
from strongroom.errors import StrongroomError

__all__ = ["Attempt", "Attempts", "UnknownAttempt"]

T = TypeVar("T")


class UnknownAttempt(StrongroomError):
    """The nonce names no attempt in progress."""

    code = "InvalidNonce"


@dataclass(slots=True)
class Attempt(Generic[T]):
    """One attempt: its nonce, what it collects into, whose it is, how far it came."""

    nonce: str
    collector: T
    last_seen: float
    client: str | None
    accepted: int = 0


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
        self.expire()
        return len(self._attempts)

    def start(self, collector: T, client: str | None = None) -> Attempt[T]:
        """A new attempt around `collector`, with a fresh nonce, for `client`."""
        self.expire()
        mine = [attempt for attempt in self._attempts.values() if attempt.client == client]
        if len(mine) >= self._per_client:
            self._evict(mine)
        elif len(self._attempts) >= self._limit:
            counts = Counter(attempt.client for attempt in self._attempts.values())
            most = max(counts.values())
            self._evict(a for a in self._attempts.values() if counts[a.client] == most)
        attempt = Attempt(self._random(16).hex(), collector, self._now(), client)
        self._attempts[attempt.nonce] = attempt
        return attempt

    def get(self, nonce: str) -> Attempt[T]:
        """The attempt named `nonce`; `UnknownAttempt` if none is."""
        self.expire()
        attempt = self._attempts.get(nonce)
        if attempt is None:
            raise UnknownAttempt(
                "No attempt in progress has this nonce: it finished, was reset or expired. "
                "Start a new attempt by sending a share without a nonce."
            )
        return attempt

    def accepted(self, attempt: Attempt[T]) -> None:
        """Record that `attempt` took a share: it counts, and it stays alive."""
        attempt.accepted += 1
        attempt.last_seen = self._now()

    def drop(self, nonce: str) -> None:
        """Forget one attempt (completed or reset), if it is still kept."""
        self._attempts.pop(nonce, None)

    def clear(self) -> None:
        """Forget every attempt."""
        self._attempts.clear()

    def expire(self) -> None:
        """Forget every attempt that has accepted no share for the TTL."""
        cutoff = self._now() - self._ttl
        for nonce in [n for n, a in self._attempts.items() if a.last_seen < cutoff]:
            del self._attempts[nonce]

    def _evict(self, candidates: Iterable[Attempt[T]]) -> None:
        victim = min(candidates, key=lambda attempt: (attempt.accepted, attempt.last_seen))
        del self._attempts[victim.nonce]
