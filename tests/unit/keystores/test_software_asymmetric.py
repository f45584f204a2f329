"""The software key store's HMAC keys and private keys: made or imported once (never
overwritten), kept as `material_format` records in the barrier, used in place, and
destroyed version by version.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Iterator

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from tests.random_sources import RecordingRandom

from strongroom.barrier import Barrier, View
from strongroom.crypto import AuthenticationFailed
from strongroom.crypto.asymmetric import (
    ECDSA_SHA256,
    ED25519,
    RSA_PSS_SHA256,
    PublicKey,
    SignatureScheme,
    generate,
)
from strongroom.errors import ServiceUnavailable
from strongroom.keystores import (
    KeyStore,
    MaterialForm,
    MaterialMissing,
    SoftwareKeyStore,
    material_format,
)
from strongroom.keystores.software import KeyMaterialExists
from strongroom.storage.memory import MemoryStorage

PREFIX = "keystores/software/"
KEY = "1234abcd-12ab-34cd-56ef-1234567890ab"
OTHER = "1234abcd-12ab-34cd-56ef-1234567890ac"
HASHES = ("sha224", "sha256", "sha384", "sha512")
MESSAGE = b"message to authenticate"


@pytest.fixture
def storage() -> Iterator[MemoryStorage]:
    store = MemoryStorage()
    yield store
    store.close()


@pytest.fixture
def barrier(storage: MemoryStorage) -> Barrier:
    barrier = Barrier(storage)
    barrier.initialize(hashlib.sha256(b"asymmetric keystore root").digest())
    return barrier


@pytest.fixture
def random() -> RecordingRandom:
    return RecordingRandom()


@pytest.fixture
def store(barrier: Barrier, random: RecordingRandom) -> SoftwareKeyStore:
    return SoftwareKeyStore(View(barrier, PREFIX), random)


def stored(barrier: Barrier, key_id: str, version: int) -> bytes | None:
    """What the barrier holds for a version (decrypted)."""
    value: bytes | None = barrier.get(f"{PREFIX}{key_id}/{version:010d}")
    return value


def test_is_a_key_store(store: SoftwareKeyStore) -> None:
    keystore: KeyStore = store
    assert keystore.name == "software"


# --- HMAC keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("length", [28, 32, 48, 64])
def test_generate_hmac_makes_a_random_key_of_the_length(
    store: SoftwareKeyStore, barrier: Barrier, random: RecordingRandom, length: int
) -> None:
    store.generate_hmac(KEY, 1, length)
    material = random.handed_out[-1]
    assert len(material) == length
    assert stored(barrier, KEY, 1) == material_format.encode("hmac", material)
    for hash_name in HASHES:
        expected = hmac.digest(material, MESSAGE, hash_name)
        assert store.mac(KEY, 1, hash_name, MESSAGE) == expected


@pytest.mark.parametrize("hash_name", HASHES)
def test_mac_is_pythons_hmac_over_the_material_put(store: SoftwareKeyStore, hash_name: str) -> None:
    material = os.urandom(48)
    store.put(KEY, 3, "hmac", material)
    for message in (b"", MESSAGE, os.urandom(4096)):
        assert store.mac(KEY, 3, hash_name, message) == hmac.digest(material, message, hash_name)


def test_mac_with_an_unknown_hash_is_a_value_error(store: SoftwareKeyStore) -> None:
    store.generate_hmac(KEY, 1, 32)
    for hash_name in ("md5", "sha1", "sha3_256", ""):
        with pytest.raises(ValueError):
            store.mac(KEY, 1, hash_name, MESSAGE)


def test_mac_of_missing_material(store: SoftwareKeyStore) -> None:
    with pytest.raises(MaterialMissing):
        store.mac(KEY, 1, "sha256", MESSAGE)


def test_each_version_has_its_own_hmac_key(store: SoftwareKeyStore) -> None:
    store.generate_hmac(KEY, 1, 32)
    store.generate_hmac(KEY, 2, 32)
    store.generate_hmac(OTHER, 1, 32)
    macs = {
        store.mac(KEY, 1, "sha256", MESSAGE),
        store.mac(KEY, 2, "sha256", MESSAGE),
        store.mac(OTHER, 1, "sha256", MESSAGE),
    }
    assert len(macs) == 3


# --- private keys -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    [("rsa2048", RSA_PSS_SHA256), ("p256", ECDSA_SHA256), ("ed25519", ED25519)],
    ids=lambda case: case[0],
)
def test_generate_private_returns_the_public_key_of_what_it_keeps(
    store: SoftwareKeyStore, barrier: Barrier, case: tuple[str, SignatureScheme]
) -> None:
    kind, scheme = case
    public = store.generate_private(KEY, 1, kind)
    assert isinstance(public, PublicKey)
    assert public.kind.name == kind
    key = store.private_key(KEY, 1)
    assert key.public.der == public.der
    signature = key.sign(scheme, MESSAGE, prehashed=False)
    assert PublicKey(public.der).verify(scheme, MESSAGE, signature, prehashed=False)
    record = stored(barrier, KEY, 1)
    assert record is not None
    form, der = material_format.decode(record)
    assert form == "private"
    loaded = serialization.load_der_private_key(der, None)
    assert (
        loaded.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        == public.der
    )


def test_generate_private_makes_a_new_key_per_version(store: SoftwareKeyStore) -> None:
    first = store.generate_private(KEY, 1, "p256")
    second = store.generate_private(KEY, 2, "p256")
    assert first.der != second.der


def test_put_private_keeps_the_pkcs8_given(store: SoftwareKeyStore, barrier: Barrier) -> None:
    der = generate("p384")
    store.put(KEY, 2, "private", der)
    assert stored(barrier, KEY, 2) == b"\x01\x02" + der
    key = store.private_key(KEY, 2)
    assert key.canonical_der() == der
    assert key.kind.name == "p384"
    peer = ec.generate_private_key(ec.SECP384R1())
    peer_public = PublicKey(
        peer.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    ours = serialization.load_der_public_key(key.public.der)
    assert isinstance(ours, ec.EllipticCurvePublicKey)
    assert key.exchange(peer_public) == peer.exchange(ec.ECDH(), ours)


def test_private_key_is_cached(store: SoftwareKeyStore) -> None:
    store.generate_private(KEY, 1, "ed25519")
    assert store.private_key(KEY, 1) is store.private_key(KEY, 1)


def test_private_key_of_missing_material(store: SoftwareKeyStore) -> None:
    store.generate_private(KEY, 1, "ed25519")
    with pytest.raises(MaterialMissing):
        store.private_key(KEY, 2)
    with pytest.raises(MaterialMissing):
        store.private_key(OTHER, 1)


def test_material_of_the_wrong_form_is_missing(store: SoftwareKeyStore) -> None:
    """An HMAC key is no private key and a private key no HMAC key; symmetric material
    is neither."""
    store.generate_hmac(KEY, 1, 32)
    store.generate_private(KEY, 2, "ed25519")
    store.put(KEY, 3, "symmetric", b"\x00" * 32)
    with pytest.raises(MaterialMissing):
        store.private_key(KEY, 1)
    with pytest.raises(MaterialMissing):
        store.mac(KEY, 2, "sha256", MESSAGE)
    with pytest.raises(MaterialMissing):
        store.private_key(KEY, 3)
    with pytest.raises(MaterialMissing):
        store.mac(KEY, 3, "sha256", MESSAGE)


# --- put, has, never overwrite ------------------------------------------------------------


def test_put_symmetric_material_encrypts_and_decrypts(
    store: SoftwareKeyStore, barrier: Barrier
) -> None:
    material = os.urandom(32)
    store.put(KEY, 1, "symmetric", material)
    assert stored(barrier, KEY, 1) == material  # raw, not a record
    payload = store.encrypt(KEY, 1, b"imported", b"aad")
    assert store.decrypt(KEY, 1, payload, b"aad") == b"imported"


@pytest.mark.parametrize("length", [0, 16, 31, 33, 64])
def test_put_symmetric_material_is_32_bytes(store: SoftwareKeyStore, length: int) -> None:
    with pytest.raises(ValueError):
        store.put(KEY, 1, "symmetric", os.urandom(length))
    assert not store.has(KEY, 1)


@pytest.mark.parametrize("form", ["hmac", "private"])
def test_put_empty_material_is_refused(store: SoftwareKeyStore, form: MaterialForm) -> None:
    with pytest.raises(ValueError):
        store.put(KEY, 1, form, b"")
    assert not store.has(KEY, 1)


def test_has(store: SoftwareKeyStore) -> None:
    assert not store.has(KEY, 1)
    store.generate(KEY, 1)
    store.generate_hmac(KEY, 2, 32)
    store.generate_private(KEY, 3, "p256")
    store.put(KEY, 4, "hmac", b"imported hmac key")
    assert [store.has(KEY, version) for version in range(6)] == [
        False,
        True,
        True,
        True,
        True,
        False,
    ]
    assert not store.has(OTHER, 1)


def _make(store: SoftwareKeyStore, how: str, version: int) -> None:
    if how == "generate":
        store.generate(KEY, version)
    elif how == "generate_hmac":
        store.generate_hmac(KEY, version, 32)
    elif how == "generate_private":
        store.generate_private(KEY, version, "p256")
    elif how == "put symmetric":
        store.put(KEY, version, "symmetric", os.urandom(32))
    elif how == "put hmac":
        store.put(KEY, version, "hmac", os.urandom(32))
    else:
        store.put(KEY, version, "private", generate("ed25519"))


WAYS = (
    "generate",
    "generate_hmac",
    "generate_private",
    "put symmetric",
    "put hmac",
    "put private",
)


@pytest.mark.parametrize("first", WAYS)
@pytest.mark.parametrize("second", WAYS)
def test_material_is_never_overwritten(
    store: SoftwareKeyStore, barrier: Barrier, first: str, second: str
) -> None:
    _make(store, first, 1)
    before = stored(barrier, KEY, 1)
    with pytest.raises(KeyMaterialExists):
        _make(store, second, 1)
    assert stored(barrier, KEY, 1) == before


def test_the_first_material_still_works_after_a_refused_overwrite(
    store: SoftwareKeyStore,
) -> None:
    material = os.urandom(32)
    store.put(KEY, 1, "hmac", material)
    store.mac(KEY, 1, "sha256", MESSAGE)  # cached
    with pytest.raises(KeyMaterialExists):
        store.put(KEY, 1, "hmac", os.urandom(32))
    store.forget()
    assert store.mac(KEY, 1, "sha256", MESSAGE) == hmac.digest(material, MESSAGE, "sha256")


# --- destroy chosen versions --------------------------------------------------------------


def test_destroy_chosen_versions_leaves_the_others(
    store: SoftwareKeyStore, storage: MemoryStorage, barrier: Barrier
) -> None:
    hmac_material = os.urandom(32)
    store.generate(KEY, 1)
    store.put(KEY, 2, "hmac", hmac_material)
    store.generate_private(KEY, 3, "p256")
    store.generate_private(KEY, 4, "ed25519")
    store.generate_hmac(OTHER, 2, 32)
    payload = store.encrypt(KEY, 1, b"kept", b"")
    kept_public = store.private_key(KEY, 4).public.der
    store.mac(KEY, 2, "sha256", MESSAGE)  # cache every form before destroying
    store.private_key(KEY, 3)

    store.destroy(KEY, [2, 3])

    assert [store.has(KEY, version) for version in (1, 2, 3, 4)] == [True, False, False, True]
    assert store.has(OTHER, 2)
    assert [path for path, _ in storage.scan(PREFIX)] == [
        f"{PREFIX}{KEY}/0000000001",
        f"{PREFIX}{KEY}/0000000004",
        f"{PREFIX}{OTHER}/0000000002",
    ]
    with pytest.raises(MaterialMissing):  # not served from the cache
        store.mac(KEY, 2, "sha256", MESSAGE)
    with pytest.raises(MaterialMissing):
        store.private_key(KEY, 3)
    assert store.decrypt(KEY, 1, payload, b"") == b"kept"
    assert store.private_key(KEY, 4).public.der == kept_public
    fresh = SoftwareKeyStore(View(barrier, PREFIX))
    with pytest.raises(MaterialMissing):
        fresh.mac(KEY, 2, "sha256", MESSAGE)
    assert fresh.private_key(KEY, 4).public.der == kept_public


def test_destroyed_versions_may_be_imported_again(store: SoftwareKeyStore) -> None:
    """Deleting imported material frees its version for the same material to return."""
    material = os.urandom(32)
    store.put(KEY, 1, "hmac", material)
    store.destroy(KEY, [1])
    store.put(KEY, 1, "hmac", material)
    assert store.mac(KEY, 1, "sha256", MESSAGE) == hmac.digest(material, MESSAGE, "sha256")


def test_destroy_of_absent_versions_is_harmless(store: SoftwareKeyStore) -> None:
    store.generate_hmac(KEY, 1, 32)
    store.destroy(KEY, [2, 7])
    store.destroy(KEY, [])
    store.destroy(OTHER, [1])
    assert store.has(KEY, 1)


def test_destroy_of_every_version_covers_every_form(
    store: SoftwareKeyStore, storage: MemoryStorage
) -> None:
    store.generate(KEY, 1)
    store.generate_hmac(KEY, 2, 32)
    store.generate_private(KEY, 3, "p256")
    store.generate(OTHER, 1)
    store.destroy(KEY)
    assert [path for path, _ in storage.scan(PREFIX)] == [f"{PREFIX}{OTHER}/0000000001"]
    with pytest.raises(AuthenticationFailed):
        store.encrypt(KEY, 1, b"x", b"")
    with pytest.raises(MaterialMissing):
        store.mac(KEY, 2, "sha256", MESSAGE)
    with pytest.raises(MaterialMissing):
        store.private_key(KEY, 3)


# --- the cache and storage ----------------------------------------------------------------


def test_material_is_kept_encrypted_in_storage(
    store: SoftwareKeyStore, storage: MemoryStorage
) -> None:
    hmac_material = os.urandom(64)
    private_der = generate("ed25519")
    store.put(KEY, 1, "hmac", hmac_material)
    store.put(KEY, 2, "private", private_der)
    raw = dict(storage.scan(PREFIX))
    assert len(raw) == 2
    for value in raw.values():
        assert hmac_material[:12] not in value and hmac_material[-12:] not in value
        assert private_der[-16:] not in value


def test_forget_reads_again_from_storage(store: SoftwareKeyStore, barrier: Barrier) -> None:
    material = os.urandom(32)
    store.put(KEY, 1, "hmac", material)
    public = store.generate_private(KEY, 2, "p256")
    cached_mac = store.mac(KEY, 1, "sha256", MESSAGE)
    cached_key = store.private_key(KEY, 2)

    store.forget()
    assert store.mac(KEY, 1, "sha256", MESSAGE) == cached_mac
    reloaded = store.private_key(KEY, 2)
    assert reloaded is not cached_key
    assert reloaded.public.der == public.der

    store.forget()
    barrier.seal()
    with pytest.raises(ServiceUnavailable):
        store.mac(KEY, 1, "sha256", MESSAGE)
    with pytest.raises(ServiceUnavailable):
        store.private_key(KEY, 2)


def test_without_forget_the_cache_serves(store: SoftwareKeyStore, barrier: Barrier) -> None:
    """The counterpart of forget: cached material is used without reading storage."""
    store.put(KEY, 1, "hmac", b"k" * 32)
    store.generate_private(KEY, 2, "ed25519")
    mac = store.mac(KEY, 1, "sha256", MESSAGE)
    key = store.private_key(KEY, 2)
    barrier.seal()
    assert store.mac(KEY, 1, "sha256", MESSAGE) == mac
    assert store.private_key(KEY, 2) is key


def test_another_instance_reads_what_was_stored(store: SoftwareKeyStore, barrier: Barrier) -> None:
    material = os.urandom(32)
    store.put(KEY, 1, "hmac", material)
    public = store.generate_private(KEY, 2, "rsa2048")
    fresh = SoftwareKeyStore(View(barrier, PREFIX))
    assert fresh.mac(KEY, 1, "sha512", MESSAGE) == hmac.digest(material, MESSAGE, "sha512")
    signature = fresh.private_key(KEY, 2).sign(RSA_PSS_SHA256, MESSAGE, prehashed=False)
    assert public.verify(RSA_PSS_SHA256, MESSAGE, signature, prehashed=False)
