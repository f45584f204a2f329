"""Access-key stores over a real barrier: one per simulated process, sharing one SQLite file."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.identity import AccessKeyStore
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = bytes(range(32))
START = 1_700_000_000.0


class FakeClock(Clock):
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        super().__init__()
        self.current = now

    def now(self) -> float:
        return self.current


@dataclass
class Process:
    """One server process: its own connection, barrier, clock and access-key store."""

    storage: SqliteStorage
    barrier: Barrier
    clock: FakeClock
    store: AccessKeyStore

    @property
    def view(self) -> View:
        return View(self.barrier, "identity/")

    def next_request(self) -> None:
        """What the edge does once per request when the storage is shared."""
        self.barrier.refresh_data_version()


@pytest.fixture
def process(tmp_path: Path) -> Iterator[Callable[[], Process]]:
    """Start simulated processes over one database (the first initializes it)."""
    started: list[Process] = []

    def start() -> Process:
        storage = SqliteStorage(tmp_path / "strongroom.db")
        barrier = Barrier(storage)
        if started:
            barrier.unseal(ROOT_KEY)
        else:
            barrier.initialize(ROOT_KEY)
        clock = FakeClock()
        store = AccessKeyStore(View(barrier, "identity/"), clock=clock)
        started.append(Process(storage, barrier, clock, store))
        return started[-1]

    yield start
    for each in started:
        each.storage.close()
