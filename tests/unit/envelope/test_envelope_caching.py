"""Data-key caching: reuse within max age, max messages and max bytes; bypass otherwise."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    ALGORITHM_SUITES,
    CachingMaterialsManager,
    CommitmentPolicy,
    RawAesKeyring,
    decrypt,
    encrypt,
    encrypt_stream,
)
from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

UNSIGNED = AES_256_GCM_HKDF_SHA512_COMMIT_KEY


class Counting:
    """A keyring that counts how often it is asked for a data key."""

    def __init__(self, inner: RawAesKeyring) -> None:
        self.inner = inner
        self.encrypts = 0
        self.decrypts = 0

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        self.encrypts += 1
        return self.inner.on_encrypt(materials)

    def on_decrypt(
        self, materials: DecryptionMaterials, edks: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        self.decrypts += 1
        return self.inner.on_decrypt(materials, edks)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _data_key_id(message: bytes) -> bytes:
    """The wrapped data key's IV, unique per wrapping: equal IVs mean one reused data key."""
    return message[message.index(b"aes-key") + 7 : message.index(b"aes-key") + 27]


def test_messages_share_a_data_key_until_max_messages(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    cache = CachingMaterialsManager(counting, max_age=60, max_messages=3)
    messages = [encrypt(b"m%d" % i, cache, suite=UNSIGNED) for i in range(7)]
    assert counting.encrypts == 3  # messages 1-3, 4-6, 7
    keys = [_data_key_id(m) for m in messages]
    assert keys[0] == keys[1] == keys[2] != keys[3] == keys[4] == keys[5] != keys[6]
    assert [decrypt(m, aes_keyring).plaintext for m in messages] == [b"m%d" % i for i in range(7)]
    assert len({m[3:35] for m in messages}) == 7  # message ids (so derived keys) still differ


def test_max_bytes_limits_a_data_key(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    cache = CachingMaterialsManager(counting, max_age=60, max_bytes=100)
    for size in (40, 40, 40, 10, 101):
        encrypt(b"x" * size, cache, suite=UNSIGNED)
    # 40+40 fit; the third 40 needs a new key (80+40 > 100); 40+10 fit; 101 bypasses.
    assert counting.encrypts == 3


def test_max_age_expires_data_keys(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    clock = Clock()
    cache = CachingMaterialsManager(counting, max_age=10, clock=clock)
    encrypt(b"a", cache, suite=UNSIGNED)
    clock.now += 9.9
    encrypt(b"b", cache, suite=UNSIGNED)
    assert counting.encrypts == 1
    clock.now += 0.1
    encrypt(b"c", cache, suite=UNSIGNED)
    assert counting.encrypts == 2


def test_different_contexts_use_different_keys(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    cache = CachingMaterialsManager(counting, max_age=60)
    for tenant in ("a", "b", "a", "b"):
        encrypt(b"x", cache, encryption_context={"tenant": tenant}, suite=UNSIGNED)
    assert counting.encrypts == 2


def test_unknown_length_bypasses_the_cache(aes_keyring: RawAesKeyring) -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.data = io.BytesIO(b"streamed")

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            return self.data.readinto(buffer)

    counting = Counting(aes_keyring)
    cache = CachingMaterialsManager(counting, max_age=60)
    for _ in range(2):
        encrypt_stream(Pipe(), io.BytesIO(), cache, suite=UNSIGNED)
    assert counting.encrypts == 2
    for _ in range(2):  # a promised length makes it cacheable
        encrypt_stream(Pipe(), io.BytesIO(), cache, suite=UNSIGNED, source_length=8)
    assert counting.encrypts == 3


def test_suites_without_key_derivation_are_never_cached() -> None:
    keyring = Counting(RawAesKeyring("ns", "aes-key", bytes(16)))
    cache = CachingMaterialsManager(keyring, max_age=60)
    forbid = CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
    for _ in range(3):
        encrypt(b"x", cache, suite=ALGORITHM_SUITES[0x0014], commitment_policy=forbid)
    assert keyring.encrypts == 3


def test_decrypt_materials_are_cached(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    clock = Clock()
    cache = CachingMaterialsManager(counting, max_age=5, clock=clock)
    message = encrypt(b"hello", aes_keyring, encryption_context={"a": "b"})
    for _ in range(3):
        assert decrypt(message, cache).plaintext == b"hello"
    assert counting.decrypts == 1
    assert decrypt(message, cache, encryption_context={"a": "b"}).plaintext == b"hello"
    assert counting.decrypts == 2  # another expected context is another entry
    clock.now += 5
    decrypt(message, cache)
    assert counting.decrypts == 3


def test_capacity_evicts_least_recently_used(aes_keyring: RawAesKeyring) -> None:
    counting = Counting(aes_keyring)
    cache = CachingMaterialsManager(counting, max_age=60, capacity=2)
    for tenant in ("a", "b", "c", "a"):
        encrypt(b"x", cache, encryption_context={"t": tenant}, suite=UNSIGNED)
    assert counting.encrypts == 4 and len(cache) == 2


def test_limits_are_validated(aes_keyring: RawAesKeyring) -> None:
    for bad in ({"max_age": 0}, {"max_age": 1, "max_messages": 0}, {"max_age": 1, "capacity": 0}):
        with pytest.raises(ValueError):
            CachingMaterialsManager(aes_keyring, **bad)  # type: ignore[arg-type]
