"""Key usage: noted in memory on the request path, written out by each process's ticks."""

from __future__ import annotations

from strongroom.barrier import Barrier, View
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.usage_tracker import WRITE_EVERY, UsageTracker
from strongroom.storage.memory import MemoryStorage


class Clock:
    def __init__(self) -> None:
        self.at = 1_000_000.0

    def now(self) -> float:
        return self.at


def _view() -> View:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    return View(barrier, "kms/")


KEY = KeyRecord("1234abcd-12ab-34cd-56ef-1234567890ab", "111122223333", "us-east-1", "aws", 0.0)


def test_a_use_is_seen_at_once_here_and_elsewhere_after_a_flush() -> None:
    view, clock = _view(), Clock()
    worker, other = UsageTracker(view, clock), UsageTracker(view, clock)  # two processes
    worker.used(KEY, "Encrypt")
    assert worker.latest(KEY) == ("Encrypt", clock.at)
    assert other.latest(KEY) is None  # nothing touched storage on the request path
    assert worker.flush() == 1
    assert other.latest(KEY) == ("Encrypt", clock.at)


def test_a_key_is_written_at_most_once_per_interval_and_the_rest_waits() -> None:
    view, clock = _view(), Clock()
    worker, other = UsageTracker(view, clock), UsageTracker(view, clock)
    worker.used(KEY, "Encrypt")
    worker.flush()
    clock.at += 1
    worker.used(KEY, "Decrypt")
    assert worker.flush() == 0  # written a second ago: it waits
    assert other.latest(KEY) == ("Encrypt", clock.at - 1)
    clock.at += WRITE_EVERY
    assert worker.flush() == 1
    assert other.latest(KEY) == ("Decrypt", clock.at - WRITE_EVERY)


def test_an_older_use_never_overwrites_a_newer_one_another_process_wrote() -> None:
    view, clock = _view(), Clock()
    slow, fast = UsageTracker(view, clock), UsageTracker(view, clock)
    slow.used(KEY, "Encrypt")
    clock.at += 5
    fast.used(KEY, "Sign")
    fast.flush()
    slow.flush()
    assert UsageTracker(view, clock).latest(KEY) == ("Sign", clock.at)


def test_flush_all_writes_everything_at_shut_down() -> None:
    view, clock = _view(), Clock()
    worker = UsageTracker(view, clock)
    worker.used(KEY, "Encrypt")
    worker.flush()
    clock.at += 1
    worker.used(KEY, "GenerateMac")
    worker.flush_all()
    assert UsageTracker(view, clock).latest(KEY) == ("GenerateMac", clock.at)
