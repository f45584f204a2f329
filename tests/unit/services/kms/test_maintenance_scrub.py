"""A maintenance pass that destroys key material erases it from the SQLite files.

Wired as `app.py` wires KMS, over SqliteStorage in a temporary directory. The material's
barrier record is looked for, by its last 32 bytes (ciphertext and tag, unique to it), in
every file of that directory, before and after the pass.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository, run_maintenance
from strongroom.storage import SqliteStorage, StorageUnavailableError

DAY = 86_400.0
STORE_PREFIX = "keystores/software/"
CALLER = Caller(
    Principal("AKIAIOSFODNN7EXAMPLE", "111122223333", "root"), "us-east-1", AllowAuthenticated()
)


@dataclass
class World:
    directory: Path
    storage: SqliteStorage
    store: SoftwareKeyStore
    clock: Clock
    kms: Kms

    def doomed_key(self) -> tuple[str, bytes]:
        """A key used once and scheduled for deletion, and its material record's tail."""
        key_id: str = OPERATIONS["CreateKey"](self.kms, CALLER)["KeyMetadata"]["KeyId"]
        OPERATIONS["Encrypt"](self.kms, CALLER, KeyId=key_id, Plaintext=b"x")
        OPERATIONS["ScheduleKeyDeletion"](self.kms, CALLER, KeyId=key_id, PendingWindowInDays=7)
        record = self.storage.get(f"{STORE_PREFIX}{key_id}/0000000001")
        assert record is not None
        return key_id, record[-32:]

    def files_holding(self, needle: bytes) -> list[str]:
        files = self.directory.rglob("*")
        return sorted(p.name for p in files if p.is_file() and needle in p.read_bytes())


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    storage = SqliteStorage(tmp_path / "strongroom.db")
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, STORE_PREFIX))
    clock = Clock(0.0)
    kms = Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, clock, system_random)
    yield World(tmp_path, storage, store, clock, kms)
    storage.close()


def test_destroyed_material_is_in_no_file_after_the_pass(world: World) -> None:
    _, tail = world.doomed_key()
    run_maintenance(world.kms)  # the first pass of a process scrubs; nothing to destroy yet
    assert world.files_holding(tail) == ["strongroom.db"]
    world.clock.offset_seconds += 7 * DAY + 60
    assert run_maintenance(world.kms).destroyed == 1
    assert world.files_holding(tail) == []


class FailingSecondDestroy:
    """The software store, except that destroying `doomed` fails (a broken record, say)."""

    name = "software"

    def __init__(self, inner: SoftwareKeyStore, doomed: str) -> None:
        self._inner = inner
        self._doomed = doomed

    def generate(self, key_id: str, version: int) -> None:
        self._inner.generate(key_id, version)

    def encrypt(self, key_id: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
        return self._inner.encrypt(key_id, version, plaintext, aad)

    def decrypt(self, key_id: str, version: int, payload: bytes, aad: bytes) -> bytes:
        return self._inner.decrypt(key_id, version, payload, aad)

    def destroy(self, key_id: str) -> None:
        if key_id == self._doomed:
            raise RuntimeError("cannot destroy")
        self._inner.destroy(key_id)

    def scrub(self) -> None:
        self._inner.scrub()

    def forget(self) -> None:
        self._inner.forget()


def test_a_pass_that_fails_part_way_still_scrubs_what_it_destroyed(world: World) -> None:
    (_, first_tail), (second, second_tail) = sorted([world.doomed_key(), world.doomed_key()])
    world.kms.keystores["software"] = FailingSecondDestroy(world.store, second)
    world.clock.offset_seconds += 7 * DAY + 60
    with pytest.raises(RuntimeError, match="cannot destroy"):
        run_maintenance(world.kms)
    assert world.files_holding(first_tail) == []
    assert world.files_holding(second_tail) != []  # its transaction rolled back


def test_a_scrub_that_a_reader_blocks_is_done_by_the_next_pass(world: World) -> None:
    key_id, tail = world.doomed_key()
    run_maintenance(world.kms)
    world.clock.offset_seconds += 7 * DAY + 60
    reader = sqlite3.connect(world.directory / "strongroom.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM entries").fetchone()
        with pytest.raises(StorageUnavailableError):
            run_maintenance(world.kms)  # destroyed and committed, not yet erased
        assert world.kms.repository.load("111122223333", "us-east-1", key_id) is None
        assert world.files_holding(tail) != []
        reader.execute("COMMIT")
    finally:
        reader.close()
    assert run_maintenance(world.kms).destroyed == 0
    assert world.files_holding(tail) == []
