"""Raw AES keyring: wrap data keys with an AES-GCM key the application holds.

Interoperates with the AWS Encryption SDK's raw AES keyring / RawMasterKey: provider id =
key namespace; provider info = key name || tag length in bits (uint32, 128) || IV length
(uint32, 12) || IV; ciphertext = wrapped key || tag. The AAD is the serialized encryption
context, so a wrapped key only unwraps under the context it was wrapped with.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom_envelope import encryption_context as ec_format
from strongroom_envelope import randomness
from strongroom_envelope.errors import NoDecryptableKeyError
from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

__all__ = ["RawAesKeyring"]

_IV_LENGTH = 12
_TAG_BITS = 128
_TAG_LENGTH = _TAG_BITS // 8


class RawAesKeyring:
    """Wraps data keys with one AES-128/192/256-GCM wrapping key."""

    def __init__(self, key_namespace: str, key_name: str, wrapping_key: bytes) -> None:
        if len(wrapping_key) not in (16, 24, 32):
            raise ValueError("an AES wrapping key is 16, 24 or 32 bytes")
        if key_namespace == "aws-kms":
            raise ValueError('the key namespace "aws-kms" is reserved for KMS keyrings')
        self.key_namespace = key_namespace
        self.key_name = key_name
        self._name = key_name.encode()
        self._aead = AESGCM(wrapping_key)

    def __repr__(self) -> str:
        return f"RawAesKeyring({self.key_namespace!r}, {self.key_name!r})"

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Generate the data key if needed and wrap it."""
        if materials.data_key is None:
            materials = materials.with_data_key(randomness.random_bytes(materials.suite.key_length))
        assert materials.data_key is not None
        iv = randomness.random_bytes(_IV_LENGTH)
        aad = ec_format.serialize(materials.encryption_context)
        wrapped = self._aead.encrypt(iv, materials.data_key, aad)
        info = self._name + struct.pack(">II", _TAG_BITS, _IV_LENGTH) + iv
        return materials.with_encrypted_data_key(
            EncryptedDataKey(self.key_namespace, info, wrapped)
        )

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Unwrap the first encrypted data key that names this wrapping key."""
        if materials.data_key is not None:
            raise ValueError("the materials already hold a data key")
        aad = ec_format.serialize(materials.encryption_context)
        header = self._name + struct.pack(">II", _TAG_BITS, _IV_LENGTH)
        for edk in encrypted_data_keys:
            info = edk.provider_info
            if (
                edk.provider_id != self.key_namespace
                or len(info) != len(header) + _IV_LENGTH
                or not info.startswith(header)
                or len(edk.ciphertext) != materials.suite.key_length + _TAG_LENGTH
            ):
                continue
            try:
                data_key = self._aead.decrypt(info[len(header) :], edk.ciphertext, aad)
            except InvalidTag:
                continue
            return materials.with_data_key(data_key)
        raise NoDecryptableKeyError(
            f"raw AES key {self.key_namespace}/{self.key_name} unwrapped no data key"
        )
