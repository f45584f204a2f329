"""Rekey: nothing changes until the new shares come back; then only they unseal."""

from __future__ import annotations

import pytest

from strongroom.api.sys.operator import SEAL_CONFIG
from strongroom.api.sys.rekey import Rekey, RekeyFailed, RekeyInProgress
from strongroom.api.sys.share_attempts import UnknownAttempt
from strongroom.barrier import Barrier
from strongroom.crypto import system_random
from strongroom.errors import ValidationException
from strongroom.seal import SealConfig, ShamirSeal, Unsealer
from strongroom.storage.errors import StorageUnavailableError
from strongroom.storage.memory import MemoryStorage


class ScrubFails(MemoryStorage):
    """A store whose scrub is held up by a reader, as an SQLite checkpoint can be."""

    def scrub(self) -> None:
        raise StorageUnavailableError("a reader holds an old snapshot")


def server(storage: MemoryStorage) -> tuple[Barrier, list[str]]:
    root_key, shares = ShamirSeal().initialize(5, 3)
    barrier = Barrier(storage)
    barrier.write_core(SEAL_CONFIG, SealConfig(5, 3).to_json())
    barrier.initialize(root_key)
    barrier.put("svc/data", b"kept")
    return barrier, shares


def rebuild(shares: list[str], config: SealConfig) -> bytes:
    unsealer = Unsealer(config)
    for share in shares:
        unsealer.submit(share)
    return unsealer.candidate() or b""


def rekeyed(rekey: Rekey, shares: list[str]) -> tuple[str, list[str]]:
    nonce = rekey.start(3, 2)["nonce"]
    rekey.submit(nonce, shares[0])
    rekey.submit(nonce, shares[1])
    answer = rekey.submit(nonce, shares[2])
    assert answer["complete"] is False
    return nonce, answer["keys"]


@pytest.mark.parametrize("storage", [MemoryStorage(), ScrubFails()], ids=["scrubs", "held up"])
def test_the_root_key_changes_only_when_the_new_shares_come_back(storage: MemoryStorage) -> None:
    barrier, old = server(storage)
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    keyring_before = storage.get("core/keyring")
    nonce, new = rekeyed(rekey, old)
    assert storage.get("core/keyring") == keyring_before  # handed out, stored nowhere
    assert rekey.verify(nonce, new[2])["progress"] == 1
    done = rekey.verify(nonce, new[0])  # a scrub held up by a reader does not fail it
    held_up = isinstance(storage, ScrubFails)
    assert done == {"complete": True, "shares": 3, "threshold": 2, "scrubbed": not held_up}
    assert barrier.opens_keyring(rebuild(new[:2], SealConfig(3, 2)))
    assert not barrier.opens_keyring(rebuild(old[:3], SealConfig(5, 3)))
    assert SealConfig.from_json(barrier.read_core(SEAL_CONFIG) or b"") == SealConfig(3, 2)
    barrier.seal()
    barrier.unseal(rebuild(new[1:], SealConfig(3, 2)))
    assert barrier.get("svc/data") == b"kept"


def test_wrong_new_shares_are_refused_and_may_be_given_again() -> None:
    storage = MemoryStorage()
    barrier, old = server(storage)
    _, foreign = ShamirSeal().initialize(3, 2)
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    keyring_before = storage.get("core/keyring")
    nonce, new = rekeyed(rekey, old)
    rekey.verify(nonce, foreign[0])
    with pytest.raises(RekeyFailed, match="A share was refused"):
        rekey.verify(nonce, new[1])
    assert storage.get("core/keyring") == keyring_before
    rekey.verify(nonce, new[1])
    assert rekey.verify(nonce, new[2])["complete"] is True


def test_wrong_current_shares_cancel_and_change_nothing() -> None:
    storage = MemoryStorage()
    barrier, old = server(storage)
    _, foreign = ShamirSeal().initialize(5, 3)
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    nonce = rekey.start(3, 2)["nonce"]
    rekey.submit(nonce, old[0])
    rekey.submit(nonce, old[1])
    with pytest.raises(RekeyFailed):
        rekey.submit(nonce, foreign[2])
    with pytest.raises(UnknownAttempt):
        rekey.submit(nonce, old[2])
    assert barrier.opens_keyring(rebuild(old[2:], SealConfig(5, 3)))


def test_one_rekey_at_a_time_and_forget_drops_its_shares() -> None:
    barrier, old = server(MemoryStorage())
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    nonce = rekey.start(3, 2)["nonce"]
    rekey.submit(nonce, old[0])
    with pytest.raises(RekeyInProgress):
        rekey.start(2, 2)
    rekey.forget()  # what sealing does
    with pytest.raises(UnknownAttempt):
        rekey.submit(nonce, old[1])
    assert rekey.start(2, 2)["progress"] == 0


@pytest.mark.parametrize(
    ("shares", "threshold"), [("3", 2), (3, None), (2, 3), (0, 0), (True, 1), (300, 2)]
)
def test_bad_splits_are_validation_errors(shares: object, threshold: object) -> None:
    barrier, _ = server(MemoryStorage())
    with pytest.raises(ValidationException):
        Rekey(barrier, system_random, lambda: 0.0).start(shares, threshold)


def test_new_shares_before_the_current_ones_are_refused() -> None:
    barrier, old = server(MemoryStorage())
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    nonce = rekey.start(3, 2)["nonce"]
    with pytest.raises(ValidationException):
        rekey.verify(nonce, old[0])
    with pytest.raises(ValidationException):
        rekey.submit(nonce, 5)


class CommitFails(MemoryStorage):
    """A store that refuses the next transaction, as a busy SQLite file can."""

    fail_next = False

    def transaction(self):  # type: ignore[no-untyped-def]
        if self.fail_next:
            self.fail_next = False
            raise StorageUnavailableError("locked by another writer")
        return super().transaction()


def test_a_failed_commit_stores_nothing_and_the_new_shares_may_be_given_again() -> None:
    storage = CommitFails()
    barrier, old = server(storage)
    rekey = Rekey(barrier, system_random, lambda: 0.0)
    keyring_before = storage.get("core/keyring")
    nonce, new = rekeyed(rekey, old)
    rekey.verify(nonce, new[0])
    storage.fail_next = True
    with pytest.raises(StorageUnavailableError):
        rekey.verify(nonce, new[1])
    assert storage.get("core/keyring") == keyring_before
    rekey.verify(nonce, new[0])
    assert rekey.verify(nonce, new[1])["complete"] is True
    assert barrier.opens_keyring(rebuild(new[:2], SealConfig(3, 2)))
