"""Work run in several threads at once, every failure reported with the test's.

An exception inside a thread would otherwise vanish with it: each is collected and the
test fails with all of them once every thread has finished (each waited for, bounded).
"""

from __future__ import annotations

import threading
from collections.abc import Callable


def in_threads(count: int, work: Callable[[int], None], timeout: float = 120) -> None:
    """Run `work(0)` ... `work(count - 1)` each in its own thread; fail with what they raised."""
    failures: list[BaseException] = []

    def run(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # reported below, with the test's failure
            failures.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not failures, failures
