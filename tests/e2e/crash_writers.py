"""Writers racing a server that is killed (`kill -9`) once they have done enough.

Each thread has its own client (its own connections) and writes until the server dies
under it. A write whose call returned is acknowledged; the one a thread had in flight
when its connection broke may or may not have landed. Any other failure before enough
writes were acknowledged fails the test (after that, an odd answer is the crash's doing).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

from tests.e2e.harness import ServerProcess

Ack = TypeVar("Ack")


def write_until_killed(
    server: ServerProcess,
    service: str,
    write: Callable[[Any, int, int], Ack],
    *,
    threads: int,
    enough: int,
) -> tuple[list[Ack], list[tuple[int, int]]]:
    """`write(client, worker, n)` for n = 0, 1, ... in `threads` threads until `enough`
    writes are acknowledged, then the server is killed; what each acknowledged write
    returned, and (worker, n) of each write in flight when the server died."""
    acknowledged: list[Ack] = []
    in_flight: list[tuple[int, int]] = []
    reached = threading.Event()
    failures: list[BaseException] = []
    clients = [server.client(service) for _ in range(threads)]

    def writer(worker: int) -> None:
        n = 0
        while True:
            try:
                done = write(clients[worker], worker, n)
            except (BotoConnectionError, HTTPClientError):
                in_flight.append((worker, n))  # never acknowledged; it may have landed
                return
            except Exception as error:  # an unexpected refusal fails the test
                if not reached.is_set():
                    failures.append(error)
                return
            acknowledged.append(done)
            n += 1
            if len(acknowledged) >= enough:
                reached.set()

    workers = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
    for thread in workers:
        thread.start()
    assert reached.wait(timeout=120), "writers made too little progress"
    server.kill()
    for thread in workers:
        thread.join(timeout=60)
    assert not failures, failures
    return list(acknowledged), list(in_flight)
