"""KEY_AGREEMENT keys: DeriveSharedSecret (ECDH) agrees with the peer's side, as AWS documents.

KMS returns the raw ECDH shared secret (the x-coordinate, no KDF): the peer, holding its own
private key and KMS's public key from GetPublicKey, derives the same bytes with pyca/
cryptography and with `openssl pkeyutl -derive`, and two KMS keys agree with each other.
A peer key that is not on the key's curve, and every wrong key or key state, is refused.
One key per curve per module; tests that disable a key make their own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from tests.e2e import openssl_cli
from tests.e2e.kms_support import error_of, new_key

CURVES: dict[str, ec.EllipticCurve] = {
    "ECC_NIST_P256": ec.SECP256R1(),
    "ECC_NIST_P384": ec.SECP384R1(),
    "ECC_NIST_P521": ec.SECP521R1(),
}
SECRET_BYTES = {"ECC_NIST_P256": 32, "ECC_NIST_P384": 48, "ECC_NIST_P521": 66}
DER = serialization.Encoding.DER
SPKI = serialization.PublicFormat.SubjectPublicKeyInfo


def spki(private: Any) -> bytes:
    return private.public_key().public_bytes(DER, SPKI)  # type: ignore[no-any-return]


def pkcs8(private: ec.EllipticCurvePrivateKey) -> bytes:
    return private.private_bytes(
        DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def keys(kms: Any) -> Callable[[str], dict[str, Any]]:
    """One KEY_AGREEMENT key per curve for the whole module, made on first use; its
    KeyMetadata plus PublicKey (DER) from GetPublicKey."""
    made: dict[str, dict[str, Any]] = {}

    def key(spec: str) -> dict[str, Any]:
        if spec not in made:
            meta = new_key(kms, KeySpec=spec, KeyUsage="KEY_AGREEMENT")
            public = kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"]
            made[spec] = {**meta, "PublicKey": public}
        return made[spec]

    return key


def derive(kms: Any, key: dict[str, Any], peer_public: bytes) -> bytes:
    derived = kms.derive_shared_secret(
        KeyId=key["KeyId"], KeyAgreementAlgorithm="ECDH", PublicKey=peer_public
    )
    assert derived["KeyId"] == key["Arn"]
    assert derived["KeyAgreementAlgorithm"] == "ECDH"
    assert derived["KeyOrigin"] == "AWS_KMS"
    return derived["SharedSecret"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("spec", CURVES)
def test_describe_key_and_get_public_key(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str
) -> None:
    key = keys(spec)
    meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (meta["KeyUsage"], meta["KeySpec"]) == ("KEY_AGREEMENT", spec)
    assert meta["KeyAgreementAlgorithms"] == ["ECDH"]
    for absent in ("EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms"):
        assert absent not in meta
    public = kms.get_public_key(KeyId=key["Arn"])
    assert (public["KeyId"], public["KeySpec"], public["KeyUsage"]) == (
        key["Arn"],
        spec,
        "KEY_AGREEMENT",
    )
    assert public["KeyAgreementAlgorithms"] == ["ECDH"]
    assert "SigningAlgorithms" not in public and "EncryptionAlgorithms" not in public
    loaded = serialization.load_der_public_key(public["PublicKey"])
    assert isinstance(loaded, ec.EllipticCurvePublicKey)
    assert loaded.curve.name == CURVES[spec].name


@pytest.mark.parametrize("spec", CURVES)
def test_the_peer_derives_the_same_secret(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str
) -> None:
    key = keys(spec)
    peer = ec.generate_private_key(CURVES[spec])
    peer_public = spki(peer)
    secret = derive(kms, key, peer_public)
    assert len(secret) == SECRET_BYTES[spec]
    kms_public = serialization.load_der_public_key(key["PublicKey"])
    assert isinstance(kms_public, ec.EllipticCurvePublicKey)
    assert secret == peer.exchange(ec.ECDH(), kms_public)
    assert secret == openssl_cli.derive(pkcs8(peer), key["PublicKey"])
    assert derive(kms, key, peer_public) == secret  # the same pair, the same secret
    stranger = ec.generate_private_key(CURVES[spec])
    assert derive(kms, key, spki(stranger)) != secret


def test_two_kms_keys_agree(kms: Any, keys: Callable[[str], dict[str, Any]]) -> None:
    alice = keys("ECC_NIST_P384")
    bob_meta = new_key(kms, KeySpec="ECC_NIST_P384", KeyUsage="KEY_AGREEMENT")
    bob = {**bob_meta, "PublicKey": kms.get_public_key(KeyId=bob_meta["KeyId"])["PublicKey"]}
    assert derive(kms, alice, bob["PublicKey"]) == derive(kms, bob, alice["PublicKey"])


@pytest.mark.parametrize(
    ("spec", "peer"),
    [
        ("ECC_NIST_P256", ec.SECP384R1()),
        ("ECC_NIST_P384", ec.SECP521R1()),
        ("ECC_NIST_P521", ec.SECP256R1()),
        ("ECC_NIST_P256", ec.SECP256K1()),
    ],
    ids=["p256-p384", "p384-p521", "p521-p256", "p256-k1"],
)
def test_a_peer_key_on_another_curve_is_refused(
    kms: Any, keys: Callable[[str], dict[str, Any]], spec: str, peer: ec.EllipticCurve
) -> None:
    key = keys(spec)
    error = error_of(
        kms.derive_shared_secret,
        KeyId=key["KeyId"],
        KeyAgreementAlgorithm="ECDH",
        PublicKey=spki(ec.generate_private_key(peer)),
    )
    assert error["Code"] == "ValidationException"


def test_a_peer_key_that_is_not_an_ec_public_key_is_refused(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    key = keys("ECC_NIST_P256")
    for public in (
        spki(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
        spki(ed25519.Ed25519PrivateKey.generate()),
        b"not a public key",
        spki(ec.generate_private_key(ec.SECP256R1()))[:-1],
    ):
        error = error_of(
            kms.derive_shared_secret,
            KeyId=key["KeyId"],
            KeyAgreementAlgorithm="ECDH",
            PublicKey=public,
        )
        assert error["Code"] == "ValidationException"


def test_only_key_agreement_keys_derive(kms: Any, keys: Callable[[str], dict[str, Any]]) -> None:
    peer = spki(ec.generate_private_key(ec.SECP256R1()))
    for other in (
        new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY"),
        new_key(kms),
    ):
        error = error_of(
            kms.derive_shared_secret,
            KeyId=other["KeyId"],
            KeyAgreementAlgorithm="ECDH",
            PublicKey=peer,
        )
        assert error["Code"] == "InvalidKeyUsageException"
    key_id = keys("ECC_NIST_P256")["KeyId"]
    error = error_of(kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert error["Code"] == "InvalidKeyUsageException"
    assert error_of(kms.encrypt, KeyId=key_id, Plaintext=b"x")["Code"] == (
        "InvalidKeyUsageException"
    )


def test_disabled_key_refuses_and_recovers(kms: Any) -> None:
    meta = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="KEY_AGREEMENT")
    key = {**meta, "PublicKey": kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"]}
    peer = ec.generate_private_key(ec.SECP256R1())
    before = derive(kms, key, spki(peer))
    args = {"KeyId": key["KeyId"], "KeyAgreementAlgorithm": "ECDH", "PublicKey": spki(peer)}
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(kms.derive_shared_secret, **args)["Code"] == "DisabledException"
    error = error_of(kms.derive_shared_secret, DryRun=True, **args)
    assert error["Code"] == "DisabledException"
    kms.enable_key(KeyId=key["KeyId"])
    assert derive(kms, key, spki(peer)) == before


def test_dry_run_says_whether_derive_would_succeed(
    kms: Any, keys: Callable[[str], dict[str, Any]]
) -> None:
    peer = spki(ec.generate_private_key(ec.SECP521R1()))
    error = error_of(
        kms.derive_shared_secret,
        KeyId=keys("ECC_NIST_P521")["KeyId"],
        KeyAgreementAlgorithm="ECDH",
        PublicKey=peer,
        DryRun=True,
    )
    assert error["Code"] == "DryRunOperationException"
    error = error_of(
        kms.derive_shared_secret,
        KeyId=new_key(kms, KeySpec="ECC_NIST_P521", KeyUsage="SIGN_VERIFY")["KeyId"],
        KeyAgreementAlgorithm="ECDH",
        PublicKey=peer,
        DryRun=True,
    )
    assert error["Code"] == "InvalidKeyUsageException"
