"""Delivery: sends the outbox's due events to their webhooks, in a background thread.

`run_once` takes what `Outbox.due` lists and, for each (event, webhook) pair due, POSTs it
(`webhooks.post`). Success marks that webhook done (the entry goes once every webhook
that wants it is done); failure schedules the next attempt with exponential back-off (1 s,
2 s, 4 s, ... at most `max_backoff`). A webhook still failing `max_age` after the event
was emitted gives up on it: logged with the event id, detail-type and webhook name (never
the body), and dropped. Webhooks that want none of an event's detail-type are not asked.

Invariants:
- Never on an API call's path: services only `emit` (one write in their own transaction);
  this runs in its own thread (`start`, `wake`, `stop`), never on the asyncio loop, and an
  error here is logged, never raised into a request.
- At-least-once: each outcome is recorded in its own short transaction after the POST,
  so a crash, or a second process running `run_once` at the same time, can deliver an
  event twice, never zero times. Receivers dedupe on the event id
  (`X-Strongroom-Event-Id`). With several workers only the scheduler's leader should
  deliver (`is_leader`), which keeps repeats rare.
- One receiver that is down costs one failed attempt per back-off step, not one per
  waiting event: after a failure the webhook is held (in memory) until its back-off ends,
  and events due for it meanwhile are rescheduled to that time without an attempt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from strongroom.errors import StrongroomError
from strongroom.events.event import event_bytes
from strongroom.events.outbox import DeliveryState, Outbox, Pending
from strongroom.events.webhooks import Webhook, post

__all__ = ["Deliverer", "Poster"]

log = logging.getLogger("strongroom.events")

Poster = Callable[[Webhook, bytes, float], bool]
"""Sends one signed delivery; True when the receiver accepted it (`webhooks.post`)."""

_MIN_WAIT = 0.05


class Deliverer:
    """Delivers outbox events to webhooks, with retries; one per process."""

    def __init__(
        self,
        outbox: Outbox,
        webhooks: Sequence[Webhook],
        clock_now: Callable[[], float],
        post: Poster = post,
        *,
        interval: float = 5.0,
        batch: int = 100,
        first_backoff: float = 1.0,
        max_backoff: float = 3600.0,
        max_age: float = 86400.0,
        is_leader: Callable[[], bool] | None = None,
    ) -> None:
        names = [webhook.name for webhook in webhooks]
        if len(set(names)) != len(names):
            raise ValueError("webhook names must be distinct")
        self._outbox = outbox
        self._webhooks = tuple(webhooks)
        self._now = clock_now
        self._post = post
        self._interval = interval
        self._batch = batch
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._max_age = max_age
        self._is_leader = is_leader or (lambda: True)
        self._held: dict[str, float] = {}  # webhook name -> no attempt before this time
        self._streak: dict[str, int] = {}  # webhook name -> failures in a row
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # guards starting the thread
        self._running = threading.Lock()  # one run_once at a time in this process

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the `attempts`-th failure in a row: 1, 2, 4, ... capped."""
        return min(self._first_backoff * 2.0 ** min(attempts - 1, 62), self._max_backoff)

    def run_once(self) -> int:
        """Send everything due now; returns how many deliveries succeeded.

        Calls in one process take turns (the thread's and a direct call's, say). After
        `stop`, it sends nothing until `start` is called again.
        """
        with self._running:
            return self._run_due()

    def _run_due(self) -> int:
        now = self._now()
        delivered = 0
        after: str | None = None
        while not self._stopping.is_set():
            entries = self._outbox.due(now, self._batch, after=after)
            for entry in entries:
                if self._stopping.is_set():
                    break
                delivered += self._deliver(entry)
            if len(entries) < self._batch:
                break
            after = entries[-1].key
        return delivered

    def _deliver(self, entry: Pending) -> int:
        """One delivery round for one entry, recorded in one transaction."""
        detail_type = str(entry.event.get("detail-type"))
        wanted = [w for w in self._webhooks if w.matches(detail_type) and w.name not in entry.done]
        states = dict(entry.states)
        done = set(entry.done)
        body = event_bytes(entry.event)
        delivered = 0
        for webhook in wanted:
            now = self._now()
            if not entry.is_due(webhook.name, now):
                continue
            state = entry.state(webhook.name)
            outcome = self._attempt(webhook, body, now)
            if outcome is True:
                delivered += 1
                states.pop(webhook.name, None)
                done.add(webhook.name)
                continue
            attempts = state.attempts + (1 if outcome is False else 0)
            retry = max(now + self.backoff(max(attempts, 1)), self._held.get(webhook.name, 0.0))
            states[webhook.name] = DeliveryState(attempts, retry)
            if retry > entry.emitted + self._max_age:
                self._give_up(entry, webhook, attempts)
                states.pop(webhook.name)
                done.add(webhook.name)
        remaining = [
            states.get(w.name) or entry.state(w.name) for w in wanted if w.name not in done
        ]
        next_attempt = min((s.next_attempt for s in remaining), default=None)
        self._outbox.settle(entry, states, done, next_attempt)
        return delivered

    def _attempt(self, webhook: Webhook, body: bytes, now: float) -> bool | None:
        """POST, unless the webhook is held after a recent failure (None: not tried).
        True when delivered, False when tried and failed."""
        if self._held.get(webhook.name, 0.0) > now:
            return None
        try:
            ok = self._post(webhook, body, now)
        except Exception:  # a poster must not stop the round; webhooks.post never raises
            log.exception("webhook %s: delivery raised", webhook.name)
            ok = False
        if ok:
            self._held.pop(webhook.name, None)
            self._streak.pop(webhook.name, None)
        else:
            streak = self._streak.get(webhook.name, 0) + 1
            self._streak[webhook.name] = streak
            self._held[webhook.name] = now + self.backoff(streak)
        return ok

    def _give_up(self, entry: Pending, webhook: Webhook, attempts: int) -> None:
        log.error(
            "webhook %s: giving up on event %s (%s): %d failed attempts, not accepted "
            "within %.0f s of its emission",
            webhook.name,
            entry.event.get("id"),
            entry.event.get("detail-type"),
            attempts,
            self._max_age,
        )

    # --- the background thread ----------------------------------------------------------

    def start(self) -> None:
        """Run deliveries in a daemon thread: at once, when woken, when a retry is due,
        and every `interval` seconds (for events other processes emitted)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="strongroom-webhooks", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """Ask the thread to run now (after an emit, or on the scheduler leader's tick)."""
        self._wake.set()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the thread after the delivery in progress (at most one POST's timeout)."""
        self._stopping.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _run(self) -> None:
        wait: float | None = 0.0
        while True:
            self._wake.wait(wait)
            self._wake.clear()
            if self._stopping.is_set():
                return
            wait = self._cycle()

    def _cycle(self) -> float:
        """One run if this process delivers; returns how long to sleep before the next."""
        if not self._is_leader():
            return self._interval
        try:
            self.run_once()
            upcoming = self._outbox.next_due()
        except StrongroomError as error:  # sealed, storage unavailable
            log.warning("webhook delivery paused: %s", error.message)
            return self._interval
        except Exception:
            log.exception("webhook delivery paused by an unexpected error")
            return self._interval
        if upcoming is None:
            return self._interval
        return min(self._interval, max(upcoming - self._now(), _MIN_WAIT))
