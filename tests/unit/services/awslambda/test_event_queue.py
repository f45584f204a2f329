"""The queue of asynchronous invocations runs work on daemon threads and refuses work
past its bound instead of growing."""

from __future__ import annotations

import threading

import pytest

from strongroom.errors import TooManyRequestsException
from strongroom.services.awslambda.event_queue import EventQueue


def test_work_runs_on_daemon_threads_and_reports_through_futures() -> None:
    events = EventQueue(workers=2, pending=10)
    done = events.submit(lambda a, b: (a + b, threading.current_thread().daemon), 2, 3)
    assert done.result(timeout=10) == (5, True)
    failed = events.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failed.result(timeout=10)


def test_a_full_queue_refuses_more() -> None:
    started, release = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return release.wait(timeout=10)

    events = EventQueue(workers=1, pending=1)
    running = events.submit(hold)
    try:
        assert started.wait(timeout=10)  # the one worker is busy: the queue is empty
        queued = events.submit(release.wait, 10)
        with pytest.raises(TooManyRequestsException):
            events.submit(release.wait, 10)
    finally:
        release.set()
    assert running.result(timeout=10) is True
    assert queued.result(timeout=10) is True
