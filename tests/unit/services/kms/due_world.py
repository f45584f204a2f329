"""KMS wired as `app.py` wires it, over SQLite in a temporary directory, with a `kms/` view
that counts its reads: for the due index tests.

`reads` counts what the scheduler pays for: each `get` and each entry a scan hands out.
A "restart" opens the same file with a new storage, barrier, view, key store and KMS,
as a new server process would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from strongroom.barrier import Barrier, View, ViewTransaction
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import OPERATIONS, Kms, KmsRepository
from strongroom.services.time_keys import time_key
from strongroom.storage import SqliteStorage

DAY = 86_400.0
MINUTE = 60.0
ACCOUNT = "111122223333"
REGION = "us-east-1"
ROOT_KEY = bytes(range(32))


class CountingView(View):
    """A view that counts its reads (gets and scanned entries) and its transactions."""

    gets = 0
    scanned = 0
    transactions = 0

    @property
    def reads(self) -> int:
        return self.gets + self.scanned

    def reset(self) -> None:
        self.gets = self.scanned = self.transactions = 0

    def get(self, path: str) -> bytes | None:
        self.gets += 1
        return super().get(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        for entry in super().scan(prefix, start_after=start_after, limit=limit):
            self.scanned += 1
            yield entry

    def transaction(self) -> AbstractContextManager[ViewTransaction]:
        self.transactions += 1
        return super().transaction()


def caller_in(region: str = REGION, account: str = ACCOUNT) -> Caller:
    return Caller(Principal("AKIAIOSFODNN7EXAMPLE", account, "root"), region, AllowAuthenticated())


@dataclass
class World:
    directory: Path
    storage: SqliteStorage
    barrier: Barrier
    view: CountingView
    clock: Clock
    kms: Kms

    @classmethod
    def open(cls, directory: Path, clock: Clock, *, new: bool) -> World:
        storage = SqliteStorage(directory / "strongroom.db")
        barrier = Barrier(storage)
        if new:
            barrier.initialize(ROOT_KEY)
        else:
            barrier.unseal(ROOT_KEY)
        store = SoftwareKeyStore(View(barrier, "keystores/software/"))
        view = CountingView(barrier, "kms/")
        kms = Kms(KmsRepository(view), {"software": store}, clock, system_random)
        return cls(directory, storage, barrier, view, clock, kms)

    def restart(self) -> World:
        """The same files, opened by a new process (same clock)."""
        self.storage.close()
        return World.open(self.directory, self.clock, new=False)

    def call(self, operation: str, caller: Caller | None = None, **params: Any) -> Any:
        return OPERATIONS[operation](self.kms, caller or caller_in(), **params)

    def create_key(self, caller: Caller | None = None) -> str:
        key_id: str = self.call("CreateKey", caller)["KeyMetadata"]["KeyId"]
        return key_id

    def advance(self, seconds: float) -> None:
        self.clock.offset_seconds += seconds

    def entries(self) -> dict[str, str]:
        """The due index as {key id: time key}, read beside the counting view."""
        found: dict[str, str] = {}
        for path, _ in self.barrier.scan("kms/due/"):
            _, _, at, key_id = path.split("/")
            assert key_id not in found, f"{key_id} is filed twice"
            found[key_id] = at
        return found

    def filed_at(self, key_id: str, at: float | None) -> bool:
        """Whether `key_id` is filed under `at` (None: not filed) and nowhere else."""
        return self.entries().get(key_id) == (None if at is None else time_key(at))

    def record(self, key_id: str, caller: Caller | None = None) -> Any:
        caller = caller or caller_in()
        return self.kms.repository.load(caller.account_id, caller.region, key_id)
