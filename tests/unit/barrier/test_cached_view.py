"""CachedView: reads from memory, own writes seen at once, other processes' writes seen
from the next refresh of the barrier's data version, and not before."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, CachedView, View
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = hashlib.sha256(b"cached view root key").digest()


class Process:
    """One process's barrier and cached view over its own connection to the shared file."""

    def __init__(self, path: Path, *, initialize: bool = False, limit: int = 100_000) -> None:
        self.storage = SqliteStorage(path)
        self.barrier = Barrier(self.storage)
        if initialize:
            self.barrier.initialize(ROOT_KEY)
        else:
            self.barrier.unseal(ROOT_KEY)
        self.view = View(self.barrier, "svc/")
        self.decoded = 0
        self.records: CachedView[str] = CachedView(self.view, self._decode, str.encode, limit)

    def _decode(self, data: bytes) -> str:
        self.decoded += 1
        return data.decode()


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    first = Process(tmp_path / "shared.db", initialize=True)
    second = Process(tmp_path / "shared.db")
    yield first, second
    for process in (first, second):
        process.storage.close()


def test_reads_come_from_memory_once_decoded(pair: tuple[Process, Process]) -> None:
    first, _ = pair
    first.view.put("a", b"one")
    assert first.records.get("a") == "one"
    assert first.records.get("a") == "one"
    assert first.records.get("missing") is None
    assert first.records.get("missing") is None
    assert first.decoded == 1  # each path read from storage once, absent ones included


def test_own_writes_are_seen_at_once(pair: tuple[Process, Process]) -> None:
    first, _ = pair
    assert first.records.get("a") is None
    first.records.save("a", "one")
    assert first.records.get("a") == "one"
    assert first.view.get("a") == b"one"  # durably, through the barrier
    first.records.remove("a")
    assert first.records.get("a") is None and first.view.get("a") is None


def test_load_always_reads_storage(pair: tuple[Process, Process]) -> None:
    first, _ = pair
    first.records.save("a", "one")
    first.view.put("a", b"changed underneath")
    assert first.records.get("a") == "one"  # the cache, until told otherwise
    assert first.records.load("a") == "changed underneath"
    first.records.forget()
    assert first.records.get("a") == "changed underneath"


def test_another_process_writes_are_seen_after_the_next_refresh(
    pair: tuple[Process, Process],
) -> None:
    first, second = pair
    first.records.save("a", "one")
    second.barrier.refresh_data_version()
    assert second.records.get("a") == "one"
    first.records.save("a", "two")
    first.records.remove("b")
    # One request sees one picture: nothing moves until the next refresh.
    assert second.records.get("a") == "one"
    second.barrier.refresh_data_version()
    assert second.records.get("a") == "two"
    assert second.records.get("b") is None


def test_a_process_own_save_after_a_refresh_keeps_the_new_picture(
    pair: tuple[Process, Process],
) -> None:
    first, second = pair
    first.records.save("a", "one")
    first.records.save("b", "one")
    assert second.records.get("a") == "one"
    first.records.save("a", "two")
    second.barrier.refresh_data_version()
    second.records.save("b", "second's")  # follows the version first: "a" is dropped too
    assert second.records.get("a") == "two"
    assert second.records.get("b") == "second's"


def test_scan_reads_storage_in_path_order(pair: tuple[Process, Process]) -> None:
    first, _ = pair
    for name in ("x/2", "x/1", "y/1"):
        first.records.save(name, name)
    assert list(first.records.scan("x/")) == [("x/1", "x/1"), ("x/2", "x/2")]
    assert list(first.records.scan("x/", start_after="x/1")) == [("x/2", "x/2")]


def test_memory_is_bounded(tmp_path: Path) -> None:
    process = Process(tmp_path / "alone.db", initialize=True, limit=3)
    try:
        for index in range(5):
            process.view.put(f"k{index}", b"v")
            process.records.get(f"k{index}")
        before = process.decoded
        process.records.get("k0")  # dropped when the cache started again
        assert process.decoded == before + 1
    finally:
        process.storage.close()


def test_a_rolled_back_write_is_dropped_by_forget(storage: Storage) -> None:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    records: CachedView[str] = CachedView(View(barrier, "svc/"), bytes.decode, str.encode)
    records.save("a", "one")
    with pytest.raises(RuntimeError), records.transaction():
        records.save("a", "two")
        raise RuntimeError("rolled back")
    assert records.load("a") == "one"
    assert records.get("a") == "two"  # the owner of the transaction must forget...
    records.forget()
    assert records.get("a") == "one"  # ...and then storage is the truth again
