"""RSA ENCRYPT_DECRYPT keys: Encrypt, Decrypt and ReEncrypt with RSAES-OAEP, checked from outside.

Data encrypted anywhere with the public key from GetPublicKey (pyca/cryptography, the
`openssl` command line, KMS's own Encrypt) decrypts through Decrypt with the key id and
algorithm; AWS's plaintext limit for each key size and algorithm holds to the byte. One key
per spec per module (RSA 4096 key generation is slow); tests that disable a key make their own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tests.e2e import openssl_cli
from tests.e2e.kms_support import error_of, new_key

SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
ALGORITHMS = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
# AWS's documented limits: modulus bytes - 2 * hash bytes - 2
LIMITS = {
    ("RSA_2048", "RSAES_OAEP_SHA_1"): 214,
    ("RSA_2048", "RSAES_OAEP_SHA_256"): 190,
    ("RSA_3072", "RSAES_OAEP_SHA_1"): 342,
    ("RSA_3072", "RSAES_OAEP_SHA_256"): 318,
    ("RSA_4096", "RSAES_OAEP_SHA_1"): 470,
    ("RSA_4096", "RSAES_OAEP_SHA_256"): 446,
}
CASES = list(LIMITS)


def bits(spec: str) -> int:
    return int(spec.removeprefix("RSA_"))


def oaep(algorithm: str) -> padding.OAEP:
    """AWS's OAEP: the same hash for the label hash and MGF1, empty label."""
    chosen: hashes.HashAlgorithm = hashes.SHA1() if algorithm.endswith("SHA_1") else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(chosen), algorithm=chosen, label=None)


def openssl_digest(algorithm: str) -> str:
    return "sha1" if algorithm.endswith("SHA_1") else "sha256"


@pytest.fixture(scope="module")
def keys(kms: Any) -> Callable[[str], dict[str, Any]]:
    """One ENCRYPT_DECRYPT key per RSA spec for the whole module, made on first use; its
    KeyMetadata plus PublicKey (DER) from GetPublicKey."""
    made: dict[str, dict[str, Any]] = {}

    def key(spec: str) -> dict[str, Any]:
        if spec not in made:
            meta = new_key(kms, KeySpec=spec, KeyUsage="ENCRYPT_DECRYPT")
            public = kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"]
            made[spec] = {**meta, "PublicKey": public}
        return made[spec]

    return key


def decrypt(kms: Any, key: dict[str, Any], blob: bytes, algorithm: str) -> bytes:
    opened = kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm)
    assert opened["KeyId"] == key["Arn"]
    assert opened["EncryptionAlgorithm"] == algorithm
    return opened["Plaintext"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("spec", SPECS)
def test_describe_key_and_get_public_key(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str
) -> None:
    key = keys(spec)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyUsage"], meta["KeySpec"]) == ("ENCRYPT_DECRYPT", spec)
    assert sorted(meta["EncryptionAlgorithms"]) == sorted(ALGORITHMS)
    for absent in ("SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"):
        assert absent not in meta
    public = kms.get_public_key(KeyId=key["Arn"])
    assert (public["KeyId"], public["KeySpec"], public["KeyUsage"]) == (
        key["Arn"],
        spec,
        "ENCRYPT_DECRYPT",
    )
    assert sorted(public["EncryptionAlgorithms"]) == sorted(ALGORITHMS)
    assert "SigningAlgorithms" not in public
    loaded = serialization.load_der_public_key(public["PublicKey"])
    assert isinstance(loaded, rsa.RSAPublicKey)
    assert loaded.key_size == bits(spec)


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_encrypt_then_decrypt(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    plaintext = os.urandom(100)
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionAlgorithm=algorithm)
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == algorithm
    blob = encrypted["CiphertextBlob"]
    assert len(blob) == bits(spec) // 8  # a bare RSAES-OAEP ciphertext, as AWS returns
    again = kms.encrypt(KeyId=key["KeyId"], Plaintext=plaintext, EncryptionAlgorithm=algorithm)
    assert again["CiphertextBlob"] != blob  # OAEP is randomised
    assert decrypt(kms, key, blob, algorithm) == plaintext
    assert decrypt(kms, key, again["CiphertextBlob"], algorithm) == plaintext


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_data_encrypted_locally_decrypts_in_kms(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    public = serialization.load_der_public_key(key["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey)
    by_pyca = os.urandom(LIMITS[spec, algorithm])
    blob = public.encrypt(by_pyca, oaep(algorithm))
    assert decrypt(kms, key, blob, algorithm) == by_pyca
    by_openssl = os.urandom(64)
    blob = openssl_cli.encrypt_oaep(key["PublicKey"], by_openssl, openssl_digest(algorithm))
    assert decrypt(kms, key, blob, algorithm) == by_openssl


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_plaintext_limit_per_key_size_and_algorithm(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    limit = LIMITS[spec, algorithm]
    largest = os.urandom(limit)
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=largest, EncryptionAlgorithm=algorithm)[
        "CiphertextBlob"
    ]
    assert decrypt(kms, key, blob, algorithm) == largest
    error = error_of(
        kms.encrypt, KeyId=key["KeyId"], Plaintext=largest + b"x", EncryptionAlgorithm=algorithm
    )
    assert error["Code"] == "ValidationException"
    assert str(limit) in error["Message"]  # AWS names the limit


def test_decrypt_with_the_other_algorithm_is_invalid_ciphertext(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key = keys("RSA_2048")
    blob = kms.encrypt(
        KeyId=key["KeyId"], Plaintext=b"oaep-256", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )["CiphertextBlob"]
    error = error_of(
        kms.decrypt,
        CiphertextBlob=blob,
        KeyId=key["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert error["Code"] == "InvalidCiphertextException"
    tampered = bytes([blob[0] ^ 0x01]) + blob[1:]
    error = error_of(
        kms.decrypt,
        CiphertextBlob=tampered,
        KeyId=key["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert error["Code"] == "InvalidCiphertextException"
    other = keys("RSA_3072")
    error = error_of(
        kms.decrypt,
        CiphertextBlob=blob,
        KeyId=other["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert error["Code"] == "InvalidCiphertextException"
    assert decrypt(kms, key, blob, "RSAES_OAEP_SHA_256") == b"oaep-256"  # nothing changed


def test_encrypt_without_an_algorithm_is_invalid_key_usage(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    """The default, SYMMETRIC_DEFAULT, is not an RSA algorithm; nor are the other key's."""
    key = keys("RSA_2048")
    error = error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert error["Code"] == "InvalidKeyUsageException"
    assert "SYMMETRIC_DEFAULT" in error["Message"]
    error = error_of(
        kms.encrypt,
        KeyId=key["KeyId"],
        Plaintext=b"x",
        EncryptionAlgorithm="SYMMETRIC_DEFAULT",
    )
    assert error["Code"] == "InvalidKeyUsageException"
    symmetric = new_key(kms)["KeyId"]
    error = error_of(
        kms.encrypt, KeyId=symmetric, Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_256"
    )
    assert error["Code"] == "InvalidKeyUsageException"


def test_rsa_encryption_keys_do_not_sign_or_make_data_keys(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key_id = keys("RSA_2048")["KeyId"]
    error = error_of(kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")
    assert error["Code"] == "InvalidKeyUsageException"


def test_re_encrypt_from_symmetric_to_rsa_and_back(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    symmetric = new_key(kms)
    key = keys("RSA_3072")
    blob = kms.encrypt(KeyId=symmetric["KeyId"], Plaintext=b"travelling")["CiphertextBlob"]
    to_rsa = kms.re_encrypt(
        CiphertextBlob=blob,
        DestinationKeyId=key["KeyId"],
        DestinationEncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert to_rsa["SourceKeyId"] == symmetric["Arn"]
    assert to_rsa["KeyId"] == key["Arn"]
    assert to_rsa["SourceEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert to_rsa["DestinationEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    rsa_blob = to_rsa["CiphertextBlob"]
    assert len(rsa_blob) == 3072 // 8
    assert decrypt(kms, key, rsa_blob, "RSAES_OAEP_SHA_256") == b"travelling"
    back = kms.re_encrypt(
        CiphertextBlob=rsa_blob,
        SourceKeyId=key["KeyId"],
        SourceEncryptionAlgorithm="RSAES_OAEP_SHA_256",
        DestinationKeyId=symmetric["KeyId"],
    )
    assert back["SourceKeyId"] == key["Arn"]
    assert back["KeyId"] == symmetric["Arn"]
    assert back["SourceEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
    assert back["DestinationEncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    opened = kms.decrypt(CiphertextBlob=back["CiphertextBlob"])
    assert (opened["Plaintext"], opened["KeyId"]) == (b"travelling", symmetric["Arn"])


def test_disabled_rsa_key_refuses_and_recovers(kms: Any) -> None:
    key = new_key(kms, KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    blob = kms.encrypt(
        KeyId=key["KeyId"], Plaintext=b"kept", EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    error = error_of(
        kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionAlgorithm="RSAES_OAEP_SHA_1"
    )
    assert error["Code"] == "DisabledException"
    error = error_of(
        kms.decrypt,
        CiphertextBlob=blob,
        KeyId=key["KeyId"],
        EncryptionAlgorithm="RSAES_OAEP_SHA_1",
    )
    assert error["Code"] == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert decrypt(kms, key, blob, "RSAES_OAEP_SHA_1") == b"kept"
