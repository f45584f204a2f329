"""Processes sharing one database: sealing one seals all, until the server starts again.

A process follows the others in `Operator.refresh`, the step that begins each request and
scheduler tick; `Operator.is_sealed` is a query without side effects.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.api.sys.operator import Operator
from strongroom.barrier import Barrier, TermRotation
from strongroom.crypto import system_random
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = bytes(range(32))


class Worker:
    """One process's barrier and operator over its own connection to the shared file."""

    def __init__(self, path: Path, shared: bool = True) -> None:
        self.storage = SqliteStorage(path)
        self.barrier = Barrier(self.storage)
        self.sealed_calls = 0
        self.operator = Operator(
            self.barrier,
            TermRotation(self.barrier, time.time),
            on_unseal=lambda: None,
            on_seal=self._count_seal,
            auto_unseal=True,
            random=system_random,
            now=time.time,
            shared=shared,
        )

    def _count_seal(self) -> None:
        self.sealed_calls += 1


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    path = tmp_path / "strongroom.db"
    first = Worker(path)
    first.barrier.initialize(ROOT_KEY)
    second = Worker(path)
    second.barrier.unseal(ROOT_KEY)
    yield [first, second]
    for worker in (first, second):
        worker.storage.close()


def test_a_seal_in_one_process_seals_the_others_on_their_next_look(
    workers: list[Worker],
) -> None:
    first, second = workers
    for worker in workers:
        worker.operator.refresh()
    assert not first.operator.is_sealed() and not second.operator.is_sealed()
    first.operator.seal()
    second.operator.refresh()  # its next request begins so
    assert second.operator.is_sealed()
    assert second.operator.status()["sealed"] is True
    assert second.sealed_calls == 1  # its caches of secrets were dropped too


def test_a_process_started_again_finds_the_seal(workers: list[Worker], tmp_path: Path) -> None:
    workers[0].operator.seal()
    restarted = Worker(tmp_path / "strongroom.db")
    restarted.barrier.unseal(ROOT_KEY)  # a worker's dev auto-unseal at its start
    try:
        restarted.operator.refresh()
        assert restarted.operator.is_sealed()  # its first look finds the marker
    finally:
        restarted.storage.close()


def test_a_server_start_forgets_the_seal(workers: list[Worker], tmp_path: Path) -> None:
    workers[0].operator.seal()
    server = Worker(tmp_path / "strongroom.db")
    try:
        server.barrier.unseal(ROOT_KEY)
        server.operator.clear_shared_seal()
        server.operator.refresh()
        assert not server.operator.is_sealed()
    finally:
        server.storage.close()


def test_a_single_process_writes_no_marker(tmp_path: Path) -> None:
    alone = Worker(tmp_path / "strongroom.db", shared=False)
    try:
        alone.barrier.initialize(ROOT_KEY)
        alone.operator.seal()
        alone.operator.refresh()
        assert alone.barrier.read_core("operator-sealed") is None
        assert alone.operator.is_sealed()
    finally:
        alone.storage.close()


def test_is_sealed_is_a_query_that_follows_nothing(workers: list[Worker]) -> None:
    """Only `refresh` follows another process: asking `is_sealed` changes nothing."""
    first, second = workers
    second.operator.refresh()
    first.operator.seal()
    assert not second.operator.is_sealed()  # not refreshed yet: the answer of the last look
    assert second.sealed_calls == 0 and not second.barrier.sealed
    second.operator.refresh()
    assert second.operator.is_sealed() and second.sealed_calls == 1
    second.operator.refresh()  # following again seals nothing twice
    assert second.sealed_calls == 1
