"""The durable outbox: events waiting for delivery, stored beside the change that made them.

Each waiting event is one entry at `pending/<ms>-<event id>`, where `<ms>` (15 digits,
milliseconds since the epoch) is when it is next due: its emission time at first, then the
earliest next attempt among the webhooks that still want it. So `due` reads only what is
due, in order, however many entries wait for a receiver that is down. The entry holds the
event, its emission time, per-webhook delivery state (attempts, next attempt) and the
webhooks already done; a webhook with no state yet is due at the emission time. Times are
kept in whole milliseconds (rounded down): a thing is due once its millisecond has come.

Invariants:
- `emit` writes through `store.transaction()`, which joins a transaction the caller has
  open on the same barrier: the event commits with the caller's change, or neither does.
- Every state change (`settle`) is one short transaction that first checks the entry is
  still exactly what was read; if another process changed it meanwhile, nothing is written
  (its outcome stands, and this delivery may be repeated: at-least-once).
- Entries hold events only (names, ARNs, versions), never a secret value; values are
  barrier records like every other, the path shows only a time and the event id.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from strongroom.crypto import RandomBytes
from strongroom.events.event import make_event

__all__ = ["PENDING_PREFIX", "DeliveryState", "Outbox", "Pending", "Store", "StoreTransaction"]

log = logging.getLogger("strongroom.events")

PENDING_PREFIX = "pending/"
_DIGITS = 15


class StoreTransaction(Protocol):
    """Reads and writes inside one transaction (what `barrier.View` transactions offer)."""

    def get(self, path: str) -> bytes | None: ...
    def put(self, path: str, value: bytes) -> None: ...
    def delete(self, path: str) -> None: ...
    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]: ...


class Store(StoreTransaction, Protocol):
    """An ordered store with transactions that join an enclosing one (a `barrier.View`)."""

    def transaction(self) -> AbstractContextManager[StoreTransaction]: ...


@dataclass(frozen=True, slots=True)
class DeliveryState:
    """One webhook's progress with one event: failed attempts so far, when to try next."""

    attempts: int
    next_attempt: float


@dataclass(frozen=True, slots=True)
class Pending:
    """One waiting event as read from the outbox (`raw` is the stored bytes)."""

    key: str
    event: dict[str, Any]
    emitted: float
    states: Mapping[str, DeliveryState]
    done: frozenset[str]
    raw: bytes

    def state(self, webhook: str) -> DeliveryState:
        """The webhook's state; one never tried is due at the emission time."""
        return self.states.get(webhook) or DeliveryState(0, self.emitted)

    def is_due(self, webhook: str, now: float) -> bool:
        """Whether the webhook's next attempt has come (by the millisecond, like `due`)."""
        return _millis(self.state(webhook).next_attempt) <= _millis(now)


def _millis(seconds: float) -> int:
    """Whole milliseconds, rounded down (after rounding off float noise: 1.001 is 1001)."""
    return math.floor(round(seconds * 1000, 3))


def _key(millis: int, event_id: str) -> str:
    return f"{PENDING_PREFIX}{millis:0{_DIGITS}d}-{event_id}"


def _encode(
    event: dict[str, Any],
    emitted: float,
    states: Mapping[str, DeliveryState],
    done: Iterable[str],
) -> bytes:
    record = {
        "event": event,
        "emitted": emitted,
        "states": {
            name: {"attempts": state.attempts, "next": _millis(state.next_attempt) / 1000}
            for name, state in sorted(states.items())
        },
        "done": sorted(done),
    }
    return json.dumps(record, separators=(",", ":")).encode("ascii")


def _decode(key: str, raw: bytes) -> Pending:
    """ValueError, KeyError or TypeError if the entry is not one `_encode` wrote."""
    record = json.loads(raw)
    event = record["event"]
    if not isinstance(event, dict) or not isinstance(event["id"], str):
        raise ValueError("not an event")
    states = {
        str(name): DeliveryState(int(state["attempts"]), float(state["next"]))
        for name, state in record["states"].items()
    }
    done = frozenset(str(name) for name in record["done"])
    return Pending(key, event, float(record["emitted"]), states, done, raw)


class Outbox:
    """Events accepted for delivery, durable in `store` until every webhook has them."""

    def __init__(self, store: Store, clock_now: Callable[[], float], random: RandomBytes) -> None:
        self._store = store
        self._now = clock_now
        self._random = random

    def publish(
        self,
        detail_type: str,
        source: str,
        account: str,
        region: str,
        resources: list[str],
        detail: dict[str, Any],
    ) -> dict[str, Any]:
        """Make an event now (`make_event`) and `emit` it; returns the event."""
        event = make_event(
            detail_type, source, account, region, resources, detail, self._now(), self._random
        )
        self.emit(event)
        return event

    def emit(self, event: dict[str, Any]) -> None:
        """Accept `event` for delivery, in the caller's transaction if one is open."""
        millis = _millis(self._now())
        key, emitted = _key(millis, str(event["id"])), millis / 1000
        with self._store.transaction() as txn:
            txn.put(key, _encode(event, emitted, {}, ()))

    def due(self, now: float, limit: int = 100, *, after: str | None = None) -> list[Pending]:
        """Up to `limit` entries due at `now` (some webhook's next attempt has come), in
        due order, after the key `after` if given. Unreadable entries are logged and
        removed, so that one cannot hold up the rest."""
        cutoff = _key(_millis(now), "~")  # "~" sorts after every event id
        found: list[Pending] = []
        broken: list[str] = []
        for key, raw in self._store.scan(PENDING_PREFIX, start_after=after):
            if key > cutoff or len(found) >= limit:
                break
            try:
                found.append(_decode(key, raw))
            except (ValueError, KeyError, TypeError, AttributeError):
                broken.append(key)
        if broken:
            self._discard(broken)
        return found

    def next_due(self) -> float | None:
        """When the earliest entry is due (seconds since the epoch), or None if empty."""
        for key, _ in self._store.scan(PENDING_PREFIX, limit=1):
            return int(key[len(PENDING_PREFIX) :][:_DIGITS]) / 1000
        return None

    def settle(
        self,
        entry: Pending,
        states: Mapping[str, DeliveryState],
        done: Iterable[str],
        next_attempt: float | None,
    ) -> bool:
        """Record a delivery round's outcome for `entry`: the new per-webhook states and
        done set, due again at `next_attempt`, or removed when that is None. False (and
        nothing written) if the entry changed or went since it was read."""
        event_id = str(entry.event["id"])
        with self._store.transaction() as txn:
            if txn.get(entry.key) != entry.raw:
                return False
            txn.delete(entry.key)
            if next_attempt is not None:
                key = _key(_millis(next_attempt), event_id)
                txn.put(key, _encode(entry.event, entry.emitted, states, done))
        return True

    def _discard(self, keys: list[str]) -> None:
        log.error("dropping %d unreadable outbox entries: %s", len(keys), ", ".join(keys))
        with self._store.transaction() as txn:
            for key in keys:
                txn.delete(key)
