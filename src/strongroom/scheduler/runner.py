"""Runs leader-only jobs (and each process's own upkeep) on an interval, off the server's
event loop.

Jobs are synchronous; each tick runs them in order on a worker thread, so a slow job never
delays a request. They share the services' caches with the request handlers as any
writer does: each change is a transaction, and a rolled-back one forgets the caches. One
tick runs at a time (the dev clock's tick waits for one under way). A failing job is
logged and retried on the next tick; state lives in storage, so restarts lose nothing.
Local jobs run first on every tick of every ready process, leader or not: they write out
what this process alone holds in memory (KMS's key usage).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable

from strongroom.clock import Clock
from strongroom.crypto import RandomBytes, system_random
from strongroom.process_identity import holder_id
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
        local_jobs: list[Job] | None = None,
    ) -> None:
        """`random` draws the lease holder id, unique to this process and this start."""
        self._storage = storage
        self._clock = clock
        self._interval = interval
        self._jobs = jobs
        self._local_jobs = local_jobs or []
        self._is_ready = is_ready
        self._holder = holder_id(random(4).hex())
        self._task: asyncio.Task[None] | None = None
        self._leading = False
        self._ticking = threading.Lock()

    def is_leader(self) -> bool:
        """Whether this process held the lease at its last tick (it runs the jobs)."""
        return self._leading

    def run_once(self) -> bool:
        """One tick: run every job if ready and leading; True when jobs ran."""
        with self._ticking:
            return self._tick()

    def _tick(self) -> bool:
        if not self._is_ready():
            return False
        self._run(self._local_jobs)
        self._leading = try_acquire(
            self._storage, self._holder, self._clock.now(), 3 * self._interval
        )
        if not self._leading:
            return False
        self._run(self._jobs)
        return True

    @staticmethod
    def _run(jobs: list[Job]) -> None:
        for job in jobs:
            try:
                job()
            except Exception:
                log.exception("scheduled job %s failed; retrying next tick", job)

    async def _loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.run_once)
            except Exception:
                log.exception("scheduler tick failed")
            await asyncio.sleep(self._interval)

    def _wait_for_tick(self) -> None:
        """Return once no tick is under way (a cancelled loop leaves its thread running)."""
        with self._ticking:
            pass

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
            await asyncio.to_thread(self._wait_for_tick)
        if self._leading:
            self._leading = False
            try:
                release(self._storage, self._holder)
            except Exception:  # a closed or failing store: the lease lapses on its own
                log.exception("could not release the scheduler lease")
