"""Barrier.scrub and View.scrub: deletes made through the barrier leave the storage's files.

Services never touch storage, so this is their only way to ask for it; it is refused inside
a transaction (the deletes are not committed yet) and works sealed (no value is read).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, View
from strongroom.storage.base import Storage
from strongroom.storage.sqlite import SqliteStorage

ROOT_KEY = hashlib.sha256(b"scrub root key").digest()


def ready(storage: Storage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    return barrier


def files_holding(directory: Path, needle: bytes) -> list[str]:
    return sorted(p.name for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes())


def test_a_record_deleted_through_a_view_is_in_no_file_after_its_scrub(tmp_path: Path) -> None:
    storage = SqliteStorage(tmp_path / "store.db")
    try:
        view = View(ready(storage), "keystores/software/")
        view.put("key/0000000001", b"material")
        record = storage.get("keystores/software/key/0000000001")
        assert record is not None
        sealed_tail = record[-32:]  # ciphertext and tag: unique to this record
        with view.transaction() as txn:
            txn.delete("key/0000000001")
        assert files_holding(tmp_path, sealed_tail) != []
        view.scrub()
        assert files_holding(tmp_path, sealed_tail) == []
    finally:
        storage.close()


def test_scrub_inside_a_transaction_is_refused(storage: Storage) -> None:
    barrier = ready(storage)
    view = View(barrier, "kms/")
    view.put("a", b"1")
    with view.transaction() as txn:
        txn.delete("a")
        with pytest.raises(RuntimeError, match="after the commit"):
            view.scrub()
        with pytest.raises(RuntimeError, match="after the commit"):
            barrier.scrub()
    view.scrub()
    assert view.get("a") is None


def test_scrub_works_sealed(storage: Storage) -> None:
    barrier = ready(storage)
    View(barrier, "kms/").put("a", b"1")
    barrier.seal()
    barrier.scrub()
    barrier.unseal(ROOT_KEY)
    assert barrier.get("kms/a") == b"1"
