"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext for every KeyPairSpec but SM2.

The public key is a DER SubjectPublicKeyInfo of the asked type and size; the private key is
a DER PKCS #8 PrivateKeyInfo of the same pair (as pyca/cryptography and openssl both read
it); PrivateKeyCiphertextBlob is that same PKCS #8 under the symmetric wrapping key, opened
by a plain Decrypt with the encryption context. Only symmetric encryption keys wrap.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.e2e import openssl_cli
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key

SPECS = {
    "RSA_2048": 2048,
    "RSA_3072": 3072,
    "RSA_4096": 4096,
    "ECC_NIST_P256": "secp256r1",
    "ECC_NIST_P384": "secp384r1",
    "ECC_NIST_P521": "secp521r1",
    "ECC_SECG_P256K1": "secp256k1",
    "ECC_NIST_EDWARDS25519": "ed25519",
}
CONTEXT = {"purpose": "device-identity", "fleet": "north"}
DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


@pytest.fixture(scope="module")
def wrapping_key(kms: Any) -> dict[str, Any]:
    """The symmetric encryption key that wraps every private key in this module."""
    return new_key(kms)


def _element(der: bytes, at: int) -> tuple[int, int, int]:
    """One DER element at `at`: (tag, start of its content, end of its content)."""
    tag, length, at = der[at], der[at + 1], at + 2
    if length & 0x80:
        count = length & 0x7F
        length, at = int.from_bytes(der[at : at + count], "big"), at + count
    return tag, at, at + length


def is_pkcs8(der: bytes) -> bool:
    """PrivateKeyInfo (RFC 5958): SEQUENCE { INTEGER 0|1, AlgorithmIdentifier, OCTET STRING,
    ... }, not a bare PKCS #1 RSAPrivateKey or SEC 1 ECPrivateKey."""
    tag, start, end = _element(der, 0)
    if tag != 0x30 or end != len(der):
        return False
    tag, version_start, version_end = _element(der, start)
    if tag != 0x02 or der[version_start:version_end] not in (b"\x00", b"\x01"):
        return False
    tag, algorithm_start, algorithm_end = _element(der, version_end)
    if tag != 0x30 or der[algorithm_start] != 0x06:  # an OID opens the AlgorithmIdentifier
        return False
    return _element(der, algorithm_end)[0] == 0x04


def check_public_key(spec: str, public_der: bytes) -> None:
    """The public key is a DER SPKI of the spec's type and size."""
    public = serialization.load_der_public_key(public_der)
    expected = SPECS[spec]
    if isinstance(expected, int):
        assert isinstance(public, rsa.RSAPublicKey)
        assert public.key_size == expected
    elif expected == "ed25519":
        assert isinstance(public, ed25519.Ed25519PublicKey)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        assert public.curve.name == expected
    assert public.public_bytes(DER, SPKI) == public_der  # canonical SPKI, nothing trailing


def check_private_key(private_der: bytes, public_der: bytes) -> None:
    """The private key is PKCS #8 DER of the same pair, for pyca and for openssl."""
    assert is_pkcs8(private_der)
    private = serialization.load_der_private_key(private_der, password=None)
    assert private.public_key().public_bytes(DER, SPKI) == public_der
    assert openssl_cli.public_key_of(private_der) == public_der


@pytest.mark.parametrize("spec", SPECS)
def test_generate_data_key_pair(kms: Any, wrapping_key: dict[str, Any], spec: str) -> None:
    pair = kms.generate_data_key_pair(
        KeyId=wrapping_key["KeyId"], KeyPairSpec=spec, EncryptionContext=CONTEXT
    )
    assert pair["KeyId"] == wrapping_key["Arn"]
    assert pair["KeyPairSpec"] == spec
    check_public_key(spec, pair["PublicKey"])
    check_private_key(pair["PrivateKeyPlaintext"], pair["PublicKey"])
    blob = pair["PrivateKeyCiphertextBlob"]
    assert pair["PrivateKeyPlaintext"] not in blob
    opened = kms.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    assert opened["Plaintext"] == pair["PrivateKeyPlaintext"]
    assert opened["KeyId"] == wrapping_key["Arn"]
    assert error_of(kms.decrypt, CiphertextBlob=blob)["Code"] == "InvalidCiphertextException"


@pytest.mark.parametrize("spec", SPECS)
def test_generate_data_key_pair_without_plaintext(
    kms: Any, wrapping_key: dict[str, Any], spec: str
) -> None:
    pair = kms.generate_data_key_pair_without_plaintext(KeyId=wrapping_key["Arn"], KeyPairSpec=spec)
    assert "PrivateKeyPlaintext" not in pair
    assert (pair["KeyId"], pair["KeyPairSpec"]) == (wrapping_key["Arn"], spec)
    check_public_key(spec, pair["PublicKey"])
    private = kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
    check_private_key(private, pair["PublicKey"])


def test_every_call_makes_a_new_pair(kms: Any, wrapping_key: dict[str, Any]) -> None:
    publics = {
        kms.generate_data_key_pair(KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P256")[
            "PublicKey"
        ]
        for _ in range(3)
    }
    publics.add(
        kms.generate_data_key_pair_without_plaintext(
            KeyId=wrapping_key["KeyId"], KeyPairSpec="ECC_NIST_P256"
        )["PublicKey"]
    )
    assert len(publics) == 4


def test_only_a_symmetric_encryption_key_wraps(kms: Any) -> None:
    """AWS: "You cannot use an asymmetric KMS key" (nor an HMAC key) to wrap a data key pair."""
    for kwargs in (
        {"KeySpec": "RSA_2048", "KeyUsage": "ENCRYPT_DECRYPT"},
        {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"},
        {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
    ):
        key_id = new_key(kms, **kwargs)["KeyId"]
        for call in (
            kms.generate_data_key_pair,
            kms.generate_data_key_pair_without_plaintext,
        ):
            error = error_of(call, KeyId=key_id, KeyPairSpec="ECC_NIST_P256")
            assert error["Code"] == "InvalidKeyUsageException", kwargs


def test_an_unknown_key_pair_spec_is_refused(
    strongroom_server: ServerProcess, wrapping_key: dict[str, Any]
) -> None:
    raw_kms = strongroom_server.client("kms", validate=False)
    for spec in ("RSA_1024", "ML_DSA_44", "HMAC_256"):
        error = error_of(
            raw_kms.generate_data_key_pair, KeyId=wrapping_key["KeyId"], KeyPairSpec=spec
        )
        assert error["Code"] == "ValidationException", spec


def test_disabled_wrapping_key_refuses_and_recovers(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.disable_key(KeyId=key_id)
    for call in (kms.generate_data_key_pair, kms.generate_data_key_pair_without_plaintext):
        assert error_of(call, KeyId=key_id, KeyPairSpec="ECC_NIST_P384")["Code"] == (
            "DisabledException"
        )
        error = error_of(call, KeyId=key_id, KeyPairSpec="ECC_NIST_P384", DryRun=True)
        assert error["Code"] == "DisabledException"
    kms.enable_key(KeyId=key_id)
    pair = kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P384")
    check_private_key(pair["PrivateKeyPlaintext"], pair["PublicKey"])


def test_dry_run_says_whether_a_pair_would_be_made(kms: Any, wrapping_key: dict[str, Any]) -> None:
    asymmetric = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyId"]
    for call in (kms.generate_data_key_pair, kms.generate_data_key_pair_without_plaintext):
        error = error_of(call, KeyId=wrapping_key["KeyId"], KeyPairSpec="RSA_2048", DryRun=True)
        assert error["Code"] == "DryRunOperationException"
        error = error_of(call, KeyId=asymmetric, KeyPairSpec="RSA_2048", DryRun=True)
        assert error["Code"] == "InvalidKeyUsageException"
