"""Key-term rotation: a new term at once, every record re-encrypted to it, old terms gone.

Runs over MemoryStorage and SqliteStorage (conftest); "raw" reads the storage underneath,
as whoever holds the files would.
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack, closing
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, TermRotation
from strongroom.barrier import record as record_format
from strongroom.barrier.barrier import CORE_PREFIX
from strongroom.barrier.cipher import Cipher
from strongroom.barrier.keyring import Keyring
from strongroom.barrier.term_rotation import PROGRESS
from strongroom.crypto import system_random
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = hashlib.sha256(b"term rotation root key").digest()


def terms_in_storage(storage: Storage) -> dict[str, int]:
    """The keyring term each stored record names, read without any key."""
    return {
        path: record_format.decode(data).term
        for path, data in storage.scan("")
        if not path.startswith(CORE_PREFIX)
    }


def filled(storage: Storage, count: int = 50) -> tuple[Barrier, dict[str, bytes]]:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    values = {f"svc/item/{n:04d}": f"value {n}".encode() * (n % 5 + 1) for n in range(count)}
    for path, value in values.items():
        barrier.put(path, value)
    return barrier, values


def test_rotation_reencrypts_every_record_then_deletes_the_old_term(storage: Storage) -> None:
    barrier, values = filled(storage)
    assert set(terms_in_storage(storage).values()) == {1}
    rotation = TermRotation(barrier, lambda: 1000.0, batch=7)

    rotation.stop()  # no background thread: this test drives the work itself
    assert barrier.rotate_term() == 2
    barrier.write_core(PROGRESS, b'{"term": 2, "started": 1000, "after": null, "reencrypted": 0}')
    barrier.put("svc/new", b"written after the rotation")
    assert terms_in_storage(storage)["svc/new"] == 2  # new writes use the new term at once
    assert barrier.terms() == (2, [1, 2])
    assert rotation.status()["rotation"]["old_terms"] == [1]

    rotation._stop.clear()
    assert rotation.run() is True
    assert set(terms_in_storage(storage).values()) == {2}
    assert barrier.terms() == (2, [2])
    assert barrier.read_core(PROGRESS) is None
    assert "rotation" not in rotation.status()
    for path, value in values.items():
        assert barrier.get(path) == value
    # The keyring as stored holds the active term alone: a fresh process sees only it.
    again = Barrier(storage)
    again.unseal(ROOT_KEY)
    assert again.terms() == (2, [2])
    assert again.get("svc/new") == b"written after the rotation"


def test_an_interrupted_rotation_resumes_where_it_stopped(storage: Storage) -> None:
    barrier, values = filled(storage, count=40)
    term = barrier.rotate_term()
    barrier.write_core(
        PROGRESS, b'{"term": %d, "started": 0, "after": null, "reencrypted": 0}' % term
    )
    # One batch, then "the process dies": the progress says how far it came.
    rewritten, last = barrier.reencrypt_batch(None, 12)  # core/ paths come first: 2 of 12
    assert rewritten == 10 and last == "svc/item/0009"
    barrier.write_core(
        PROGRESS, b'{"term": 2, "started": 0, "after": "svc/item/0009", "reencrypted": 10}'
    )
    barrier.seal()

    restarted = Barrier(storage)
    restarted.unseal(ROOT_KEY)
    assert restarted.terms() == (2, [1, 2])
    resumed = TermRotation(restarted, lambda: 0.0, batch=10)
    assert resumed.status()["rotation"]["reencrypted"] == 10
    assert resumed.run() is True
    assert set(terms_in_storage(storage).values()) == {2}
    assert restarted.terms() == (2, [2])
    assert all(restarted.get(path) == value for path, value in values.items())


def test_old_terms_stay_while_a_record_still_uses_one(storage: Storage) -> None:
    barrier, _ = filled(storage, count=3)
    barrier.rotate_term()
    assert barrier.retire_old_terms() is False  # three records are still under term 1
    assert barrier.terms() == (2, [1, 2])
    assert barrier.reencrypt_batch(None, 100)[0] == 3
    assert barrier.retire_old_terms() is True
    assert barrier.terms() == (2, [2])


def test_the_background_thread_finishes_the_work(storage: Storage) -> None:
    barrier, values = filled(storage, count=30)
    rotation = TermRotation(barrier, lambda: 0.0, batch=4)
    assert rotation.rotate() == 2
    assert rotation.wait(timeout=60)  # the thread ends once the work is done
    assert barrier.read_core(PROGRESS) is None
    assert barrier.terms() == (2, [2])
    assert set(terms_in_storage(storage).values()) == {2}
    assert all(barrier.get(path) == value for path, value in values.items())


def test_a_sealed_barrier_pauses_the_work_and_unseal_resumes_it(storage: Storage) -> None:
    barrier, values = filled(storage, count=5)
    rotation = TermRotation(barrier, lambda: 0.0, batch=1)
    rotation.stop()
    barrier.rotate_term()
    barrier.write_core(PROGRESS, b'{"term": 2, "started": 0, "after": null, "reencrypted": 0}')
    barrier.seal()
    rotation.resume()  # sealed: nothing starts
    assert rotation._thread is None or not rotation._thread.is_alive()
    barrier.unseal(ROOT_KEY)
    rotation.resume()
    assert rotation.wait(timeout=60)
    assert barrier.read_core(PROGRESS) is None
    assert barrier.terms() == (2, [2])
    assert all(barrier.get(path) == value for path, value in values.items())


def test_another_process_adopts_the_new_term_before_it_writes(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    with ExitStack() as stores:
        first_store = stores.enter_context(closing(SqliteStorage(path)))
        second_store = stores.enter_context(closing(SqliteStorage(path)))
        first, _ = filled(first_store, count=2)
        second = Barrier(second_store)
        second.unseal(ROOT_KEY)
        second.refresh_data_version()
        first.rotate_term()
        # The other process notices the keyring moved on its next look, before a write.
        second.refresh_data_version()
        second.put("svc/from-second", b"x")
        assert terms_in_storage(first_store)["svc/from-second"] == 2
        # And a record under a term it has never seen makes it reload the keyring once,
        # also when it reads inside a transaction of its own.
        third_store = stores.enter_context(closing(SqliteStorage(path)))
        third = Barrier(third_store)
        third.unseal(ROOT_KEY)
        first.rotate_term()
        first.put("svc/term-3", b"three")
        assert third.get("svc/term-3") == b"three"
        first.rotate_term()
        first.put("svc/term-4", b"four")
        with third.transaction() as txn:
            assert txn.get("svc/term-4") == b"four"


def test_concurrent_writes_during_rotation_are_never_lost(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "busy.db")
    try:
        barrier, _ = filled(storage, count=200)
        rotation = TermRotation(barrier, lambda: 0.0, batch=8)
        rotation.rotate()
        written = {}
        for n in range(200):  # writes while the thread re-encrypts
            path = f"svc/item/{n:04d}"
            written[path] = b"updated %d" % n
            barrier.put(path, written[path])
        assert rotation.wait(timeout=60)
        assert barrier.read_core(PROGRESS) is None
        assert all(barrier.get(path) == value for path, value in written.items())
        assert barrier.terms() == (2, [2])
    finally:
        storage.close()


@pytest.mark.parametrize("forged", [b"not json", b"[]", b'{"term": "x"}'])
def test_a_forged_progress_record_restarts_the_pass(storage: Storage, forged: bytes) -> None:
    barrier, values = filled(storage, count=6)
    rotation = TermRotation(barrier, lambda: 0.0, batch=2)
    rotation.stop()
    barrier.rotate_term()
    barrier.write_core(PROGRESS, forged)
    rotation._stop.clear()
    assert rotation.run() is True
    assert barrier.terms() == (2, [2])
    assert all(barrier.get(path) == value for path, value in values.items())


def test_values_that_are_not_records_are_left_alone(storage: Storage) -> None:
    barrier, values = filled(storage, count=5)
    storage.put("lease/scheduler", b'{"holder": "p", "expires": 1}')  # plaintext, by design
    rotation = TermRotation(barrier, lambda: 0.0, batch=2)
    rotation.stop()
    barrier.rotate_term()
    barrier.write_core(PROGRESS, b'{"term": 2, "started": 0, "after": null, "reencrypted": 0}')
    rotation._stop.clear()
    assert rotation.run() is True
    assert barrier.terms() == (2, [2])
    assert storage.get("lease/scheduler") == b'{"holder": "p", "expires": 1}'
    assert list(barrier.scan("")) == sorted(values.items())


def test_a_term_added_without_its_progress_record_is_still_finished(storage: Storage) -> None:
    barrier, values = filled(storage, count=5)
    barrier.rotate_term()  # then "the process dies" before recording the work
    rotation = TermRotation(barrier, lambda: 0.0)
    rotation.resume()
    assert rotation.wait(timeout=60)
    assert barrier.terms() == (2, [2])
    assert set(terms_in_storage(storage).values()) == {2}
    assert all(barrier.get(path) == value for path, value in values.items())


def test_a_record_is_labelled_with_the_term_that_sealed_it_whatever_interleaves() -> None:
    """Another thread adopting a rotated keyring in the middle of a seal (here: while the
    nonce is drawn) must not make a record labelled with one term and sealed by another."""
    first = Keyring.fresh(system_random)
    rotated = Keyring(dict(first.keys), first.active_term)
    rotated.rotate(system_random)
    adopt_now: list[Cipher] = []

    def nonce_while_rotating(n: int) -> bytes:
        if adopt_now:
            adopt_now.pop().adopt(rotated)  # what a concurrent rotate_term would do
        return system_random(n)

    cipher = Cipher(first, nonce_while_rotating, lambda: rotated)
    adopt_now.append(cipher)
    record = cipher.seal("svc/a", b"value")
    assert cipher.active_term == 2
    assert cipher.open("svc/a", record) == b"value"
    assert record_format.decode(record).term == 1


def test_a_keyring_read_before_a_rotation_is_not_adopted_after_it() -> None:
    first = Keyring.fresh(system_random)
    rotated = Keyring(dict(first.keys), first.active_term)
    rotated.rotate(system_random)
    cipher = Cipher(rotated, system_random, lambda: rotated)
    cipher.adopt(first)  # a stale read arriving late
    assert cipher.active_term == 2
    assert record_format.decode(cipher.seal("svc/a", b"v")).term == 2


def test_a_second_rotation_during_the_first_keeps_its_own_progress(storage: Storage) -> None:
    barrier, values = filled(storage, count=20)
    rotation = TermRotation(barrier, lambda: 5.0, batch=4)
    rotation.stop()
    barrier.rotate_term()
    barrier.write_core(PROGRESS, b'{"term": 2, "started": 1, "after": null, "reencrypted": 0}')
    calls = 0
    original = barrier.reencrypt_batch

    def batch_then_rotate(after: str | None, limit: int) -> tuple[int, str | None]:
        nonlocal calls
        calls += 1
        if calls > 2:  # the second rotation's record stands: its term and its start time
            stored = json.loads(barrier.read_core(PROGRESS) or b"{}")
            assert (stored["term"], stored["started"]) == (3, 5)
        result = original(after, limit)
        if calls == 2:  # `operator rotate` again, while the thread is mid-pass
            term = barrier.rotate_term()
            record = b'{"term": %d, "started": 5, "after": null, "reencrypted": 0}' % term
            barrier.write_core(PROGRESS, record)
        return result

    barrier.reencrypt_batch = batch_then_rotate  # type: ignore[method-assign]
    rotation._stop.clear()
    assert rotation.run() is True
    assert barrier.terms() == (3, [3])
    assert set(terms_in_storage(storage).values()) == {3}
    assert all(barrier.get(path) == value for path, value in values.items())
