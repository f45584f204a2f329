"""Data-key caching: reuse materials so high-volume encryption does not call KMS each time.

`CachingMaterialsManager` wraps a keyring (or manager) and keeps recent materials in a
bounded LRU cache. Encryption materials are reused per (suite, policy, context, required
keys) only while all three limits hold: age under `max_age` seconds, at most
`max_messages` messages, and at most `max_bytes` plaintext bytes per data key. A request
of unknown plaintext length, or larger than `max_bytes`, bypasses the cache, and so do
suites without key derivation (their frame IVs would repeat under a reused key).
Decryption materials are reused per (suite, policy, data keys, context, expected context)
while younger than `max_age`. Thread-safe; the clock is injectable for tests.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.materials import DecryptionMaterials, EncryptionMaterials
from strongroom_envelope.materials_manager import (
    DecryptionRequest,
    EncryptionRequest,
    MaterialsManager,
    as_materials_manager,
)

__all__ = ["CachingMaterialsManager"]


@dataclass(slots=True)
class _Entry:
    materials: EncryptionMaterials | DecryptionMaterials
    created: float
    messages: int
    plaintext_bytes: int


class CachingMaterialsManager:
    """A materials manager that reuses data keys within age and usage limits."""

    def __init__(
        self,
        keyring: Keyring | MaterialsManager,
        *,
        max_age: float,
        max_messages: int = 2**32,
        max_bytes: int = 2**63 - 1,
        capacity: int = 100,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_age <= 0 or not 1 <= max_messages <= 2**32 or max_bytes < 0 or capacity < 1:
            raise ValueError(
                "max_age > 0, 1 <= max_messages <= 2**32, max_bytes >= 0, capacity >= 1"
            )
        self.backing = as_materials_manager(keyring)
        self.max_age = max_age
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.capacity = capacity
        self._clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get_encryption_materials(self, request: EncryptionRequest) -> EncryptionMaterials:
        """Cached materials if a data key still has budget, else fresh ones (then cached)."""
        length = request.plaintext_length
        if length is None or length > self.max_bytes:
            return self.backing.get_encryption_materials(request)
        key = (
            "encrypt",
            request.suite.suite_id if request.suite else None,
            request.commitment_policy,
            frozenset(request.encryption_context.items()),
            request.required_context_keys,
        )
        with self._lock:
            entry = self._fresh(key)
            if (
                entry is not None
                and entry.messages < self.max_messages
                and entry.plaintext_bytes + length <= self.max_bytes
            ):
                entry.messages += 1
                entry.plaintext_bytes += length
                assert isinstance(entry.materials, EncryptionMaterials)
                return entry.materials
            self._entries.pop(key, None)
        materials = self.backing.get_encryption_materials(request)
        if materials.suite.kdf_hash is not None:
            self._store(key, _Entry(materials, self._clock(), 1, length))
        return materials

    def decrypt_materials(self, request: DecryptionRequest) -> DecryptionMaterials:
        """Cached materials for the same data keys and context, else fresh ones."""
        key = (
            "decrypt",
            request.suite.suite_id,
            request.commitment_policy,
            request.encrypted_data_keys,
            frozenset(request.encryption_context.items()),
            None
            if request.reproduced_context is None
            else frozenset(request.reproduced_context.items()),
        )
        with self._lock:
            entry = self._fresh(key)
            if entry is not None:
                assert isinstance(entry.materials, DecryptionMaterials)
                return entry.materials
        materials = self.backing.decrypt_materials(request)
        self._store(key, _Entry(materials, self._clock(), 0, 0))
        return materials

    def clear(self) -> None:
        """Forget every cached data key."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def _fresh(self, key: Hashable) -> _Entry | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if self._clock() - entry.created >= self.max_age:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry

    def _store(self, key: Hashable, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)
