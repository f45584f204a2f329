"""Runs rotations: claims what is due, invokes the function's steps off the event loop.

The scheduler's leader calls `tick` (a job); RotateSecret calls `wake` once its
transaction has committed, so a rotation asked for now starts now rather than at the next
tick. Each claimed rotation runs on a small thread pool: its steps are invocations of a
function in its own process, which calls back into this server over HTTP, so a step must
never run on the event loop (a single-process server would wait for itself). A slow or
hung function holds one pool thread until its timeout, never a request. The outcome of
every run is written back (`rotation_runs.record_outcome`); nothing of a failure touches
AWSCURRENT.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from strongroom.errors import StrongroomError
from strongroom.services.secretsmanager.functions_gateway import FunctionsGateway
from strongroom.services.secretsmanager.rotation_runs import (
    RotationTask,
    claim_due,
    record_outcome,
)
from strongroom.services.secretsmanager.service import SecretsManager

log = logging.getLogger("strongroom.rotation")

MAX_PARALLEL_ROTATIONS = 4


class RotationEngine:
    """This process's rotation runner (one per process start, named by `engine_id`)."""

    def __init__(
        self,
        sm: SecretsManager,
        functions: FunctionsGateway,
        is_leader: Callable[[], bool],
        engine_id: str,
    ) -> None:
        self._sm = sm
        self._functions = functions
        self._is_leader = is_leader
        self._id = engine_id
        self._busy: set[str] = set()  # tokens of the runs this engine runs now
        self._lock = threading.Lock()  # guards _busy and claiming
        self._pool = ThreadPoolExecutor(MAX_PARALLEL_ROTATIONS, thread_name_prefix="rotation")

    def tick(self) -> int:
        """Claim every due rotation and start it; how many started."""
        with self._lock:
            tasks = claim_due(self._sm, self._id, set(self._busy))
            self._busy.update(task.token for task in tasks)
        for task in tasks:
            self._pool.submit(self._run, task)
        return len(tasks)

    def wake(self) -> None:
        """A rotation was asked for: claim it now, off the caller's thread (leader only:
        another process's leader finds it at its next tick)."""
        if self._is_leader():
            self._pool.submit(self._tick_logged)

    def stop(self) -> None:
        """Start nothing more (runs under way finish: their functions have timeouts)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _tick_logged(self) -> None:
        try:
            self.tick()
        except Exception:
            log.exception("claiming due rotations failed; the scheduler tries again")

    def _run(self, task: RotationTask) -> None:
        try:
            failure = self._steps(task)
            record_outcome(self._sm, task, failure)
        except Exception:
            log.exception("recording the rotation of %s failed; it is retried", task.arn)
        finally:
            with self._lock:
                self._busy.discard(task.token)

    def _steps(self, task: RotationTask) -> str | None:
        """Invoke each step in order; why the first failing one failed, or None."""
        for step in task.steps:
            try:
                outcome = self._functions.run_step(
                    task.account, task.region, task.function_arn, task.event(step)
                )
            except StrongroomError as error:
                return f"{step}: {error.code}: {error.message}"[:512]
            except Exception:
                log.exception("rotation step %s of %s failed", step, task.arn)
                return f"{step}: internal error"
            if outcome.failed:
                return f"{step}: {outcome.error}"
        return None
