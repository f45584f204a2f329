"""The Storage contract, run against every backend (memory, SQLite, PostgreSQL).

Each test gets a fresh, empty store from the `backend` fixture (conftest.py). Tests that need
a second connection to the same data skip for memory, whose store is private to its object.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from strongroom.storage import Storage, StorageError, StorageUnavailableError, Transaction

if TYPE_CHECKING:
    from conftest import Backend

MIB = 1 << 20


class Boom(Exception):
    """An error raised inside a transaction block by the test itself."""


def paths(pairs: object) -> list[str]:
    return [path for path, _ in pairs]  # type: ignore[attr-defined]


def put_all(store: Storage, keys: list[str], value: bytes = b"v") -> None:
    with store.transaction() as txn:
        for key in keys:
            txn.put(key, value)


# --- get, put, delete -----------------------------------------------------------------


def test_get_of_a_missing_path_is_none(store: Storage) -> None:
    assert store.get("kms/nothing/here") is None


def test_put_then_get_overwrite_then_delete(store: Storage) -> None:
    store.put("kms/a", b"one")
    assert store.get("kms/a") == b"one"
    store.put("kms/a", b"two")
    assert store.get("kms/a") == b"two"
    store.delete("kms/a")
    assert store.get("kms/a") is None
    store.delete("kms/a")  # deleting what is absent is fine
    assert list(store.scan("")) == []


def test_paths_are_exact_not_prefixes(store: Storage) -> None:
    store.put("k/1", b"a")
    store.put("k/10", b"b")
    assert store.get("k/1") == b"a"
    assert store.get("k/10") == b"b"
    assert store.get("k/") is None
    store.delete("k/1")
    assert store.get("k/10") == b"b"


@pytest.mark.parametrize(
    "value",
    [b"", b"\x00", bytes(range(256)), random.Random(7).randbytes(MIB)],
    ids=["empty", "nul", "all-bytes", "1MiB"],
)
def test_binary_values_round_trip(store: Storage, value: bytes) -> None:
    store.put("v", value)
    got = store.get("v")
    assert type(got) is bytes
    assert got == value
    [(path, scanned)] = store.scan("v")
    assert (path, type(scanned), scanned) == ("v", bytes, value)
    with store.transaction() as txn:
        txn.put("w", value)
        assert txn.get("w") == value
    assert store.get("w") == value


def test_bytes_like_values_come_back_as_bytes(store: Storage) -> None:
    store.put("a", bytearray(b"ab"))
    store.put("b", memoryview(b"cd"))
    assert (store.get("a"), store.get("b")) == (b"ab", b"cd")
    assert type(store.get("a")) is bytes


UNICODE_PATHS = [
    "A",
    "a",
    "z",
    "~",
    "\u00e4",
    "\u00e9",
    "\u00ff",
    "\u0100",
    "\u07ff",
    "\u0800",
    "\ud7ff",
    "\ue000",
    "\uffff",
    "\U00010000",
    "\U0001f511",
    "\U0010ffff",
    "kms/eu-west-1/ключ/\u5bc6\u94a5",
]


def test_unicode_paths_round_trip_in_code_point_order(store: Storage) -> None:
    shuffled = UNICODE_PATHS[:]
    random.Random(3).shuffle(shuffled)
    for path in shuffled:
        store.put(path, path.encode())
    for path in UNICODE_PATHS:
        assert store.get(path) == path.encode()
    scanned = list(store.scan(""))
    assert paths(scanned) == sorted(UNICODE_PATHS)
    assert all(value == path.encode() for path, value in scanned)


@pytest.mark.parametrize(
    ("path", "error"),
    [("", ValueError), ("a\x00b", ValueError), ("a\ud800", ValueError), (b"a", TypeError)],
    ids=["empty", "nul", "lone-surrogate", "bytes"],
)
def test_bad_paths_are_refused(store: Storage, path: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        store.put(path, b"x")
    with pytest.raises(error):
        store.get(path)
    with pytest.raises(error):
        store.delete(path)
    with store.transaction() as txn, pytest.raises(error):
        txn.put(path, b"x")
    assert list(store.scan("")) == []


def test_values_that_are_not_bytes_are_refused(store: Storage) -> None:
    for value in ("text", 5, None):
        with pytest.raises(TypeError):
            store.put("k", value)  # type: ignore[arg-type]
    assert store.get("k") is None


# --- scan -------------------------------------------------------------------------------


def test_scan_prefix_boundaries(store: Storage) -> None:
    keys = ["`", "a", "a.", "a/", "a/b", "a/b/c", "a/\U0010ffff", "a0", "A/", "b"]
    put_all(store, keys)
    assert paths(store.scan("a/")) == ["a/", "a/b", "a/b/c", "a/\U0010ffff"]
    assert paths(store.scan("a/b")) == ["a/b", "a/b/c"]
    assert paths(store.scan("a")) == ["a", "a.", "a/", "a/b", "a/b/c", "a/\U0010ffff", "a0"]
    assert paths(store.scan("")) == sorted(keys)
    assert paths(store.scan("c")) == []


@pytest.mark.parametrize(
    ("prefix", "inside", "outside"),
    [
        (
            "a\U0010ffff",
            ["a\U0010ffff", "a\U0010ffff\U0010ffff", "a\U0010ffffz"],
            ["a\U0010fffe", "b"],
        ),
        ("\U0010ffff", ["\U0010ffff", "\U0010ffffx"], ["z", "\U0010fffe"]),
        ("\ud7ff", ["\ud7ff", "\ud7ff\U0010ffff", "\ud7ffa"], ["\ue000", "\ud7fe"]),
    ],
    ids=["max-code-point-tail", "max-code-point-only", "before-surrogates"],
)
def test_scan_prefix_edges_of_unicode(
    store: Storage, prefix: str, inside: list[str], outside: list[str]
) -> None:
    put_all(store, inside + outside)
    assert paths(store.scan(prefix)) == sorted(inside)


def test_scan_start_after(store: Storage) -> None:
    put_all(store, ["o", "p/1", "p/2", "p/3", "p/4", "p/5", "q"])
    assert paths(store.scan("p/", start_after="p/3")) == ["p/4", "p/5"]
    assert paths(store.scan("p/", start_after="p/2x")) == ["p/3", "p/4", "p/5"]
    assert paths(store.scan("p/", start_after="a")) == ["p/1", "p/2", "p/3", "p/4", "p/5"]
    assert paths(store.scan("p/", start_after="p/")) == ["p/1", "p/2", "p/3", "p/4", "p/5"]
    assert paths(store.scan("p/", start_after="p/5")) == []
    assert paths(store.scan("p/", start_after="q")) == []
    assert paths(store.scan("", start_after="")) == ["o", "p/1", "p/2", "p/3", "p/4", "p/5", "q"]


def test_scan_limit(store: Storage) -> None:
    put_all(store, ["p/1", "p/2", "p/3", "p/4", "p/5", "q"])
    assert paths(store.scan("p/", limit=0)) == []
    assert paths(store.scan("p/", limit=2)) == ["p/1", "p/2"]
    assert paths(store.scan("p/", limit=10)) == ["p/1", "p/2", "p/3", "p/4", "p/5"]
    assert paths(store.scan("p/", start_after="p/2", limit=2)) == ["p/3", "p/4"]
    with pytest.raises(ValueError):
        store.scan("p/", limit=-1)


def test_scan_checks_its_arguments_before_iterating(store: Storage) -> None:
    with pytest.raises(ValueError):
        store.scan("a\x00")
    with pytest.raises(ValueError):
        store.scan("a", start_after="\ud800")
    with pytest.raises(TypeError):
        store.scan("a", limit="3")  # type: ignore[arg-type]


def test_long_scans_and_pagination_cross_pages(store: Storage) -> None:
    keys = [f"s/{i:04d}" for i in range(700)]
    put_all(store, [*keys, "s0", "r"])
    assert paths(store.scan("s/")) == keys
    assert paths(store.scan("s/", limit=300)) == keys[:300]
    assert paths(store.scan("s/", start_after=keys[399])) == keys[400:]
    collected: list[str] = []
    after: str | None = None
    while page := paths(store.scan("s/", start_after=after, limit=64)):
        collected += page
        after = page[-1]
    assert collected == keys


def test_deleting_while_scanning_visits_each_path_once(store: Storage) -> None:
    keys = [f"d/{i:04d}" for i in range(600)]
    put_all(store, keys)
    seen = []
    for path, _ in store.scan("d/"):
        seen.append(path)
        store.delete(path)
    assert seen == keys
    assert list(store.scan("d/")) == []


# --- transactions ----------------------------------------------------------------------


def test_transaction_commits_every_write(store: Storage) -> None:
    put_all(store, ["keep", "overwrite", "remove"], b"old")
    with store.transaction() as txn:
        txn.put("new", b"1")
        txn.put("overwrite", b"2")
        txn.delete("remove")
        txn.delete("never-there")
        txn.put("gone-again", b"3")
        txn.delete("gone-again")
        txn.delete("back-again")
        txn.put("back-again", b"4")
    assert dict(store.scan("")) == {
        "back-again": b"4",
        "keep": b"old",
        "new": b"1",
        "overwrite": b"2",
    }


def test_an_error_in_the_block_rolls_everything_back(store: Storage) -> None:
    put_all(store, ["keep", "overwrite", "remove"], b"old")
    raised = Boom("inside")
    with pytest.raises(Boom) as caught, store.transaction() as txn:
        txn.put("new", b"1")
        txn.put("overwrite", b"2")
        txn.delete("remove")
        raise raised
    assert caught.value is raised
    assert dict(store.scan("")) == {"keep": b"old", "overwrite": b"old", "remove": b"old"}
    store.put("after", b"ok")  # the store is usable again
    assert store.get("after") == b"ok"


def test_a_transaction_reads_its_own_writes(store: Storage) -> None:
    put_all(store, ["a", "b"], b"old")
    with store.transaction() as txn:
        assert txn.get("a") == b"old"
        txn.put("a", b"new")
        txn.delete("b")
        txn.put("c", b"added")
        assert (txn.get("a"), txn.get("b"), txn.get("c")) == (b"new", None, b"added")
        txn.put("c", b"again")
        assert txn.get("c") == b"again"


def test_a_transaction_scans_its_own_writes(store: Storage) -> None:
    put_all(store, ["a/1", "a/3", "a/5", "a/7", "b/1"], b"old")
    with store.transaction() as txn:
        txn.put("a/2", b"2")
        txn.delete("a/3")
        txn.put("a/5", b"5")
        txn.put("a/6", b"6")
        txn.put("a0", b"outside")
        txn.delete("b/1")
        assert list(txn.scan("a/")) == [
            ("a/1", b"old"),
            ("a/2", b"2"),
            ("a/5", b"5"),
            ("a/6", b"6"),
            ("a/7", b"old"),
        ]
        assert paths(txn.scan("a/", start_after="a/2", limit=2)) == ["a/5", "a/6"]
        assert paths(txn.scan("a/", limit=3)) == ["a/1", "a/2", "a/5"]
        assert paths(txn.scan("b/")) == []


def test_transaction_scans_match_a_model(store: Storage) -> None:
    """Many interleaved puts and deletes, some committed, checked against a plain dict."""
    rng = random.Random(11)
    names = [f"m/{rng.randrange(400):03d}" for _ in range(900)]
    model = {name: name.encode() for name in names[:500]}
    with store.transaction() as txn:
        for name, value in model.items():
            txn.put(name, value)
    with store.transaction() as txn:
        for name in names[500:]:
            if rng.random() < 0.5:
                model.pop(name, None)
                txn.delete(name)
            else:
                model[name] = b"new " + name.encode()
                txn.put(name, model[name])
        expected = sorted(model.items())
        assert list(txn.scan("m/")) == expected
        assert list(txn.scan("m/1")) == [item for item in expected if item[0].startswith("m/1")]
        after = expected[100][0]
        assert list(txn.scan("m/", start_after=after, limit=270)) == expected[101:371]
    assert list(store.scan("m/")) == expected


def test_a_finished_transaction_cannot_be_used(store: Storage) -> None:
    with store.transaction() as txn:
        txn.put("a", b"1")
    leaked: Transaction = txn
    for use in (
        lambda: leaked.get("a"),
        lambda: leaked.put("b", b"2"),
        lambda: leaked.delete("a"),
        lambda: list(leaked.scan("")),
    ):
        with pytest.raises(RuntimeError):
            use()
    assert dict(store.scan("")) == {"a": b"1"}


def test_the_store_refuses_its_own_transactions_thread(store: Storage) -> None:
    """Inside a transaction, reads and writes go through it: the store says so, not hangs."""
    with store.transaction() as txn:
        txn.put("a", b"1")
        for use in (
            lambda: store.get("a"),
            lambda: store.put("b", b"2"),
            lambda: store.delete("a"),
            lambda: list(store.scan("")),
            lambda: store.transaction().__enter__(),
            lambda: store.scrub(),
        ):
            with pytest.raises(RuntimeError):
                use()
    assert dict(store.scan("")) == {"a": b"1"}


def test_uncommitted_writes_are_invisible_to_other_readers(backend: Backend) -> None:
    store = backend.open()
    other = backend.open()
    store.put("a", b"old")
    with ThreadPoolExecutor(1) as pool, store.transaction() as txn:
        txn.put("a", b"new")
        txn.put("b", b"new")
        if backend.shared:  # another connection reads without waiting for the writer
            seen = (other.get("a"), other.get("b"), list(other.scan("")))
        else:  # the same store from another thread
            seen = pool.submit(
                lambda: (other.get("a"), other.get("b"), list(other.scan("")))
            ).result()
        assert seen == (b"old", None, [("a", b"old")])
    assert (other.get("a"), other.get("b")) == (b"new", b"new")


def test_transactions_serialize_writers(backend: Backend) -> None:
    """Concurrent read-modify-write transactions lose no update."""
    first = backend.open()
    second = backend.open()
    first.put("counter", b"0")
    rounds = 40

    def increment(store: Storage) -> None:
        for _ in range(rounds):
            with store.transaction() as txn:
                count = int(txn.get("counter") or b"")
                time.sleep(0)  # let the other thread run between the read and the write
                txn.put("counter", str(count + 1).encode())

    with ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(increment, first), pool.submit(increment, second)]:
            done.result()
    assert first.get("counter") == str(2 * rounds).encode()
    assert second.get("counter") == str(2 * rounds).encode()


def test_threads_share_one_store(store: Storage) -> None:
    """Many threads writing and reading one object keep every write."""
    barrier = threading.Barrier(4)

    def work(worker: int) -> None:
        barrier.wait()
        for i in range(25):
            store.put(f"t/{worker}/{i:02d}", bytes([worker, i]))
            assert store.get(f"t/{worker}/{i:02d}") == bytes([worker, i])

    with ThreadPoolExecutor(4) as pool:
        for done in [pool.submit(work, worker) for worker in range(4)]:
            done.result()
    assert len(list(store.scan("t/"))) == 100


# --- several connections ----------------------------------------------------------------


def test_a_commit_is_visible_to_every_connection(backend: Backend) -> None:
    if not backend.shared:
        pytest.skip("a MemoryStorage has no second connection")
    first, second = backend.open(), backend.open()
    first.put("a", b"1")
    assert second.get("a") == b"1"
    with second.transaction() as txn:
        txn.put("b", b"2")
        txn.delete("a")
    assert dict(first.scan("")) == {"b": b"2"}


def test_data_is_still_there_after_reopening(backend: Backend) -> None:
    if not backend.shared:
        pytest.skip("a MemoryStorage is gone with its object")
    first = backend.open()
    first.put("a", b"1")
    first.close()
    assert backend.open().get("a") == b"1"


def test_own_commits_do_not_move_data_version(store: Storage) -> None:
    before = store.data_version()
    assert store.data_version() == before
    store.put("a", b"1")
    with store.transaction() as txn:
        txn.put("b", b"2")
    store.delete("a")
    assert store.data_version() == before


def test_data_version_moves_when_another_connection_commits(backend: Backend) -> None:
    if not backend.shared:
        pytest.skip("a MemoryStorage has no other connection: its data_version is constant")
    watcher, writer = backend.open(), backend.open()
    seen = watcher.data_version()

    writer.put("a", b"1")
    assert watcher.data_version() != seen
    seen = watcher.data_version()
    assert watcher.data_version() == seen  # stable while nobody commits

    with writer.transaction() as txn:
        txn.put("b", b"2")
        txn.delete("a")
    assert watcher.data_version() != seen
    seen = watcher.data_version()

    writer.delete("b")
    assert watcher.data_version() != seen


def test_a_rollback_does_not_move_data_version(backend: Backend) -> None:
    if not backend.shared:
        pytest.skip("a MemoryStorage has no other connection: its data_version is constant")
    watcher, writer = backend.open(), backend.open()
    seen, writers_own = watcher.data_version(), writer.data_version()
    with pytest.raises(Boom), writer.transaction() as txn:
        txn.put("a", b"1")
        raise Boom
    assert watcher.data_version() == seen
    assert writer.data_version() == writers_own


def test_a_lost_connection_fails_one_call_then_reconnects(backend: Backend) -> None:
    if backend.disconnect is None:
        pytest.skip(f"a {backend.name} store has no server connection to lose")
    store = backend.open()
    store.put("a", b"1")
    seen = store.data_version()
    backend.disconnect()
    with pytest.raises(StorageUnavailableError):
        store.get("a")
    assert store.get("a") == b"1"
    backend.disconnect()
    with pytest.raises(StorageUnavailableError), store.transaction() as txn:
        txn.put("b", b"2")
    with store.transaction() as txn:
        txn.put("b", b"2")
    assert dict(store.scan("")) == {"a": b"1", "b": b"2"}
    assert store.data_version() == seen


# --- scrubbing ------------------------------------------------------------------------


def test_scrub_keeps_every_stored_value_and_can_run_again(backend: Backend) -> None:
    """It erases only what was deleted or replaced, from any connection, any number of times.

    That the erased bytes leave the files is backend-specific: tests/unit/storage.
    """
    store = backend.open()
    put_all(store, ["a", "b", "c"], b"old")
    store.put("b", b"new")
    with store.transaction() as txn:
        txn.delete("c")
    store.scrub()
    store.scrub()
    assert dict(store.scan("")) == {"a": b"old", "b": b"new"}
    other = backend.open()
    other.delete("a")
    other.scrub()
    store.put("d", b"after")
    assert dict(store.scan("")) == {"b": b"new", "d": b"after"}
    assert dict(other.scan("")) == {"b": b"new", "d": b"after"}


# --- closing ----------------------------------------------------------------------------


def test_a_closed_store_says_so(store: Storage) -> None:
    store.put("a", b"1")
    store.close()
    store.close()  # idempotent
    for use in (
        lambda: store.get("a"),
        lambda: store.put("a", b"2"),
        lambda: store.delete("a"),
        lambda: list(store.scan("")),
        lambda: store.data_version(),
        lambda: store.transaction().__enter__(),
        lambda: store.scrub(),
    ):
        with pytest.raises(StorageError, match="closed"):
            use()
