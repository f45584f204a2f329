"""Multi-keyring: several keyrings acting as one.

On encrypt the generator (if any) makes the data key and every child wraps it too, so any
one of them can decrypt the message; without a generator the materials must already hold a
data key. On decrypt the generator then each child is tried in turn until one unwraps a
data key; if none can, the error lists why each failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from strongroom_envelope.errors import KeyringError, NoDecryptableKeyError
from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

__all__ = ["MultiKeyring"]


class MultiKeyring:
    """A generator keyring plus child keyrings."""

    def __init__(self, generator: Keyring | None = None, children: Sequence[Keyring] = ()) -> None:
        if generator is None and not children:
            raise ValueError("a multi-keyring needs a generator or at least one child")
        self.generator = generator
        self.children = tuple(children)

    def __repr__(self) -> str:
        return f"MultiKeyring(generator={self.generator!r}, children={self.children!r})"

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Let the generator make the data key, then every child wrap it."""
        if self.generator is not None:
            materials = self.generator.on_encrypt(materials)
        if materials.data_key is None:
            raise KeyringError("a multi-keyring without a generator cannot create a data key")
        for child in self.children:
            materials = child.on_encrypt(materials)
        return materials

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Return the first keyring's success; fail only if every keyring fails."""
        if materials.data_key is not None:
            raise ValueError("the materials already hold a data key")
        reasons: list[str] = []
        keyrings = ([self.generator] if self.generator is not None else []) + list(self.children)
        for keyring in keyrings:
            try:
                return keyring.on_decrypt(materials, encrypted_data_keys)
            except (NoDecryptableKeyError, KeyringError) as exc:
                reasons.append(str(exc))
        raise NoDecryptableKeyError("no keyring could decrypt a data key: " + "; ".join(reasons))
