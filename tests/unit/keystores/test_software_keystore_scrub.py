"""The software key store's scrub: owed after a destroy and at start, kept owed on failure.

`destroy` runs inside the caller's transaction, so erasing from the files is a second step
the caller takes after the commit; the store remembers whether it is owed.
"""

from __future__ import annotations

import hashlib

import pytest

from strongroom.barrier import Barrier, View
from strongroom.keystores import SoftwareKeyStore
from strongroom.storage import MemoryStorage, StorageUnavailableError

KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"


class CountingStorage(MemoryStorage):
    """Counts scrubs; fails the next `failures` of them."""

    def __init__(self) -> None:
        super().__init__()
        self.scrubs = 0
        self.failures = 0

    def scrub(self) -> None:
        if self.failures:
            self.failures -= 1
            raise StorageUnavailableError("busy")
        super().scrub()
        self.scrubs += 1


@pytest.fixture
def storage() -> CountingStorage:
    return CountingStorage()


@pytest.fixture
def barrier(storage: CountingStorage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(hashlib.sha256(b"scrub keystore root").digest())
    return barrier


def test_the_first_scrub_of_a_process_always_runs_then_only_after_a_destroy(
    storage: CountingStorage, barrier: Barrier
) -> None:
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    store.scrub()  # a crashed predecessor may have destroyed without scrubbing
    assert storage.scrubs == 1
    store.generate(KEY, 1)
    store.scrub()
    assert storage.scrubs == 1  # nothing destroyed: nothing owed
    store.destroy(KEY)
    store.scrub()
    store.scrub()
    assert storage.scrubs == 2


def test_a_failed_scrub_stays_owed(storage: CountingStorage, barrier: Barrier) -> None:
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    store.scrub()
    store.generate(KEY, 1)
    with barrier.transaction():
        store.destroy(KEY)
        with pytest.raises(RuntimeError):
            store.scrub()  # not yet committed: refused, still owed
    storage.failures = 1
    with pytest.raises(StorageUnavailableError):
        store.scrub()
    assert storage.scrubs == 1
    store.scrub()
    assert storage.scrubs == 2
    store.scrub()
    assert storage.scrubs == 2
