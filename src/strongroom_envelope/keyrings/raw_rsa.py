"""Raw RSA keyring: wrap data keys with an RSA key pair the application holds.

Interoperates with the AWS Encryption SDK's raw RSA keyring / RawMasterKey: provider id =
key namespace, provider info = key name, ciphertext = RSA encryption of the data key under
the configured padding (OAEP with SHA-1/256/384/512 and MGF1 of the same hash, or PKCS#1
v1.5 for old messages). Encrypt needs the public key, decrypt the private key; the keyring
never derives one from the other.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from strongroom_envelope import randomness
from strongroom_envelope.errors import KeyringError, NoDecryptableKeyError
from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

__all__ = ["RawRsaKeyring", "RsaPadding"]


class RsaPadding(enum.Enum):
    """The padding schemes the spec defines for raw RSA keyrings."""

    PKCS1 = "pkcs1"
    OAEP_SHA1_MGF1 = "oaep-sha1"
    OAEP_SHA256_MGF1 = "oaep-sha256"
    OAEP_SHA384_MGF1 = "oaep-sha384"
    OAEP_SHA512_MGF1 = "oaep-sha512"

    def scheme(self) -> padding.AsymmetricPadding:
        """The cryptography padding object for this scheme."""
        if self is RsaPadding.PKCS1:
            return padding.PKCS1v15()
        algorithm: hashes.HashAlgorithm = {
            RsaPadding.OAEP_SHA1_MGF1: hashes.SHA1(),
            RsaPadding.OAEP_SHA256_MGF1: hashes.SHA256(),
            RsaPadding.OAEP_SHA384_MGF1: hashes.SHA384(),
            RsaPadding.OAEP_SHA512_MGF1: hashes.SHA512(),
        }[self]
        return padding.OAEP(mgf=padding.MGF1(algorithm), algorithm=algorithm, label=None)


class RawRsaKeyring:
    """Wraps data keys with one RSA public key; unwraps with its private key."""

    def __init__(
        self,
        key_namespace: str,
        key_name: str,
        *,
        public_key: rsa.RSAPublicKey | None = None,
        private_key: rsa.RSAPrivateKey | None = None,
        padding_scheme: RsaPadding = RsaPadding.OAEP_SHA256_MGF1,
    ) -> None:
        if public_key is None and private_key is None:
            raise ValueError("give an RSA public key, a private key, or both")
        if key_namespace == "aws-kms":
            raise ValueError('the key namespace "aws-kms" is reserved for KMS keyrings')
        self.key_namespace = key_namespace
        self.key_name = key_name
        self.padding_scheme = padding_scheme
        self._public = public_key
        self._private = private_key

    @classmethod
    def from_pem(
        cls,
        key_namespace: str,
        key_name: str,
        pem: bytes,
        *,
        password: bytes | None = None,
        padding_scheme: RsaPadding = RsaPadding.OAEP_SHA256_MGF1,
    ) -> RawRsaKeyring:
        """A keyring from a PEM public key (encrypt only) or private key (decrypt only)."""
        if b"PRIVATE KEY" in pem:
            private = serialization.load_pem_private_key(pem, password)
            if not isinstance(private, rsa.RSAPrivateKey):
                raise ValueError("the PEM private key is not an RSA key")
            return cls(key_namespace, key_name, private_key=private, padding_scheme=padding_scheme)
        public = serialization.load_pem_public_key(pem)
        if not isinstance(public, rsa.RSAPublicKey):
            raise ValueError("the PEM public key is not an RSA key")
        return cls(key_namespace, key_name, public_key=public, padding_scheme=padding_scheme)

    def __repr__(self) -> str:
        return f"RawRsaKeyring({self.key_namespace!r}, {self.key_name!r}, {self.padding_scheme})"

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Generate the data key if needed and wrap it with the public key."""
        if self._public is None:
            raise KeyringError(
                f"RSA key {self.key_namespace}/{self.key_name} has no public key to encrypt with"
            )
        if materials.data_key is None:
            materials = materials.with_data_key(randomness.random_bytes(materials.suite.key_length))
        assert materials.data_key is not None
        wrapped = self._public.encrypt(materials.data_key, self.padding_scheme.scheme())
        edk = EncryptedDataKey(self.key_namespace, self.key_name.encode(), wrapped)
        return materials.with_encrypted_data_key(edk)

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Unwrap the first encrypted data key that names this key pair."""
        if materials.data_key is not None:
            raise ValueError("the materials already hold a data key")
        if self._private is None:
            raise NoDecryptableKeyError(
                f"RSA key {self.key_namespace}/{self.key_name} has no private key to decrypt with"
            )
        name = self.key_name.encode()
        for edk in encrypted_data_keys:
            if edk.provider_id != self.key_namespace or edk.provider_info != name:
                continue
            try:
                data_key = self._private.decrypt(edk.ciphertext, self.padding_scheme.scheme())
            except ValueError:
                continue
            if len(data_key) == materials.suite.key_length:
                return materials.with_data_key(data_key)
        raise NoDecryptableKeyError(
            f"raw RSA key {self.key_namespace}/{self.key_name} unwrapped no data key"
        )
