"""The keyring interface: wrap a data key on encrypt, unwrap one on decrypt.

`on_encrypt` returns the materials with a data key (generated if the materials had none)
and its own wrapped copy added. `on_decrypt` returns the materials with the data key set
from the first encrypted data key it can unwrap, or raises `NoDecryptableKeyError`; it
never returns materials without a data key, and it refuses materials that already have one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

__all__ = ["Keyring"]


@runtime_checkable
class Keyring(Protocol):
    """Wraps and unwraps data keys with one or more master keys."""

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Add a data key if missing, and this keyring's wrapped copies of it."""
        ...

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Set the data key from the first encrypted data key this keyring can unwrap."""
        ...
