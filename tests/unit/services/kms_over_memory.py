"""KMS over a fresh barrier on memory storage: what a unit test builds a service that
encrypts through KMS (Secrets Manager, Parameter Store) on, wired as `app.py` wires it.

The barrier is initialized with a fixed root key; KMS keeps its key material in the
software key store under the same barrier, and runs on the real clock and randomness.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.crypto import system_random
from strongroom.keystores import SoftwareKeyStore
from strongroom.services import ServicePlugin
from strongroom.services import kms as kms_service
from strongroom.storage.memory import MemoryStorage


@dataclass(frozen=True)
class KmsOverMemory:
    """The storage (for raw snapshots), the barrier over it, and KMS's plug-in."""

    storage: MemoryStorage
    barrier: Barrier
    kms: ServicePlugin


def kms_over_memory() -> KmsOverMemory:
    """A fresh one."""
    storage = MemoryStorage()
    barrier = Barrier(storage)
    barrier.initialize(bytes(range(32)))
    store = SoftwareKeyStore(View(barrier, "keystores/software/"))
    kms = kms_service.plugin(barrier, {"software": store}, Clock(), system_random)
    return KmsOverMemory(storage, barrier, kms)
