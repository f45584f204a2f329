"""Materials managers: turn a keyring into the materials of one message.

The default manager applies the message-level rules around a keyring: the suite (commitment
policy, default suite), the signing key and its public half in the context, reserved
context keys, required context keys, and, on decrypt, the caller's reproduced context
(pairs the message stores must match; pairs it does not store are authenticated only).
`CachingMaterialsManager` (caching.py) wraps one to reuse data keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from strongroom_envelope import encryption_context as ec_format
from strongroom_envelope.commitment import CommitmentPolicy
from strongroom_envelope.errors import EncryptionContextError, KeyringError, MessageError
from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.materials import (
    DecryptionMaterials,
    EncryptedDataKey,
    EncryptionMaterials,
    frozen_context,
)
from strongroom_envelope.signing import encode_public_key, generate_signing_key
from strongroom_envelope.suites import AlgorithmSuite

__all__ = [
    "DecryptionRequest",
    "DefaultMaterialsManager",
    "EncryptionRequest",
    "MaterialsManager",
    "as_materials_manager",
]


@dataclass(frozen=True, slots=True)
class EncryptionRequest:
    """What the encryptor asks for."""

    encryption_context: Mapping[str, str]
    commitment_policy: CommitmentPolicy
    suite: AlgorithmSuite | None = None
    plaintext_length: int | None = None
    required_context_keys: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class DecryptionRequest:
    """What the decryptor asks for, from a parsed (not yet authenticated) header."""

    suite: AlgorithmSuite
    encrypted_data_keys: tuple[EncryptedDataKey, ...]
    encryption_context: Mapping[str, str]
    commitment_policy: CommitmentPolicy
    reproduced_context: Mapping[str, str] | None = None


@runtime_checkable
class MaterialsManager(Protocol):
    """Supplies encryption and decryption materials."""

    def get_encryption_materials(self, request: EncryptionRequest) -> EncryptionMaterials:
        """Materials to encrypt one message."""
        ...

    def decrypt_materials(self, request: DecryptionRequest) -> DecryptionMaterials:
        """Materials to decrypt one message."""
        ...


def as_materials_manager(keyring: Keyring | MaterialsManager) -> MaterialsManager:
    """The caller's manager, or a default one around the caller's keyring."""
    if isinstance(keyring, MaterialsManager):
        return keyring
    if isinstance(keyring, Keyring):
        return DefaultMaterialsManager(keyring)
    raise TypeError("expected a keyring or a materials manager")


class DefaultMaterialsManager:
    """Applies the message-level rules around one keyring."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring

    def get_encryption_materials(self, request: EncryptionRequest) -> EncryptionMaterials:
        """Choose the suite, add the signing key, and ask the keyring for a data key."""
        context = dict(request.encryption_context)
        ec_format.check_caller_context(context)
        missing = request.required_context_keys - context.keys()
        if missing:
            raise EncryptionContextError(
                f"required encryption context keys are missing: {', '.join(sorted(missing))}"
            )
        suite = request.suite or request.commitment_policy.default_suite
        request.commitment_policy.check_encrypt(suite)
        signing_key = None
        if suite.signed:
            signing_key = generate_signing_key(suite)
            context[ec_format.PUBLIC_KEY_FIELD] = encode_public_key(signing_key)
        materials = EncryptionMaterials(
            suite=suite,
            encryption_context=frozen_context(context),
            signing_key=signing_key,
            required_context_keys=request.required_context_keys,
        )
        materials = self.keyring.on_encrypt(materials)
        if materials.data_key is None or not materials.encrypted_data_keys:
            raise KeyringError("the keyring produced no data key or no encrypted data key")
        return materials

    def decrypt_materials(self, request: DecryptionRequest) -> DecryptionMaterials:
        """Merge the reproduced context, find the verification key, unwrap the data key."""
        request.commitment_policy.check_decrypt(request.suite)
        context = dict(request.encryption_context)
        required: set[str] = set()
        for key, value in (request.reproduced_context or {}).items():
            if key in context:
                if context[key] != value:
                    raise EncryptionContextError(
                        f"encryption context mismatch: the message's value for {key!r} "
                        "differs from the expected one"
                    )
            else:
                context[key] = value
                required.add(key)
        verification_key = context.get(ec_format.PUBLIC_KEY_FIELD)
        if request.suite.signed != (verification_key is not None) or (
            ec_format.PUBLIC_KEY_FIELD in required
        ):
            raise MessageError()
        materials = DecryptionMaterials(
            suite=request.suite,
            encryption_context=frozen_context(context),
            verification_key=verification_key,
            required_context_keys=frozenset(required),
        )
        materials = self.keyring.on_decrypt(materials, request.encrypted_data_keys)
        if materials.data_key is None:
            raise KeyringError("the keyring returned no data key")
        return materials
