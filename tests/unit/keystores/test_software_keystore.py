"""The software key store: material in the barrier, per-message keys, authenticated payloads."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tests.random_sources import RecordingRandom

from strongroom.barrier import Barrier, View
from strongroom.crypto import AuthenticationFailed
from strongroom.errors import ServiceUnavailable
from strongroom.keystores import KeyStore, SoftwareKeyStore
from strongroom.storage.memory import MemoryStorage

PREFIX = "keystores/software/"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER = "1234abcd-12ab-34cd-56ef-1234567890ac"
AAD = b"header and context"


@pytest.fixture
def storage() -> Iterator[MemoryStorage]:
    store = MemoryStorage()
    yield store
    store.close()


@pytest.fixture
def barrier(storage: MemoryStorage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(hashlib.sha256(b"keystore root").digest())
    return barrier


@pytest.fixture
def random() -> RecordingRandom:
    return RecordingRandom()


@pytest.fixture
def store(barrier: Barrier, random: RecordingRandom) -> SoftwareKeyStore:
    return SoftwareKeyStore(View(barrier, PREFIX), random)


def test_is_a_key_store(store: SoftwareKeyStore) -> None:
    keystore: KeyStore = store
    assert keystore.name == "software"


@pytest.mark.parametrize("size", [0, 1, 15, 16, 17, 4096])
def test_round_trip(store: SoftwareKeyStore, size: int) -> None:
    store.generate(KEY, 1)
    plaintext = os.urandom(size)
    payload = store.encrypt(KEY, 1, plaintext, AAD)
    assert len(payload) == 16 + 12 + size + 16
    assert store.decrypt(KEY, 1, payload, AAD) == plaintext


def test_payload_follows_the_documented_layout(
    store: SoftwareKeyStore, random: RecordingRandom
) -> None:
    """salt | nonce | AES-GCM under HKDF-SHA256(material, extract salt, INFO | salt)."""
    store.generate(KEY, 1)
    material = random.handed_out[-1]
    payload = store.encrypt(KEY, 1, b"layout", AAD)
    salt, nonce, sealed = payload[:16], payload[16:28], payload[28:]
    assert salt + nonce == random.handed_out[-1]
    message_key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"strongroom kms material v1",
        info=b"strongroom kms message key v1" + salt,
    ).derive(material)
    assert AESGCM(message_key).decrypt(nonce, sealed, AAD) == b"layout"


def test_each_message_gets_its_own_salt_and_key(store: SoftwareKeyStore) -> None:
    store.generate(KEY, 1)
    payloads = [store.encrypt(KEY, 1, b"same plaintext", AAD) for _ in range(50)]
    salts = {p[:16] for p in payloads}
    nonces = {p[16:28] for p in payloads}
    assert len(salts) == 50 and len(nonces) == 50
    assert len({p[28:] for p in payloads}) == 50
    assert all(store.decrypt(KEY, 1, p, AAD) == b"same plaintext" for p in payloads)


def test_wrong_aad_fails(store: SoftwareKeyStore) -> None:
    store.generate(KEY, 1)
    payload = store.encrypt(KEY, 1, b"secret", AAD)
    for aad in (b"", AAD + b"x", AAD[:-1], b"Header and context"):
        with pytest.raises(AuthenticationFailed) as info:
            store.decrypt(KEY, 1, payload, aad)
        assert str(info.value) == ""


def test_every_flipped_payload_byte_fails(store: SoftwareKeyStore) -> None:
    store.generate(KEY, 1)
    payload = store.encrypt(KEY, 1, b"sixteen byte msg", AAD)
    for index in range(len(payload)):
        tampered = bytearray(payload)
        tampered[index] ^= 0x01
        with pytest.raises(AuthenticationFailed):
            store.decrypt(KEY, 1, bytes(tampered), AAD)


@pytest.mark.parametrize("cut", [0, 1, 27, 28, 43])
def test_truncated_payload_fails(store: SoftwareKeyStore, cut: int) -> None:
    store.generate(KEY, 1)
    payload = store.encrypt(KEY, 1, b"x", AAD)
    with pytest.raises(AuthenticationFailed):
        store.decrypt(KEY, 1, payload[:cut], AAD)


def test_unknown_version_or_key_fails(store: SoftwareKeyStore) -> None:
    store.generate(KEY, 1)
    store.generate(KEY, 2)
    payload = store.encrypt(KEY, 2, b"secret", AAD)
    with pytest.raises(AuthenticationFailed):
        store.decrypt(KEY, 3, payload, AAD)
    with pytest.raises(AuthenticationFailed):
        store.decrypt(KEY, 1, payload, AAD)  # another version's material
    with pytest.raises(AuthenticationFailed):
        store.decrypt(OTHER, 2, payload, AAD)
    with pytest.raises(AuthenticationFailed):
        store.encrypt(KEY, 3, b"secret", AAD)
    assert store.decrypt(KEY, 2, payload, AAD) == b"secret"


def test_material_is_kept_encrypted_in_the_barrier(
    storage: MemoryStorage, barrier: Barrier, store: SoftwareKeyStore, random: RecordingRandom
) -> None:
    store.generate(KEY, 1)
    store.generate(KEY, 12)
    materials = random.handed_out[-2:]
    stored = dict(storage.scan(PREFIX))
    assert sorted(stored) == [f"{PREFIX}{KEY}/0000000001", f"{PREFIX}{KEY}/0000000012"]
    for value in stored.values():
        for material in materials:
            assert material[:8] not in value and material[-8:] not in value
    assert barrier.get(f"{PREFIX}{KEY}/0000000001") == materials[0]


def test_another_instance_reads_the_stored_material(
    barrier: Barrier, store: SoftwareKeyStore
) -> None:
    store.generate(KEY, 1)
    payload = store.encrypt(KEY, 1, b"persisted", AAD)
    fresh = SoftwareKeyStore(View(barrier, PREFIX))
    assert fresh.decrypt(KEY, 1, payload, AAD) == b"persisted"
    store.forget()
    assert store.decrypt(KEY, 1, payload, AAD) == b"persisted"


def test_forget_drops_the_cache_so_sealing_takes_effect(
    barrier: Barrier, store: SoftwareKeyStore
) -> None:
    store.generate(KEY, 1)
    payload = store.encrypt(KEY, 1, b"x", AAD)
    store.forget()
    barrier.seal()
    with pytest.raises(ServiceUnavailable):
        store.decrypt(KEY, 1, payload, AAD)


def test_destroy_removes_every_version_from_storage(
    storage: MemoryStorage, barrier: Barrier, store: SoftwareKeyStore
) -> None:
    store.generate(KEY, 1)
    store.generate(KEY, 2)
    store.generate(OTHER, 1)
    old = store.encrypt(KEY, 1, b"old", AAD)
    new = store.encrypt(KEY, 2, b"new", AAD)
    kept = store.encrypt(OTHER, 1, b"other", AAD)

    store.destroy(KEY)

    assert [p for p, _ in storage.scan(PREFIX)] == [f"{PREFIX}{OTHER}/0000000001"]
    for payload, version in ((old, 1), (new, 2)):
        with pytest.raises(AuthenticationFailed):
            store.decrypt(KEY, version, payload, AAD)  # not served from the cache
        with pytest.raises(AuthenticationFailed):
            SoftwareKeyStore(View(barrier, PREFIX)).decrypt(KEY, version, payload, AAD)
    assert store.decrypt(OTHER, 1, kept, AAD) == b"other"
    store.destroy(KEY)  # idempotent


def test_destroy_does_not_touch_a_key_whose_id_extends_another(
    storage: MemoryStorage, store: SoftwareKeyStore
) -> None:
    store.generate("abc", 1)
    store.generate("abcd", 1)
    store.destroy("abc")
    assert [p for p, _ in storage.scan(PREFIX)] == [f"{PREFIX}abcd/0000000001"]
