"""Shared keys and keyrings for the envelope SDK's unit tests, ours and the ESDK's."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom_envelope import RawAesKeyring, RawRsaKeyring, RsaPadding

AES_KEY = bytes(range(32))
NAMESPACE = "test-namespace"
AES_NAME = "aes-key"
RSA_NAME = "rsa-key"
ESDK_RSA_ALGORITHMS = {
    RsaPadding.PKCS1: "RSA_PKCS1",
    RsaPadding.OAEP_SHA1_MGF1: "RSA_OAEP_SHA1_MGF1",
    RsaPadding.OAEP_SHA256_MGF1: "RSA_OAEP_SHA256_MGF1",
    RsaPadding.OAEP_SHA384_MGF1: "RSA_OAEP_SHA384_MGF1",
    RsaPadding.OAEP_SHA512_MGF1: "RSA_OAEP_SHA512_MGF1",
}


@pytest.fixture(scope="session")
def rsa_private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def aes_keyring() -> RawAesKeyring:
    return RawAesKeyring(NAMESPACE, AES_NAME, AES_KEY)


@pytest.fixture
def rsa_keyrings(rsa_private_key: rsa.RSAPrivateKey) -> tuple[RawRsaKeyring, RawRsaKeyring]:
    """(encrypting keyring with the public key, decrypting keyring with the private key)."""
    public = RawRsaKeyring(NAMESPACE, RSA_NAME, public_key=rsa_private_key.public_key())
    private = RawRsaKeyring(NAMESPACE, RSA_NAME, private_key=rsa_private_key)
    return public, private


class Esdk:
    """Builds the aws-encryption-sdk's objects for the same keys as our keyrings."""

    def aes_master_key(self, key: bytes = AES_KEY, name: str = AES_NAME) -> Any:
        """The aws-encryption-sdk's raw AES master key for the same wrapping key."""
        from aws_encryption_sdk.identifiers import EncryptionKeyType, WrappingAlgorithm
        from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
        from aws_encryption_sdk.key_providers.raw import RawMasterKey

        algorithm = {
            16: WrappingAlgorithm.AES_128_GCM_IV12_TAG16_NO_PADDING,
            24: WrappingAlgorithm.AES_192_GCM_IV12_TAG16_NO_PADDING,
            32: WrappingAlgorithm.AES_256_GCM_IV12_TAG16_NO_PADDING,
        }[len(key)]
        wrapping = WrappingKey(
            wrapping_algorithm=algorithm,
            wrapping_key=key,
            wrapping_key_type=EncryptionKeyType.SYMMETRIC,
        )
        return RawMasterKey(provider_id=NAMESPACE, key_id=name.encode(), wrapping_key=wrapping)

    def rsa_master_key(self, private_key: rsa.RSAPrivateKey, padding: RsaPadding) -> Any:
        """The aws-encryption-sdk's raw RSA master key (private key: it encrypts and decrypts)."""
        from aws_encryption_sdk.identifiers import EncryptionKeyType, WrappingAlgorithm
        from aws_encryption_sdk.internal.crypto.wrapping_keys import WrappingKey
        from aws_encryption_sdk.key_providers.raw import RawMasterKey
        from cryptography.hazmat.primitives import serialization

        pem = private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        wrapping = WrappingKey(
            wrapping_algorithm=WrappingAlgorithm[ESDK_RSA_ALGORITHMS[padding]],
            wrapping_key=pem,
            wrapping_key_type=EncryptionKeyType.PRIVATE,
        )
        return RawMasterKey(provider_id=NAMESPACE, key_id=RSA_NAME.encode(), wrapping_key=wrapping)

    def client(self, policy: str = "REQUIRE_ENCRYPT_REQUIRE_DECRYPT", **kwargs: Any) -> Any:
        """An aws-encryption-sdk client with the named commitment policy."""
        import aws_encryption_sdk
        from aws_encryption_sdk.identifiers import CommitmentPolicy

        return aws_encryption_sdk.EncryptionSDKClient(
            commitment_policy=CommitmentPolicy[policy], **kwargs
        )

    def suite(self, suite_id: int) -> Any:
        """The aws-encryption-sdk's algorithm suite object for `suite_id`."""
        from aws_encryption_sdk.identifiers import AlgorithmSuite

        return AlgorithmSuite.get_by_id(suite_id)


@pytest.fixture
def esdk() -> Esdk:
    """The aws-encryption-sdk, for interoperability tests."""
    return Esdk()
