"""Golden vectors of the barrier record and keyring formats (tests/vectors/barrier/).

Each vector is checked three ways: recomputed independently with `AESGCM` from the layout
the README documents (so the file is not just "the code agrees with itself"), produced
byte for byte by Strongroom's code given the same inputs, and opened by it; then every
single-byte change, another path, another term or another root key must fail.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from tests.random_sources import ScriptedRandom

from strongroom.barrier import Barrier, IntegrityError, InvalidRootKey
from strongroom.barrier import keyring as keyring_format
from strongroom.barrier import record as record_format
from strongroom.barrier.keyring import Keyring, KeyringUnreadable
from strongroom.errors import ServiceUnavailable
from strongroom.storage.memory import MemoryStorage

VECTORS = Path(__file__).parents[2] / "vectors" / "barrier"
RECORDS: list[dict[str, Any]] = json.loads((VECTORS / "record-v1.json").read_text())["cases"]
KEYRINGS: list[dict[str, Any]] = json.loads((VECTORS / "keyring-v1.json").read_text())["cases"]
KEYRING_AAD = b"strongroom keyring v1"


def _unhex(case: dict[str, Any], name: str) -> bytes:
    return bytes.fromhex(case[name + "_hex"])


# --- independent reference computations --------------------------------------------


def reference_record(key: bytes, term: int, nonce: bytes, path: str, plaintext: bytes) -> bytes:
    """The record layout of the README, computed with AESGCM alone."""
    header = b"\x01" + term.to_bytes(4, "big")
    return header + nonce + AESGCM(key).encrypt(nonce, plaintext, header + path.encode("utf-8"))


def reference_keyring_body(keys: dict[int, bytes], active: int) -> bytes:
    body = struct.pack(">II", active, len(keys))
    for term in sorted(keys):
        body += struct.pack(">I", term) + keys[term]
    return body


def reference_keyring(root_key: bytes, keys: dict[int, bytes], active: int, nonce: bytes) -> bytes:
    body = reference_keyring_body(keys, active)
    return b"\x01" + nonce + AESGCM(root_key).encrypt(nonce, body, KEYRING_AAD)


def keys_of(case: dict[str, Any]) -> dict[int, bytes]:
    return {entry["term"]: bytes.fromhex(entry["key_hex"]) for entry in case["keys"]}


def flipped(data: bytes, index: int, mask: int = 0x01) -> bytes:
    out = bytearray(data)
    out[index] ^= mask
    return bytes(out)


def unsealed_barrier(keys: dict[int, bytes], active: int, random: ScriptedRandom) -> Barrier:
    """A barrier over fresh memory storage whose keyring is exactly `keys`/`active`."""
    root_key = bytes(range(32))
    storage = MemoryStorage()
    sealed = keyring_format.seal(Keyring(dict(keys), active), root_key, ScriptedRandom(bytes(12)))
    storage.put("core/keyring", sealed)
    barrier = Barrier(storage, random)
    barrier.unseal(root_key)
    return barrier


# --- record v1 ------------------------------------------------------------------------


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_record_vector_matches_independent_aesgcm(case: dict[str, Any]) -> None:
    expected = reference_record(
        _unhex(case, "key"),
        case["term"],
        _unhex(case, "nonce"),
        case["path"],
        _unhex(case, "plaintext"),
    )
    assert expected.hex() == case["record_hex"]


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_barrier_put_writes_exactly_the_vector(case: dict[str, Any]) -> None:
    random = ScriptedRandom(_unhex(case, "nonce"))
    barrier = unsealed_barrier({case["term"]: _unhex(case, "key")}, case["term"], random)
    barrier.put(case["path"], _unhex(case, "plaintext"))
    assert random.exhausted()
    assert barrier.storage.get(case["path"]) == _unhex(case, "record")


def test_initialized_barrier_writes_term_one_records() -> None:
    case = RECORDS[0]
    assert case["term"] == 1
    storage = MemoryStorage()
    random = ScriptedRandom(_unhex(case, "key"), bytes(12), _unhex(case, "nonce"))
    barrier = Barrier(storage, random)
    barrier.initialize(bytes(32))
    barrier.put(case["path"], _unhex(case, "plaintext"))
    assert random.exhausted()
    assert storage.get(case["path"]) == _unhex(case, "record")


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_record_encode_decode_round_trip(case: dict[str, Any]) -> None:
    data = _unhex(case, "record")
    parsed = record_format.decode(data)
    assert parsed.term == case["term"]
    assert parsed.nonce == _unhex(case, "nonce")
    assert len(parsed.ciphertext) == len(_unhex(case, "plaintext")) + 16
    assert parsed.header() == b"\x01" + case["term"].to_bytes(4, "big")
    assert record_format.encode(parsed) == data
    assert record_format.associated_data(parsed.header(), case["path"]) == (
        parsed.header() + case["path"].encode("utf-8")
    )


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_barrier_opens_the_vector(case: dict[str, Any]) -> None:
    barrier = unsealed_barrier({case["term"]: _unhex(case, "key")}, case["term"], ScriptedRandom())
    barrier.storage.put(case["path"], _unhex(case, "record"))
    assert barrier.get(case["path"]) == _unhex(case, "plaintext")
    assert list(barrier.scan("")) == [(case["path"], _unhex(case, "plaintext"))]


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_every_flipped_record_byte_fails_integrity(case: dict[str, Any]) -> None:
    data = _unhex(case, "record")
    # The same key under the neighbouring terms: a changed term byte must fail on the
    # associated data, not merely on an unknown term.
    term = case["term"]
    keys = {t: _unhex(case, "key") for t in (term - 1, term, term + 1) if 0 <= t < 2**32}
    barrier = unsealed_barrier(keys, term, ScriptedRandom())
    path = case["path"]
    for index in range(len(data)):
        for mask in (0x01, 0x80):
            barrier.storage.put(path, flipped(data, index, mask))
            with pytest.raises(IntegrityError):
                barrier.get(path)
    barrier.storage.put(path, data)
    assert barrier.get(path) == _unhex(case, "plaintext")


@pytest.mark.parametrize("case", RECORDS, ids=lambda c: c["name"])
def test_record_at_another_path_fails(case: dict[str, Any]) -> None:
    barrier = unsealed_barrier({case["term"]: _unhex(case, "key")}, case["term"], ScriptedRandom())
    path = case["path"]
    others = {path + "x", path[:-1], "b" + path, path.upper(), path + "/"} - {"", path}
    for other in sorted(others):
        barrier.storage.put(other, _unhex(case, "record"))
        with pytest.raises(IntegrityError):
            barrier.get(other)
    with pytest.raises(InvalidTag):  # and independently: the path is in the AAD
        AESGCM(_unhex(case, "key")).decrypt(
            _unhex(case, "nonce"),
            _unhex(case, "record")[17:],
            b"\x01" + case["term"].to_bytes(4, "big") + (path + "x").encode(),
        )


def test_record_under_another_term_with_the_same_key_fails() -> None:
    case = RECORDS[0]
    key = _unhex(case, "key")
    barrier = unsealed_barrier({1: key, 2: key}, 1, ScriptedRandom())
    relabelled = b"\x01" + (2).to_bytes(4, "big") + _unhex(case, "record")[5:]
    barrier.storage.put(case["path"], relabelled)
    with pytest.raises(IntegrityError):
        barrier.get(case["path"])


@pytest.mark.parametrize(
    "data",
    [b"", b"\x01", bytes.fromhex(RECORDS[0]["record_hex"])[:32], b"\x02" + bytes(40)],
    ids=["empty", "version only", "shorter than header+nonce+tag", "version 2"],
)
def test_malformed_records_fail_integrity(data: bytes) -> None:
    case = RECORDS[0]
    barrier = unsealed_barrier({1: _unhex(case, "key")}, 1, ScriptedRandom())
    barrier.storage.put("p", data)
    with pytest.raises(IntegrityError):
        barrier.get("p")
    with pytest.raises(record_format.MalformedRecord):
        record_format.decode(data)


def test_record_under_unknown_term_fails() -> None:
    case = RECORDS[0]
    barrier = unsealed_barrier({2: _unhex(case, "key")}, 2, ScriptedRandom())
    barrier.storage.put(case["path"], _unhex(case, "record"))
    with pytest.raises(IntegrityError):
        barrier.get(case["path"])


# --- keyring v1 -----------------------------------------------------------------------


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_keyring_vector_matches_independent_aesgcm(case: dict[str, Any]) -> None:
    expected = reference_keyring(
        _unhex(case, "root_key"), keys_of(case), case["active_term"], _unhex(case, "nonce")
    )
    assert expected.hex() == case["sealed_hex"]


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_keyring_seal_gives_exactly_the_vector(case: dict[str, Any]) -> None:
    random = ScriptedRandom(_unhex(case, "nonce"))
    # Insertion order must not matter: entries are written in term order.
    keys = dict(reversed(list(keys_of(case).items())))
    sealed = keyring_format.seal(
        Keyring(keys, case["active_term"]), _unhex(case, "root_key"), random
    )
    assert random.exhausted()
    assert sealed == _unhex(case, "sealed")


def test_initialize_writes_exactly_the_fresh_keyring_vector() -> None:
    case = KEYRINGS[0]
    assert keys_of(case).keys() == {1} and case["active_term"] == 1
    storage = MemoryStorage()
    random = ScriptedRandom(keys_of(case)[1], _unhex(case, "nonce"))
    Barrier(storage, random).initialize(_unhex(case, "root_key"))
    assert random.exhausted()
    assert storage.get("core/keyring") == _unhex(case, "sealed")


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_keyring_unseal_reads_the_vector(case: dict[str, Any]) -> None:
    keyring = keyring_format.unseal(_unhex(case, "sealed"), _unhex(case, "root_key"))
    assert keyring.keys == keys_of(case)
    assert keyring.active_term == case["active_term"]


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_barrier_unsealed_with_the_vector_encrypts_under_the_active_term(
    case: dict[str, Any],
) -> None:
    storage = MemoryStorage()
    storage.put("core/keyring", _unhex(case, "sealed"))
    nonce = bytes(range(12))
    barrier = Barrier(storage, ScriptedRandom(nonce))
    barrier.unseal(_unhex(case, "root_key"))
    barrier.put("some/path", b"plaintext")
    active = case["active_term"]
    assert storage.get("some/path") == reference_record(
        keys_of(case)[active], active, nonce, "some/path", b"plaintext"
    )
    # Records of every other term still open.
    for term, key in keys_of(case).items():
        storage.put(f"old/{term}", reference_record(key, term, nonce, f"old/{term}", b"old"))
        assert barrier.get(f"old/{term}") == b"old"


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_every_flipped_keyring_byte_is_unreadable(case: dict[str, Any]) -> None:
    sealed = _unhex(case, "sealed")
    root_key = _unhex(case, "root_key")
    storage = MemoryStorage()
    barrier = Barrier(storage, ScriptedRandom())
    for index in range(len(sealed)):
        tampered = flipped(sealed, index)
        with pytest.raises(KeyringUnreadable):
            keyring_format.unseal(tampered, root_key)
        storage.put("core/keyring", tampered)
        with pytest.raises(InvalidRootKey):
            barrier.unseal(root_key)
        assert barrier.sealed
    with pytest.raises(ServiceUnavailable):
        barrier.get("anything")


@pytest.mark.parametrize("case", KEYRINGS, ids=lambda c: c["name"])
def test_keyring_under_another_root_key_is_unreadable(case: dict[str, Any]) -> None:
    sealed = _unhex(case, "sealed")
    root_key = _unhex(case, "root_key")
    for wrong in (flipped(root_key, 0), flipped(root_key, 31, 0x80), bytes(32)):
        with pytest.raises(KeyringUnreadable):
            keyring_format.unseal(sealed, wrong)
    for cut in (0, 1, 13, 28, len(sealed) - 1):
        with pytest.raises(KeyringUnreadable):
            keyring_format.unseal(sealed[:cut], root_key)
    # The associated data is part of the format: another label does not open it.
    with pytest.raises(InvalidTag):
        AESGCM(root_key).decrypt(sealed[1:13], sealed[13:], b"strongroom keyring v2")
