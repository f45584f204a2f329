"""HMAC keys (GENERATE_VERIFY_MAC): GenerateMac, VerifyMac and AWS's refusals.

Equality with Python's `hmac` needs known key material and is proven by the imported-key
vectors (tests/e2e/test_kms_vectors.py); here, round trips, determinism, the MAC length of
each algorithm, and that every wrong MAC, algorithm, key or key state is refused and
changes nothing. One key per spec per module; tests that disable a key make their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from tests.e2e.kms_support import error_of, new_key

ALGORITHMS = {
    "HMAC_224": "HMAC_SHA_224",
    "HMAC_256": "HMAC_SHA_256",
    "HMAC_384": "HMAC_SHA_384",
    "HMAC_512": "HMAC_SHA_512",
}
MAC_BYTES = {"HMAC_SHA_224": 28, "HMAC_SHA_256": 32, "HMAC_SHA_384": 48, "HMAC_SHA_512": 64}
WRONG_PAIRS = [
    (spec, algorithm)
    for spec in ALGORITHMS
    for algorithm in ALGORITHMS.values()
    if algorithm != ALGORITHMS[spec]
]


@pytest.fixture(scope="module")
def keys(kms: Any) -> Callable[[str], dict[str, Any]]:
    """One HMAC key per spec for the whole module (KeyMetadata), made on first use."""
    made: dict[str, dict[str, Any]] = {}

    def key(spec: str) -> dict[str, Any]:
        if spec not in made:
            made[spec] = new_key(kms, KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
        return made[spec]

    return key


def mac(kms: Any, key: dict[str, Any], message: bytes, algorithm: str) -> bytes:
    made = kms.generate_mac(KeyId=key["KeyId"], Message=message, MacAlgorithm=algorithm)
    assert made["KeyId"] == key["Arn"]
    assert made["MacAlgorithm"] == algorithm
    return made["Mac"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("spec", "algorithm"), ALGORITHMS.items())
def test_describe_key_reports_the_mac_algorithm(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    meta = kms.describe_key(KeyId=keys(spec)["KeyId"])["KeyMetadata"]
    assert (meta["KeyUsage"], meta["KeySpec"], meta["KeyState"]) == (
        "GENERATE_VERIFY_MAC",
        spec,
        "Enabled",
    )
    assert meta["MacAlgorithms"] == [algorithm]
    for absent in ("EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"):
        assert absent not in meta


@pytest.mark.parametrize(("spec", "algorithm"), ALGORITHMS.items())
def test_generate_and_verify_mac(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    message = os.urandom(500)
    tag = mac(kms, key, message, algorithm)
    assert len(tag) == MAC_BYTES[algorithm]
    assert mac(kms, key, message, algorithm) == tag  # HMAC is deterministic
    assert mac(kms, key, message + b"!", algorithm) != tag
    verified = kms.verify_mac(KeyId=key["Arn"], Message=message, Mac=tag, MacAlgorithm=algorithm)
    assert verified["MacValid"] is True
    assert verified["KeyId"] == key["Arn"]
    assert verified["MacAlgorithm"] == algorithm


def test_keys_of_the_same_spec_give_different_macs(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key = keys("HMAC_256")
    other = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    tag = mac(kms, key, b"same message", "HMAC_SHA_256")
    assert mac(kms, other, b"same message", "HMAC_SHA_256") != tag
    error = error_of(
        kms.verify_mac,
        KeyId=other["KeyId"],
        Message=b"same message",
        Mac=tag,
        MacAlgorithm="HMAC_SHA_256",
    )
    assert error["Code"] == "KMSInvalidMacException"


@pytest.mark.parametrize(("spec", "algorithm"), ALGORITHMS.items())
def test_a_wrong_mac_is_kms_invalid_mac(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    tag = mac(kms, key, b"the invoice", algorithm)
    wrong = [
        (b"the invoice", bytes([tag[0] ^ 0x01]) + tag[1:]),
        (b"the invoice", tag[:-1] + bytes([tag[-1] ^ 0x80])),
        (b"the invoice", tag[:-1]),
        (b"the invoice", tag + b"\x00"),
        (b"the invoicf", tag),
    ]
    for message, bad in wrong:
        error = error_of(
            kms.verify_mac, KeyId=key["KeyId"], Message=message, Mac=bad, MacAlgorithm=algorithm
        )
        assert error["Code"] == "KMSInvalidMacException"
    verified = kms.verify_mac(
        KeyId=key["KeyId"], Message=b"the invoice", Mac=tag, MacAlgorithm=algorithm
    )
    assert verified["MacValid"] is True  # nothing changed


@pytest.mark.parametrize(("spec", "algorithm"), WRONG_PAIRS)
def test_a_mac_algorithm_the_key_does_not_support_is_invalid_key_usage(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    error = error_of(kms.generate_mac, KeyId=key["KeyId"], Message=b"m", MacAlgorithm=algorithm)
    assert error["Code"] == "InvalidKeyUsageException"
    tag = mac(kms, key, b"m", ALGORITHMS[spec])
    error = error_of(
        kms.verify_mac, KeyId=key["KeyId"], Message=b"m", Mac=tag, MacAlgorithm=algorithm
    )
    assert error["Code"] == "InvalidKeyUsageException"


def test_messages_are_1_to_4096_bytes(
    kms: Any, raw_kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key = keys("HMAC_512")
    largest = os.urandom(4096)
    tag = mac(kms, key, largest, "HMAC_SHA_512")
    assert kms.verify_mac(
        KeyId=key["KeyId"], Message=largest, Mac=tag, MacAlgorithm="HMAC_SHA_512"
    )["MacValid"]
    for bad in (b"", largest + b"x"):
        error = error_of(
            raw_kms.generate_mac, KeyId=key["KeyId"], Message=bad, MacAlgorithm="HMAC_SHA_512"
        )
        assert error["Code"] == "ValidationException"
        error = error_of(
            raw_kms.verify_mac,
            KeyId=key["KeyId"],
            Message=bad,
            Mac=tag,
            MacAlgorithm="HMAC_SHA_512",
        )
        assert error["Code"] == "ValidationException"


def test_other_keys_do_not_mac_and_hmac_keys_do_nothing_else(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    symmetric = new_key(kms)["KeyId"]
    error = error_of(kms.generate_mac, KeyId=symmetric, Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(
        kms.verify_mac,
        KeyId=symmetric,
        Message=b"m",
        Mac=b"\x00" * 32,
        MacAlgorithm="HMAC_SHA_256",
    )
    assert error["Code"] == "InvalidKeyUsageException"
    key_id = keys("HMAC_256")["KeyId"]
    assert error_of(kms.encrypt, KeyId=key_id, Plaintext=b"x")["Code"] == (
        "InvalidKeyUsageException"
    )
    error = error_of(kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert error["Code"] == "InvalidKeyUsageException"
    assert error_of(kms.get_public_key, KeyId=key_id)["Code"] == "UnsupportedOperationException"


def test_an_hmac_key_needs_its_key_usage(kms: Any) -> None:
    """AWS: KeyUsage may be left out only for symmetric encryption keys."""
    before = kms.list_keys(Limit=1000)["Keys"]
    error = error_of(kms.create_key, KeySpec="HMAC_256")
    assert error["Code"] == "ValidationException"
    assert kms.list_keys(Limit=1000)["Keys"] == before


def test_disabled_hmac_key_refuses_and_recovers(kms: Any) -> None:
    key = new_key(kms, KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")
    tag = mac(kms, key, b"kept", "HMAC_SHA_384")
    kms.disable_key(KeyId=key["KeyId"])
    generate = {"KeyId": key["KeyId"], "Message": b"kept", "MacAlgorithm": "HMAC_SHA_384"}
    assert error_of(kms.generate_mac, **generate)["Code"] == "DisabledException"
    assert error_of(kms.verify_mac, Mac=tag, **generate)["Code"] == "DisabledException"
    assert error_of(kms.generate_mac, DryRun=True, **generate)["Code"] == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert mac(kms, key, b"kept", "HMAC_SHA_384") == tag  # the same key material


def test_dry_run_says_whether_generate_and_verify_mac_would_succeed(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key = keys("HMAC_224")
    tag = mac(kms, key, b"dry", "HMAC_SHA_224")
    args = {"KeyId": key["KeyId"], "Message": b"dry", "DryRun": True}
    error = error_of(kms.generate_mac, MacAlgorithm="HMAC_SHA_224", **args)
    assert error["Code"] == "DryRunOperationException"
    error = error_of(kms.verify_mac, Mac=tag, MacAlgorithm="HMAC_SHA_224", **args)
    assert error["Code"] == "DryRunOperationException"
    error = error_of(kms.generate_mac, MacAlgorithm="HMAC_SHA_512", **args)
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(kms.verify_mac, Mac=tag, MacAlgorithm="HMAC_SHA_256", **args)
    assert error["Code"] == "InvalidKeyUsageException"
