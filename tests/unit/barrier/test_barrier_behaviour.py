"""The barrier over real storages: sealing, initialization, encryption at rest, transactions.

Every test runs on MemoryStorage and SqliteStorage (see conftest). "Raw" means reading the
storage underneath the barrier, as an attacker holding the database file would.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.random_sources import RecordingRandom

from strongroom.barrier import (
    SEALED_MESSAGE,
    AlreadyInitialized,
    Barrier,
    IntegrityError,
    InvalidRootKey,
    NotInitialized,
)
from strongroom.barrier import record as record_format
from strongroom.errors import ServiceUnavailable, StrongroomError
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = hashlib.sha256(b"barrier behaviour root key").digest()
OTHER_ROOT_KEY = hashlib.sha256(b"another root key").digest()


def raw(storage: Storage) -> dict[str, bytes]:
    """Everything the storage holds, as stored."""
    return dict(storage.scan(""))


def ready(storage: Storage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    return barrier


# Every data call, with arguments that would succeed on an unsealed barrier.
DATA_CALLS: dict[str, Callable[[Barrier], Any]] = {
    "get": lambda b: b.get("a/b"),
    "put": lambda b: b.put("a/b", b"value"),
    "delete": lambda b: b.delete("a/b"),
    "scan": lambda b: list(b.scan("a/")),
    "scan all": lambda b: list(b.scan("")),
    "delete_prefix": lambda b: b.delete_prefix("a/"),
    "transaction": lambda b: b.transaction().__enter__(),
}


# --- sealed ---------------------------------------------------------------------------


@pytest.mark.parametrize("call", DATA_CALLS.values(), ids=DATA_CALLS.keys())
def test_uninitialized_barrier_refuses_every_data_call(storage: Storage, call: Any) -> None:
    barrier = Barrier(storage)
    assert barrier.sealed and not barrier.is_initialized()
    with pytest.raises(ServiceUnavailable) as info:
        call(barrier)
    assert info.value.message == SEALED_MESSAGE
    assert info.value.code == "ServiceUnavailableException"
    assert raw(storage) == {}


@pytest.mark.parametrize("call", DATA_CALLS.values(), ids=DATA_CALLS.keys())
def test_sealed_barrier_refuses_every_data_call(storage: Storage, call: Any) -> None:
    barrier = ready(storage)
    barrier.put("a/b", b"value")
    before = raw(storage)
    barrier.seal()
    assert barrier.sealed
    with pytest.raises(ServiceUnavailable):
        call(barrier)
    assert raw(storage) == before
    barrier.unseal(ROOT_KEY)
    assert barrier.get("a/b") == b"value"


# --- initialize and unseal ------------------------------------------------------------


def test_initialize_twice_is_refused_and_keeps_the_keyring(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("a/b", b"value")
    keyring = storage.get("core/keyring")
    with pytest.raises(AlreadyInitialized):
        barrier.initialize(OTHER_ROOT_KEY)
    with pytest.raises(AlreadyInitialized):
        Barrier(storage).initialize(ROOT_KEY)
    assert storage.get("core/keyring") == keyring
    assert barrier.get("a/b") == b"value"
    assert issubclass(AlreadyInitialized, StrongroomError)


def test_unseal_before_initialize_is_not_initialized(storage: Storage) -> None:
    barrier = Barrier(storage)
    with pytest.raises(NotInitialized):
        barrier.unseal(ROOT_KEY)
    assert barrier.sealed


def test_wrong_root_key_is_refused_and_the_barrier_stays_sealed(storage: Storage) -> None:
    ready(storage).put("a/b", b"value")
    barrier = Barrier(storage)
    for wrong in (OTHER_ROOT_KEY, ROOT_KEY[:-1] + bytes([ROOT_KEY[-1] ^ 1]), bytes(32)):
        with pytest.raises(InvalidRootKey) as info:
            barrier.unseal(wrong)
        assert info.value.code == "InvalidUnsealKey"
        assert wrong.hex() not in str(info.value) and ROOT_KEY.hex() not in str(info.value)
        assert barrier.sealed
        with pytest.raises(ServiceUnavailable):
            barrier.get("a/b")
    barrier.unseal(ROOT_KEY)
    assert not barrier.sealed
    assert barrier.get("a/b") == b"value"


def test_wrong_root_key_after_unsealing_does_not_seal_or_replace(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("a/b", b"value")
    with pytest.raises(InvalidRootKey):
        barrier.unseal(OTHER_ROOT_KEY)
    assert barrier.get("a/b") == b"value"


def test_data_survives_reopening_the_sqlite_file(tmp_path: Path) -> None:
    first = SqliteStorage(tmp_path / "db")
    barrier = ready(first)
    barrier.put("kms/k", b"kept")
    first.close()
    second = SqliteStorage(tmp_path / "db")
    reopened = Barrier(second)
    assert reopened.is_initialized() and reopened.sealed
    reopened.unseal(ROOT_KEY)
    assert reopened.get("kms/k") == b"kept"
    second.close()


# --- at rest --------------------------------------------------------------------------


def test_storage_never_holds_plaintext_nor_keys(storage: Storage) -> None:
    random = RecordingRandom()
    barrier = Barrier(storage, random)
    barrier.initialize(ROOT_KEY)
    data_key = random.handed_out[0]
    plaintexts = {
        f"svc/{i}": hashlib.sha512(f"secret number {i}".encode()).digest() for i in range(20)
    }
    plaintexts["svc/text"] = b"the launch code is 0000 " * 8
    for path, value in plaintexts.items():
        barrier.put(path, value)
    with barrier.transaction() as txn:
        txn.put("svc/in-txn", b"transaction secret " * 4)
    plaintexts["svc/in-txn"] = b"transaction secret " * 4

    stored = raw(storage)
    assert set(stored) == {*plaintexts, "core/keyring"}
    secrets = [*plaintexts.values(), ROOT_KEY, data_key]
    for path, value in stored.items():
        for secret in secrets:
            for start in range(0, len(secret) - 7, 4):  # no 8-byte window of any secret
                assert secret[start : start + 8] not in value, path
    for path, value in plaintexts.items():
        parsed = record_format.decode(stored[path])
        assert parsed.term == 1
        assert len(stored[path]) == len(value) + record_format.MIN_RECORD_BYTES
    assert dict(barrier.scan("svc/")) == plaintexts


def test_the_same_value_is_stored_differently_each_time(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("a/1", b"same")
    first = storage.get("a/1")
    barrier.put("a/1", b"same")
    assert storage.get("a/1") != first
    barrier.put("a/2", b"same")
    assert record_format.decode(storage.get("a/2") or b"").nonce != (
        record_format.decode(storage.get("a/1") or b"").nonce
    )


def test_a_record_copied_to_another_path_fails(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("kms/acct/keys/a", b"key a")
    barrier.put("kms/acct/keys/b", b"key b")
    a, b = storage.get("kms/acct/keys/a"), storage.get("kms/acct/keys/b")
    assert a is not None and b is not None
    storage.put("kms/acct/keys/c", a)  # copied
    storage.put("kms/acct/keys/b", a)  # swapped over another record
    for path in ("kms/acct/keys/c", "kms/acct/keys/b"):
        with pytest.raises(IntegrityError) as info:
            barrier.get(path)
        assert "key a" not in str(info.value)
    with pytest.raises(IntegrityError):
        list(barrier.scan("kms/"))
    assert barrier.get("kms/acct/keys/a") == b"key a"


def test_a_tampered_record_fails_inside_a_transaction(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("a/1", b"value")
    stored = storage.get("a/1")
    assert stored is not None
    storage.put("a/1", stored[:-1] + bytes([stored[-1] ^ 1]))
    with pytest.raises(IntegrityError), barrier.transaction() as txn:
        txn.get("a/1")


# --- core/ ----------------------------------------------------------------------------

CORE_CALLS: dict[str, Callable[[Barrier], Any]] = {
    "get": lambda b: b.get("core/keyring"),
    "put": lambda b: b.put("core/keyring", b"x"),
    "put other": lambda b: b.put("core/seal", b"x"),
    "delete": lambda b: b.delete("core/keyring"),
    "scan": lambda b: list(b.scan("core/")),
    "delete_prefix": lambda b: b.delete_prefix("core/"),
    "txn get": lambda b: _in_txn(b, lambda t: t.get("core/keyring")),
    "txn put": lambda b: _in_txn(b, lambda t: t.put("core/keyring", b"x")),
    "txn delete": lambda b: _in_txn(b, lambda t: t.delete("core/keyring")),
    "txn scan": lambda b: _in_txn(b, lambda t: list(t.scan("core/"))),
}


def _in_txn(barrier: Barrier, action: Callable[[Any], Any]) -> None:
    with barrier.transaction() as txn:
        action(txn)


@pytest.mark.parametrize("call", CORE_CALLS.values(), ids=CORE_CALLS.keys())
def test_core_paths_are_unreachable_through_data_calls(storage: Storage, call: Any) -> None:
    barrier = ready(storage)
    before = raw(storage)
    with pytest.raises(ValueError):
        call(barrier)
    assert raw(storage) == before


def test_scans_of_everything_skip_core(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.write_core("seal", b'{"type": "shamir"}')
    barrier.put("a/1", b"one")
    barrier.put("d/1", b"two")
    assert dict(barrier.scan("")) == {"a/1": b"one", "d/1": b"two"}
    assert [p for p, _ in barrier.scan("c")] == []
    with barrier.transaction() as txn:
        assert dict(txn.scan("")) == {"a/1": b"one", "d/1": b"two"}


def test_core_values_are_written_only_through_write_core(storage: Storage) -> None:
    barrier = ready(storage)
    with pytest.raises(ValueError):
        barrier.write_core("keyring", b"replaced")
    barrier.write_core("seal", b"config")
    assert barrier.read_core("seal") == b"config"
    assert storage.get("core/seal") == b"config"
    barrier.seal()
    assert barrier.read_core("seal") == b"config"  # readable before unsealing, by design


@pytest.mark.parametrize("prefix", ["c", "co", "cor", "core"])
def test_delete_prefix_never_reaches_core(storage: Storage, prefix: str) -> None:
    barrier = ready(storage)
    barrier.put("c/x", b"user data under c/")
    keyring = storage.get("core/keyring")
    with contextlib.suppress(ValueError):  # refusing is as good as leaving core/ alone
        barrier.delete_prefix(prefix)
    assert storage.get("core/keyring") == keyring


# --- transactions ---------------------------------------------------------------------


def test_transaction_commits_every_write_encrypted(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("t/old", b"old")
    with barrier.transaction() as txn:
        txn.put("t/1", b"one")
        txn.put("t/2", b"two")
        txn.delete("t/old")
        assert txn.get("t/1") == b"one"  # reads its own writes, decrypted
        assert txn.get("t/old") is None
        assert dict(txn.scan("t/")) == {"t/1": b"one", "t/2": b"two"}
    assert dict(barrier.scan("t/")) == {"t/1": b"one", "t/2": b"two"}
    for path in ("t/1", "t/2"):
        stored = storage.get(path)
        assert stored is not None and b"one" not in stored and b"two" not in stored


def test_transaction_rolls_back_on_error(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("t/keep", b"keep")
    before = raw(storage)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), barrier.transaction() as txn:
        txn.put("t/1", b"one")
        txn.delete("t/keep")
        raise Boom
    assert raw(storage) == before
    assert barrier.get("t/1") is None
    assert barrier.get("t/keep") == b"keep"


def test_an_integrity_failure_rolls_the_transaction_back(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("t/1", b"one")
    storage.put("t/moved", storage.get("t/1") or b"")
    before = raw(storage)
    with pytest.raises(IntegrityError), barrier.transaction() as txn:
        txn.put("t/2", b"two")
        txn.get("t/moved")
    assert raw(storage) == before


# --- delete_prefix --------------------------------------------------------------------


def test_delete_prefix_removes_only_its_subtree(storage: Storage) -> None:
    barrier = ready(storage)
    for path in ("a/1", "a/2", "a/sub/3", "ab/1", "a", "b/1"):
        barrier.put(path, path.encode())
    assert barrier.delete_prefix("a/") == 3
    assert dict(barrier.scan("")) == {"ab/1": b"ab/1", "a": b"a", "b/1": b"b/1"}
    assert barrier.delete_prefix("a/") == 0
    assert storage.get("core/keyring") is not None


def test_delete_prefix_refuses_everything_at_once(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("a/1", b"one")
    with pytest.raises(ValueError):
        barrier.delete_prefix("")
    assert barrier.get("a/1") == b"one"


def test_delete_prefix_of_many_paths(storage: Storage) -> None:
    """More than one storage page (256 rows) in one transaction."""
    barrier = ready(storage)
    with barrier.transaction() as txn:
        for i in range(600):
            txn.put(f"many/{i:04d}", b"v")
    barrier.put("other/1", b"kept")
    assert barrier.delete_prefix("many/") == 600
    assert list(barrier.scan("many/")) == []
    assert barrier.get("other/1") == b"kept"
