"""View: a service sees the barrier through its own prefix and nothing else."""

from __future__ import annotations

import hashlib

import pytest

from strongroom.barrier import Barrier, IntegrityError, View
from strongroom.errors import ServiceUnavailable
from strongroom.storage.base import Storage

ROOT_KEY = hashlib.sha256(b"view root key").digest()


def ready(storage: Storage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(ROOT_KEY)
    return barrier


def test_view_prefix_must_end_with_a_slash(storage: Storage) -> None:
    with pytest.raises(ValueError):
        View(ready(storage), "kms")


def test_view_writes_under_its_prefix_encrypted(storage: Storage) -> None:
    barrier = ready(storage)
    view = View(barrier, "kms/")
    view.put("acct/keys/1", b"key one")
    assert view.get("acct/keys/1") == b"key one"
    assert barrier.get("kms/acct/keys/1") == b"key one"
    stored = storage.get("kms/acct/keys/1")
    assert stored is not None and b"key one" not in stored
    assert storage.get("acct/keys/1") is None
    view.delete("acct/keys/1")
    assert storage.get("kms/acct/keys/1") is None


def test_views_do_not_see_each_other(storage: Storage) -> None:
    barrier = ready(storage)
    kms, ssm, kms2 = View(barrier, "kms/"), View(barrier, "ssm/"), View(barrier, "kms2/")
    kms.put("x", b"kms x")
    ssm.put("x", b"ssm x")
    kms2.put("x", b"kms2 x")
    assert kms.get("x") == b"kms x"
    assert ssm.get("x") == b"ssm x"
    assert list(kms.scan("")) == [("x", b"kms x")]  # not kms2/x, although "kms" prefixes it
    assert list(ssm.scan("")) == [("x", b"ssm x")]
    kms.delete("x")
    assert ssm.get("x") == b"ssm x" and kms2.get("x") == b"kms2 x"


def test_view_scan_is_relative_ordered_and_pages(storage: Storage) -> None:
    barrier = ready(storage)
    barrier.put("before", b"-")
    view = View(barrier, "svc/")
    for name in ("b/2", "a/1", "b/1", "c/1"):
        view.put(name, name.encode())
    barrier.put("svd/after", b"-")
    assert [p for p, _ in view.scan("")] == ["a/1", "b/1", "b/2", "c/1"]
    assert list(view.scan("b/")) == [("b/1", b"b/1"), ("b/2", b"b/2")]
    assert [p for p, _ in view.scan("", start_after="b/1")] == ["b/2", "c/1"]
    assert [p for p, _ in view.scan("", limit=2)] == ["a/1", "b/1"]
    assert [p for p, _ in view.scan("b/", start_after="a/9")] == ["b/1", "b/2"]


def test_a_record_moved_between_views_fails(storage: Storage) -> None:
    barrier = ready(storage)
    View(barrier, "kms/").put("acct/keys/1", b"material")
    stolen = storage.get("kms/acct/keys/1")
    assert stolen is not None
    storage.put("ssm/acct/keys/1", stolen)
    with pytest.raises(IntegrityError):
        View(barrier, "ssm/").get("acct/keys/1")


def test_view_transaction_is_scoped_and_atomic(storage: Storage) -> None:
    barrier = ready(storage)
    view = View(barrier, "kms/")
    with view.transaction() as txn:
        txn.put("a", b"1")
        txn.put("b", b"2")
        assert txn.get("a") == b"1"
        assert list(txn.scan("")) == [("a", b"1"), ("b", b"2")]
    assert dict(barrier.scan("")) == {"kms/a": b"1", "kms/b": b"2"}

    with pytest.raises(RuntimeError, match="boom"), view.transaction() as txn:
        txn.delete("a")
        txn.put("c", b"3")
        raise RuntimeError("boom")
    assert dict(view.scan("")) == {"a": b"1", "b": b"2"}


def test_a_view_named_core_reaches_nothing(storage: Storage) -> None:
    barrier = ready(storage)
    view = View(barrier, "core/")
    keyring = storage.get("core/keyring")
    with pytest.raises(ValueError):
        view.get("keyring")
    with pytest.raises(ValueError):
        view.put("keyring", b"x")
    with pytest.raises(ValueError):
        view.delete("keyring")
    with pytest.raises(ValueError):
        list(view.scan(""))
    assert storage.get("core/keyring") == keyring


def test_sealed_view_refuses(storage: Storage) -> None:
    barrier = ready(storage)
    view = View(barrier, "kms/")
    view.put("a", b"1")
    barrier.seal()
    for call in (
        lambda: view.get("a"),
        lambda: view.put("a", b"2"),
        lambda: view.delete("a"),
        lambda: list(view.scan("")),
        lambda: view.transaction().__enter__(),
    ):
        with pytest.raises(ServiceUnavailable):
            call()
    barrier.unseal(ROOT_KEY)
    assert view.get("a") == b"1"
