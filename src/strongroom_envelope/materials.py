"""The values keyrings and materials managers pass around.

`EncryptedDataKey` is one wrapped copy of the data key as the header stores it.
`EncryptionMaterials` and `DecryptionMaterials` are immutable: a keyring returns a new value
with the data key or an encrypted data key added, so cached materials can be shared safely.
The data key's length always matches the suite's key length.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from cryptography.hazmat.primitives.asymmetric import ec

from strongroom_envelope.suites import AlgorithmSuite

__all__ = ["DecryptionMaterials", "EncryptedDataKey", "EncryptionMaterials", "frozen_context"]


def frozen_context(context: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of `context`."""
    return MappingProxyType(dict(context or {}))


@dataclass(frozen=True, slots=True)
class EncryptedDataKey:
    """One wrapped copy of the data key: who wrapped it, how to find the key, the ciphertext."""

    provider_id: str
    provider_info: bytes
    ciphertext: bytes


def _check_data_key(suite: AlgorithmSuite, current: bytes | None, data_key: bytes) -> None:
    if current is not None:
        raise ValueError("the materials already hold a data key")
    if len(data_key) != suite.key_length:
        raise ValueError(f"{suite.name} needs a {suite.key_length}-byte data key")


@dataclass(frozen=True, slots=True)
class EncryptionMaterials:
    """What encrypting one message needs: suite, context, data key and its wrapped copies."""

    suite: AlgorithmSuite
    encryption_context: Mapping[str, str]
    encrypted_data_keys: tuple[EncryptedDataKey, ...] = ()
    data_key: bytes | None = field(default=None, repr=False)
    signing_key: ec.EllipticCurvePrivateKey | None = field(default=None, repr=False)
    required_context_keys: frozenset[str] = frozenset()

    def with_data_key(self, data_key: bytes) -> EncryptionMaterials:
        """These materials with the plaintext data key set (only once)."""
        _check_data_key(self.suite, self.data_key, data_key)
        return dataclasses.replace(self, data_key=data_key)

    def with_encrypted_data_key(self, edk: EncryptedDataKey) -> EncryptionMaterials:
        """These materials with one more wrapped copy of the data key."""
        if self.data_key is None:
            raise ValueError("wrap the data key only after it is set")
        return dataclasses.replace(self, encrypted_data_keys=(*self.encrypted_data_keys, edk))


@dataclass(frozen=True, slots=True)
class DecryptionMaterials:
    """What decrypting one message needs: suite, full context, data key, verification key."""

    suite: AlgorithmSuite
    encryption_context: Mapping[str, str]
    data_key: bytes | None = field(default=None, repr=False)
    verification_key: str | None = None
    required_context_keys: frozenset[str] = frozenset()

    def with_data_key(self, data_key: bytes) -> DecryptionMaterials:
        """These materials with the unwrapped data key set (only once)."""
        _check_data_key(self.suite, self.data_key, data_key)
        return dataclasses.replace(self, data_key=data_key)
