"""strongroom_envelope: client-side envelope encryption in the AWS Encryption SDK format.

Encrypt data of any size locally under a data key that a keyring wraps (KMS, raw AES, raw
RSA, or several at once); the message format is the AWS Encryption SDK's, so either SDK
decrypts what the other encrypted. This package imports nothing from the `strongroom`
server: it works against Strongroom or AWS KMS alike.
"""

from strongroom_envelope.caching import CachingMaterialsManager
from strongroom_envelope.commitment import CommitmentPolicy
from strongroom_envelope.decryptor import decrypt, decrypt_stream
from strongroom_envelope.encryptor import encrypt, encrypt_stream
from strongroom_envelope.errors import (
    EncryptionContextError,
    EnvelopeError,
    KeyringError,
    MessageError,
    NoDecryptableKeyError,
    PolicyError,
)
from strongroom_envelope.keyrings import (
    Keyring,
    KmsDiscoveryKeyring,
    KmsKeyring,
    MultiKeyring,
    RawAesKeyring,
    RawRsaKeyring,
    RsaPadding,
)
from strongroom_envelope.limits import (
    DEFAULT_FRAME_LENGTH,
    DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    DEFAULT_MAX_FRAME_LENGTH,
)
from strongroom_envelope.materials_manager import DefaultMaterialsManager, MaterialsManager
from strongroom_envelope.results import Decrypted, MessageInfo
from strongroom_envelope.suites import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    ALGORITHM_SUITES,
    AlgorithmSuite,
)

__all__ = [
    "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
    "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
    "ALGORITHM_SUITES",
    "DEFAULT_FRAME_LENGTH",
    "DEFAULT_MAX_ENCRYPTED_DATA_KEYS",
    "DEFAULT_MAX_FRAME_LENGTH",
    "AlgorithmSuite",
    "CachingMaterialsManager",
    "CommitmentPolicy",
    "Decrypted",
    "DefaultMaterialsManager",
    "EncryptionContextError",
    "EnvelopeError",
    "Keyring",
    "KeyringError",
    "KmsDiscoveryKeyring",
    "KmsKeyring",
    "MaterialsManager",
    "MessageError",
    "MessageInfo",
    "MultiKeyring",
    "NoDecryptableKeyError",
    "PolicyError",
    "RawAesKeyring",
    "RawRsaKeyring",
    "RsaPadding",
    "decrypt",
    "decrypt_stream",
    "encrypt",
    "encrypt_stream",
]
