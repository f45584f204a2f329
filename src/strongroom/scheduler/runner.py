"""Runs leader-only jobs on an interval, inside the server's event loop.

Jobs are synchronous and short (one pass over the keys); they run on the loop so that
they never race the request handlers for the caches. A failing pass is logged and retried
on the next tick; state lives in storage, so restarts lose nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes, system_random
from strongroom.scheduler.lease import release, try_acquire
from strongroom.storage.base import Storage

log = logging.getLogger("strongroom.scheduler")

Job = Callable[[], object]


class Scheduler:
    """Calls every job once per interval while this process holds the lease."""

    def __init__(
        self,
        storage: Storage,
        clock: Clock,
        interval: float,
        jobs: list[Job],
        is_ready: Callable[[], bool],
        random: RandomBytes = system_random,
    ) -> None:
        """`random` draws the lease holder id, unique to this process and this start."""
        self._storage = storage
        self._clock = clock
        self._interval = interval
        self._jobs = jobs
        self._is_ready = is_ready
        self._holder = f"{os.getpid()}-{random(4).hex()}"
        self._task: asyncio.Task[None] | None = None
        self._leading = False

    def is_leader(self) -> bool:
        """Whether this process held the lease at its last tick (it runs the jobs)."""
        return self._leading

    def run_once(self) -> bool:
        """One tick: run every job if ready and leading; True when jobs ran."""
        if not self._is_ready():
            return False
        self._leading = try_acquire(
            self._storage, self._holder, self._clock.now(), 3 * self._interval
        )
        if not self._leading:
            return False
        for job in self._jobs:
            try:
                job()
            except Exception:
                log.exception("scheduled job %s failed; retrying next tick", job)
        return True

    async def _loop(self) -> None:
        while True:
            try:
                self.run_once()
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self._interval)

    def start(self) -> None:
        """Begin ticking on the running event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop ticking, and give the lease up if this process holds it."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._leading:
            self._leading = False
            try:
                release(self._storage, self._holder)
            except Exception:  # a closed or failing store: the lease lapses on its own
                log.exception("could not release the scheduler lease")
