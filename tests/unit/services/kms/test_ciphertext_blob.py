"""Golden vectors of the KMS ciphertext blob and the canonical encryption context.

Vectors live in tests/vectors/kms/. Each is recomputed here independently (a context
encoder of our own, `cryptography`'s HKDF and AESGCM straight from the README's layout),
produced byte for byte by the Encrypt operation given the same material and randomness,
and opened by Decrypt; any changed byte, context, key or material version must be the
one detail-free InvalidCiphertextException.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tests.random_sources import ScriptedRandom

from strongroom.barrier import Barrier, View
from strongroom.clock import Clock
from strongroom.errors import IncorrectKeyException, InvalidCiphertextException
from strongroom.identity import Principal
from strongroom.keystores import SoftwareKeyStore
from strongroom.services.caller import AllowAuthenticated, Caller
from strongroom.services.kms import Kms, KmsRepository, ciphertext_blob, cryptographic, key_access
from strongroom.services.kms.records import AliasRecord, KeyRecord, MaterialVersion
from strongroom.storage.memory import MemoryStorage

VECTORS = Path(__file__).parents[3] / "vectors" / "kms"


def _cases(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())["cases"]
    return cases


BLOBS = _cases("ciphertext-blob-v1.json")
CONTEXTS = _cases("encryption-context-v1.json")
INFO = b"strongroom kms message key v1"
EXTRACT_SALT = b"strongroom kms material v1"
ACCOUNT = "111122223333"
REGION = "us-east-1"


@dataclass
class World:
    kms: Kms
    store: SoftwareKeyStore
    random: ScriptedRandom
    caller: Caller

    def install(self, key_id: str, version: int, material: bytes) -> None:
        """A key whose current material version is `version`, holding `material`."""
        record = self.kms.repository.load(ACCOUNT, REGION, key_id)
        if record is None:
            record = KeyRecord(key_id, ACCOUNT, REGION, "aws", 0.0, versions=[])
        known = {v.version for v in record.versions} | {1, version}
        record.versions = [MaterialVersion(v, 0.0) for v in sorted(known)]
        self.kms.repository.save(record)
        self.random.push(material)
        self.store.generate(key_id, version)

    def decrypt(self, blob: bytes, context: dict[str, str] | None, **extra: Any) -> bytes:
        result = cryptographic.decrypt(
            self.kms, self.caller, CiphertextBlob=blob, EncryptionContext=context, **extra
        )
        plaintext: bytes = result["Plaintext"]
        return plaintext


@pytest.fixture
def world() -> World:
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    random = ScriptedRandom()
    store = SoftwareKeyStore(View(barrier, "keystores/software/"), random)
    kms = Kms(KmsRepository(View(barrier, "kms/")), {"software": store}, Clock(), ScriptedRandom())
    caller = Caller(
        Principal("AKIAIOSFODNN7EXAMPLE", ACCOUNT, "root"), REGION, AllowAuthenticated()
    )
    return World(kms, store, random, caller)


def _unhex(case: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(case[name + "_hex"])


def context_of(pairs: list[list[str]] | None) -> dict[str, str] | None:
    return None if pairs is None else {key: value for key, value in pairs}


def installed(world: World, case: dict[str, Any]) -> bytes:
    world.install(case["key_id"], case["material_version"], _unhex(case, "material"))
    return _unhex(case, "blob")


def flipped(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


# --- independent reference ------------------------------------------------------------


def reference_context(pairs: list[list[str]] | None) -> bytes:
    """The README's canonical encoding, written without looking at the code."""
    encoded = [(k.encode("utf-8"), v.encode("utf-8")) for k, v in (pairs or [])]
    encoded.sort(key=lambda pair: pair[0])
    out = len(encoded).to_bytes(2, "big")
    for key, value in encoded:
        out += len(key).to_bytes(2, "big") + key + len(value).to_bytes(2, "big") + value
    return out


def reference_header(key_id: str, version: int) -> bytes:
    return b"\x01" + uuid.UUID(key_id).bytes + version.to_bytes(4, "big")


def reference_message_key(material: bytes, salt: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=EXTRACT_SALT, info=INFO + salt)
    return hkdf.derive(material)


def reference_blob(case: dict[str, Any]) -> bytes:
    header = reference_header(case["key_id"], case["material_version"])
    aad = header + reference_context(case["encryption_context"])
    key = reference_message_key(_unhex(case, "material"), _unhex(case, "salt"))
    nonce = _unhex(case, "nonce")
    sealed = AESGCM(key).encrypt(nonce, _unhex(case, "plaintext"), aad)
    return header + _unhex(case, "salt") + nonce + sealed


# --- canonical encryption context -----------------------------------------------------


@pytest.mark.parametrize("case", CONTEXTS, ids=lambda c: c["name"])
def test_context_vector_matches_the_reference(case: dict[str, Any]) -> None:
    assert reference_context(case["pairs"]).hex() == case["encoded_hex"]


@pytest.mark.parametrize("case", CONTEXTS, ids=lambda c: c["name"])
def test_encode_context_gives_exactly_the_vector(case: dict[str, Any]) -> None:
    assert ciphertext_blob.encode_context(context_of(case["pairs"])).hex() == case["encoded_hex"]
    if case["pairs"]:
        reordered = context_of(list(reversed(case["pairs"])))
        assert ciphertext_blob.encode_context(reordered).hex() == case["encoded_hex"]


def test_distinct_contexts_encode_distinctly() -> None:
    contexts: list[dict[str, str] | None] = [
        None,
        {"a": ""},
        {"": "a"},
        {"ab": "c"},
        {"a": "bc"},
        {"a": "b", "c": "d"},
        {"a": "bcd"},
        {"A": "b"},
        {"a": "B"},
    ]
    encodings = [ciphertext_blob.encode_context(c) for c in contexts]
    assert len(set(encodings)) == len(contexts)


# --- blob vectors ---------------------------------------------------------------------


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_blob_vector_matches_independent_hkdf_and_aesgcm(case: dict[str, Any]) -> None:
    header = reference_header(case["key_id"], case["material_version"])
    assert (header + reference_context(case["encryption_context"])).hex() == case["aad_hex"]
    message_key = reference_message_key(_unhex(case, "material"), _unhex(case, "salt"))
    assert message_key.hex() == case["message_key_hex"]
    assert reference_blob(case).hex() == case["blob_hex"]


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_blob_decode_and_encode(case: dict[str, Any]) -> None:
    data = _unhex(case, "blob")
    blob = ciphertext_blob.decode(data)
    assert blob.key_id == case["key_id"]
    assert blob.material_version == case["material_version"]
    assert blob.payload == data[21:]
    assert blob.header() == reference_header(case["key_id"], case["material_version"])
    assert ciphertext_blob.HEADER_BYTES == 21
    assert ciphertext_blob.encode(blob) == data
    context = context_of(case["encryption_context"])
    assert ciphertext_blob.associated_data(blob.header(), context).hex() == case["aad_hex"]


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_encrypt_gives_exactly_the_vector(world: World, case: dict[str, Any]) -> None:
    installed(world, case)
    world.random.push(_unhex(case, "salt") + _unhex(case, "nonce"))
    result = cryptographic.encrypt(
        world.kms,
        world.caller,
        KeyId=case["key_id"],
        Plaintext=_unhex(case, "plaintext"),
        EncryptionContext=context_of(case["encryption_context"]),
    )
    assert world.random.exhausted()
    assert result["CiphertextBlob"] == _unhex(case, "blob")
    assert result["KeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{case['key_id']}"


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_software_store_payload_is_the_vector_payload(world: World, case: dict[str, Any]) -> None:
    installed(world, case)
    world.random.push(_unhex(case, "salt") + _unhex(case, "nonce"))
    payload = world.store.encrypt(
        case["key_id"], case["material_version"], _unhex(case, "plaintext"), _unhex(case, "aad")
    )
    assert payload == _unhex(case, "blob")[21:]


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_decrypt_opens_the_vector(world: World, case: dict[str, Any]) -> None:
    blob = installed(world, case)
    pairs = case["encryption_context"]
    plaintext = _unhex(case, "plaintext")
    assert world.decrypt(blob, context_of(pairs)) == plaintext
    if pairs:  # pair order is not part of the context
        assert world.decrypt(blob, context_of(list(reversed(pairs)))) == plaintext
    else:  # absent and empty are the same context
        assert world.decrypt(blob, {}) == plaintext
        assert world.decrypt(blob, None) == plaintext
    for key_ref in (case["key_id"], f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{case['key_id']}"):
        assert world.decrypt(blob, context_of(pairs), KeyId=key_ref) == plaintext


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_every_flipped_blob_byte_is_invalid_ciphertext(world: World, case: dict[str, Any]) -> None:
    blob = installed(world, case)
    context = context_of(case["encryption_context"])
    for index in range(len(blob)):
        with pytest.raises(InvalidCiphertextException) as info:
            world.decrypt(flipped(blob, index), context)
        assert info.value.message == ""
    assert world.decrypt(blob, context) == _unhex(case, "plaintext")


@pytest.mark.parametrize("case", BLOBS, ids=lambda c: c["name"])
def test_another_context_is_invalid_ciphertext(world: World, case: dict[str, Any]) -> None:
    blob = installed(world, case)
    pairs: list[list[str]] = case["encryption_context"] or []
    others: list[list[list[str]]] = [[*pairs, ["extra", "pair"]]]
    if pairs:
        others += [
            pairs[1:],
            [[pairs[0][0], pairs[0][1] + "x"], *pairs[1:]],
            [[pairs[0][0].upper() + "X", pairs[0][1]], *pairs[1:]],
            [[pairs[0][1], pairs[0][0]], *pairs[1:]],  # key and value swapped
        ]
    for other in others:
        with pytest.raises(InvalidCiphertextException):
            world.decrypt(blob, context_of(other))


def test_the_header_binds_the_material_version(world: World) -> None:
    """The same material under versions 2, 3 and 4: only the header tells them apart."""
    case = BLOBS[1]
    assert case["material_version"] == 3
    blob = installed(world, case)
    for version in (2, 4):
        world.install(case["key_id"], version, _unhex(case, "material"))
    context = context_of(case["encryption_context"])
    assert world.decrypt(blob, context) == _unhex(case, "plaintext")
    for version in (2, 4):
        relabelled = blob[:17] + version.to_bytes(4, "big") + blob[21:]
        with pytest.raises(InvalidCiphertextException):
            world.decrypt(relabelled, context)


def test_the_header_binds_the_key_id(world: World) -> None:
    """Two keys with identical material: a blob moved to the other key id fails."""
    case = BLOBS[0]
    blob = installed(world, case)
    twin = str(uuid.UUID(bytes=flipped(uuid.UUID(case["key_id"]).bytes, 15)))
    world.install(twin, case["material_version"], _unhex(case, "material"))
    moved = blob[:1] + uuid.UUID(twin).bytes + blob[17:]
    with pytest.raises(InvalidCiphertextException):
        world.decrypt(moved, None)
    assert world.decrypt(blob, None) == _unhex(case, "plaintext")


def test_decrypt_naming_another_key_is_incorrect_key(world: World) -> None:
    first, second = BLOBS[0], BLOBS[1]
    blob = installed(world, first)
    installed(world, second)
    now = 0.0
    world.kms.repository.save_alias(
        ACCOUNT, REGION, AliasRecord("alias/second", second["key_id"], now, now)
    )
    for key_ref in (second["key_id"], "alias/second"):
        with pytest.raises(IncorrectKeyException):
            world.decrypt(blob, None, KeyId=key_ref)
    world.kms.repository.save_alias(
        ACCOUNT, REGION, AliasRecord("alias/first", first["key_id"], now, now)
    )
    assert world.decrypt(blob, None, KeyId="alias/first") == _unhex(first, "plaintext")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x01",
        bytes.fromhex(BLOBS[0]["blob_hex"])[:21],
        b"\x03" + bytes.fromhex(BLOBS[0]["blob_hex"])[1:],
        b"\x00" + bytes.fromhex(BLOBS[0]["blob_hex"])[1:],
    ],
    ids=["empty", "version only", "header only", "version 3", "version 0"],
)
def test_malformed_blobs(world: World, data: bytes) -> None:
    installed(world, BLOBS[0])
    with pytest.raises(ciphertext_blob.MalformedBlob):
        ciphertext_blob.decode(data)
    with pytest.raises(InvalidCiphertextException):
        world.decrypt(data, None)


@pytest.mark.parametrize("cut", [22, 21 + 28, 21 + 28 + 15])
def test_truncated_blobs_are_invalid_ciphertext(world: World, cut: int) -> None:
    blob = installed(world, BLOBS[0])
    with pytest.raises(InvalidCiphertextException):
        world.decrypt(blob[:cut], None)


def test_a_blob_of_a_key_that_does_not_exist_is_invalid_ciphertext(world: World) -> None:
    with pytest.raises(InvalidCiphertextException):
        world.decrypt(bytes.fromhex(BLOBS[0]["blob_hex"]), None)


MULTI_REGION_HEADERS = _cases("ciphertext-blob-v2-header.json")


@pytest.mark.parametrize("case", MULTI_REGION_HEADERS, ids=lambda c: c["key_id"])
def test_multi_region_header_is_the_vector(case: dict[str, Any]) -> None:
    header = ciphertext_blob.header(case["key_id"], case["material_version"])
    assert header.hex() == case["header_hex"]
    blob = ciphertext_blob.decode(header + b"payload")
    assert (blob.key_id, blob.material_version, blob.payload) == (
        case["key_id"],
        case["material_version"],
        b"payload",
    )
    # the same 16 bytes under version 1 name a different key: a UUID, never the mrk id
    as_uuid = ciphertext_blob.decode(b"\x01" + header[1:] + b"payload")
    assert as_uuid.key_id != case["key_id"]


def test_only_small_encryption_contexts_are_kept_between_requests() -> None:
    """Contexts are read before they are size-checked and before the caller is authorized
    (AWS's order), so a refused request with a huge context must leave nothing behind."""
    small = {"SecretARN": "arn:aws:secretsmanager:us-east-1:1:secret:a-AbCdEf", "v": "1"}
    huge = {f"k{n}": "v" * 64 for n in range(200)}
    kept_keys, kept_bytes = key_access._kept_context_keys, ciphertext_blob._kept_encoding
    assert key_access.encryption_context_keys(small) is key_access.encryption_context_keys(
        dict(small)
    )
    assert ciphertext_blob.encode_context(small) is ciphertext_blob.encode_context(dict(small))
    before = (kept_keys.cache_info().currsize, kept_bytes.cache_info().currsize)
    keys = key_access.encryption_context_keys(huge)
    assert keys["kms:EncryptionContext:k7"] == ("v" * 64,)
    assert len(keys["kms:EncryptionContextKeys"]) == 200
    assert ciphertext_blob.encode_context(huge) == ciphertext_blob.encode_context(
        dict(reversed(huge.items()))
    )
    assert (kept_keys.cache_info().currsize, kept_bytes.cache_info().currsize) == before
