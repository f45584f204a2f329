"""Keyrings in isolation: KMS (against a small in-memory KMS), multi, raw RSA and AES."""

from __future__ import annotations

import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom_envelope import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    KeyringError,
    KmsDiscoveryKeyring,
    KmsKeyring,
    MultiKeyring,
    NoDecryptableKeyError,
    RawAesKeyring,
    RawRsaKeyring,
    decrypt,
    encrypt,
)
from strongroom_envelope.keyrings.kms_arn import parse_key_arn

ACCOUNT = "111122223333"
ARN_A = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/aaaaaaaa-0000-0000-0000-000000000001"
ARN_B = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/bbbbbbbb-0000-0000-0000-000000000002"
ARN_OTHER_ACCOUNT = "arn:aws:kms:us-east-1:999999999999:key/cccccccc-0000-0000-0000-000000000003"
UNSIGNED = AES_256_GCM_HKDF_SHA512_COMMIT_KEY


class KmsError(Exception):
    """Shaped like botocore's ClientError."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.response = {"Error": {"Code": code, "Message": f"{code} from fake KMS"}}


class FakeKms:
    """Just enough KMS: ciphertexts remember their key, plaintext and context."""

    def __init__(self) -> None:
        self.arns = {ARN_A: ARN_A, ARN_B: ARN_B, ARN_OTHER_ACCOUNT: ARN_OTHER_ACCOUNT}
        self.arns["alias/a"] = ARN_A
        self.arns[ARN_A.split("/")[-1]] = ARN_A
        self.blobs: dict[bytes, tuple[str, bytes, dict[str, str]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.tamper: dict[str, Any] = {}

    def _resolve(self, key_id: str) -> str:
        if key_id not in self.arns:
            raise KmsError("NotFoundException")
        return self.arns[key_id]

    def _store(self, arn: str, plaintext: bytes, context: dict[str, str]) -> bytes:
        blob = os.urandom(24)
        self.blobs[blob] = (arn, plaintext, dict(context))
        return blob

    def generate_data_key(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("GenerateDataKey", kw["KeyId"]))
        arn = self._resolve(kw["KeyId"])
        plaintext = os.urandom(kw["NumberOfBytes"])
        blob = self._store(arn, plaintext, kw["EncryptionContext"])
        return {"KeyId": arn, "Plaintext": plaintext, "CiphertextBlob": blob, **self.tamper}

    def encrypt(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("Encrypt", kw["KeyId"]))
        arn = self._resolve(kw["KeyId"])
        return {
            "KeyId": arn,
            "CiphertextBlob": self._store(arn, kw["Plaintext"], kw["EncryptionContext"]),
        }

    def decrypt(self, **kw: Any) -> dict[str, Any]:
        self.calls.append(("Decrypt", kw["KeyId"]))
        entry = self.blobs.get(kw["CiphertextBlob"])
        if entry is None or entry[2] != kw["EncryptionContext"]:
            raise KmsError("InvalidCiphertextException")
        if self._resolve(kw["KeyId"]) != entry[0]:
            raise KmsError("IncorrectKeyException")
        return {"KeyId": entry[0], "Plaintext": entry[1], **self.tamper}


@pytest.fixture
def kms() -> FakeKms:
    return FakeKms()


def test_generator_and_additional_keys_each_wrap_the_data_key(kms: FakeKms) -> None:
    keyring = KmsKeyring(kms, "alias/a", additional_key_ids=[ARN_B, ARN_OTHER_ACCOUNT])
    message = encrypt(b"payload", keyring, encryption_context={"app": "x"})
    assert [c[0] for c in kms.calls] == ["GenerateDataKey", "Encrypt", "Encrypt"]
    for arn in (ARN_A, ARN_B, ARN_OTHER_ACCOUNT):
        assert arn.encode() in message
        assert decrypt(message, KmsKeyring(kms, arn)).plaintext == b"payload"


def test_decrypt_only_asks_kms_about_configured_keys(kms: FakeKms) -> None:
    message = encrypt(b"payload", KmsKeyring(kms, ARN_A), suite=UNSIGNED)
    kms.calls.clear()
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, KmsKeyring(kms, ARN_B))
    assert kms.calls == []
    assert decrypt(message, KmsKeyring(kms, "alias/a")).plaintext == b"payload"
    assert decrypt(message, KmsKeyring(kms, ARN_A.split("/")[-1])).plaintext == b"payload"


def test_kms_errors_are_reported_with_their_code(kms: FakeKms) -> None:
    message = encrypt(b"payload", KmsKeyring(kms, ARN_A), encryption_context={"a": "b"})
    del kms.blobs[next(iter(kms.blobs))]
    with pytest.raises(NoDecryptableKeyError, match="InvalidCiphertextException"):
        decrypt(message, KmsKeyring(kms, ARN_A))
    with pytest.raises(KeyringError, match="NotFoundException"):
        encrypt(b"x", KmsKeyring(kms, "alias/missing"))


@pytest.mark.parametrize(
    "tamper", [{"KeyId": "alias/a"}, {"KeyId": ARN_B}, {"Plaintext": b"short"}], ids=str
)
def test_kms_answers_are_checked(kms: FakeKms, tamper: dict[str, Any]) -> None:
    message = encrypt(b"payload", KmsKeyring(kms, ARN_A))
    kms.tamper = tamper
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, KmsKeyring(kms, ARN_A))
    if "Plaintext" in tamper or tamper["KeyId"] == "alias/a":
        with pytest.raises(KeyringError):
            encrypt(b"x", KmsKeyring(kms, ARN_A))


def test_discovery_keyring_filters_by_arn_and_account(kms: FakeKms) -> None:
    message = encrypt(b"payload", KmsKeyring(kms, ARN_OTHER_ACCOUNT, additional_key_ids=[ARN_B]))
    assert decrypt(message, KmsDiscoveryKeyring(kms)).plaintext == b"payload"
    kms.calls.clear()
    allowed = KmsDiscoveryKeyring(kms, allowed_key_arns=[ARN_B])
    assert decrypt(message, allowed).plaintext == b"payload"
    assert kms.calls == [("Decrypt", ARN_B)]
    with pytest.raises(NoDecryptableKeyError, match="not allowed"):
        decrypt(message, KmsDiscoveryKeyring(kms, allowed_key_arns=[ARN_A]))
    kms.calls.clear()
    assert decrypt(message, KmsDiscoveryKeyring(kms, accounts=[ACCOUNT])).plaintext == b"payload"
    assert kms.calls == [("Decrypt", ARN_B)]
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, KmsDiscoveryKeyring(kms, accounts=[ACCOUNT], partition="aws-cn"))
    with pytest.raises(KeyringError):
        encrypt(b"x", KmsDiscoveryKeyring(kms))
    with pytest.raises(ValueError):
        KmsDiscoveryKeyring(kms, allowed_key_arns=["alias/a"])


def test_key_arns_are_parsed_strictly() -> None:
    assert parse_key_arn(ARN_A) is not None
    assert str(parse_key_arn(ARN_A)) == ARN_A
    for bad in ("alias/a", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/a", "arn:aws:s3:::b/key", "x"):
        assert parse_key_arn(bad) is None


def test_multi_keyring_wraps_with_all_and_decrypts_with_any(
    kms: FakeKms, aes_keyring: RawAesKeyring, rsa_keyrings: tuple[RawRsaKeyring, RawRsaKeyring]
) -> None:
    public, private = rsa_keyrings
    keyring = MultiKeyring(generator=KmsKeyring(kms, ARN_A), children=[aes_keyring, public])
    message = encrypt(b"payload", keyring)
    for one in (KmsKeyring(kms, ARN_A), aes_keyring, private):
        assert decrypt(message, one).plaintext == b"payload"
    wrong = RawAesKeyring("test-namespace", "aes-key", os.urandom(32))
    either = MultiKeyring(children=[wrong, KmsKeyring(kms, ARN_B), private])
    assert decrypt(message, either).plaintext == b"payload"
    with pytest.raises(NoDecryptableKeyError, match="raw AES key"):
        decrypt(message, MultiKeyring(children=[wrong, KmsKeyring(kms, ARN_B)]))


def test_multi_keyring_needs_a_generator_to_encrypt(aes_keyring: RawAesKeyring) -> None:
    with pytest.raises(KeyringError):
        encrypt(b"x", MultiKeyring(children=[aes_keyring]))
    with pytest.raises(ValueError):
        MultiKeyring()


def test_rsa_keyring_halves(rsa_private_key: rsa.RSAPrivateKey) -> None:
    public_pem = rsa_private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    private_pem = rsa_private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    encrypting = RawRsaKeyring.from_pem("ns", "rsa", public_pem)
    decrypting = RawRsaKeyring.from_pem("ns", "rsa", private_pem)
    message = encrypt(b"payload", encrypting)
    assert decrypt(message, decrypting).plaintext == b"payload"
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, encrypting)
    with pytest.raises(KeyringError):
        encrypt(b"x", decrypting)
    with pytest.raises(NoDecryptableKeyError):
        decrypt(message, RawRsaKeyring.from_pem("ns", "other-name", private_pem))


def test_raw_aes_keys_of_every_size_round_trip() -> None:
    for size in (16, 24, 32):
        keyring = RawAesKeyring("ns", "k", os.urandom(size))
        assert decrypt(encrypt(b"payload", keyring), keyring).plaintext == b"payload"
