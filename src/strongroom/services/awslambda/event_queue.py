"""Where asynchronous (`Event`) invocations wait and run: a few daemon threads and a
bounded queue.

Daemon threads, so a function still running (up to its 900-second Timeout) never holds
the server's exit; an invocation still queued or running when the process ends is lost,
as its caller was told only that it was accepted (202). The queue is bounded: when it is
full, Invoke answers TooManyRequestsException rather than let memory grow with every
accepted payload. Work that raises is logged by its submitter, never here.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from strongroom.errors import TooManyRequestsException

WORKERS = 4
PENDING = 1000


class EventQueue(Executor):
    """Runs submitted work on `workers` daemon threads, at most `pending` waiting."""

    def __init__(self, workers: int = WORKERS, pending: int = PENDING) -> None:
        self._work: queue.Queue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]] = (
            queue.Queue(pending)
        )
        self._workers = workers
        self._started = False
        self._lock = threading.Lock()

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            for number in range(self._workers):
                name = f"lambda-event-{number}"
                threading.Thread(target=self._serve, name=name, daemon=True).start()
            self._started = True

    def _serve(self) -> None:
        while True:
            future, fn, args = self._work.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as error:
                    future.set_exception(error)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        """Queue `fn(*args)`; TooManyRequestsException when the queue is full."""
        if kwargs:
            raise TypeError("EventQueue.submit takes positional arguments only")
        if not self._started:
            self._start()
        future: Future[Any] = Future()
        try:
            self._work.put_nowait((future, fn, args))
        except queue.Full:
            raise TooManyRequestsException("Rate Exceeded.") from None
        return future
