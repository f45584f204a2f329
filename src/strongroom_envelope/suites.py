"""The algorithm suites of the AWS Encryption SDK message format.

Each suite fixes the message format version, the AES-GCM key length, how the data key is
derived (identity or HKDF with a hash), whether the key is committed, and the ECDSA curve of
the footer signature. The table is the spec's; ids are the 2-byte values in the header.
All suites use 12-byte IVs and 16-byte tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "AES_128_GCM_IV12_TAG16",
    "AES_128_GCM_IV12_TAG16_HKDF_SHA256",
    "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256",
    "AES_192_GCM_IV12_TAG16",
    "AES_192_GCM_IV12_TAG16_HKDF_SHA256",
    "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
    "AES_256_GCM_HKDF_SHA512_COMMIT_KEY",
    "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384",
    "AES_256_GCM_IV12_TAG16",
    "AES_256_GCM_IV12_TAG16_HKDF_SHA256",
    "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384",
    "ALGORITHM_SUITES",
    "AlgorithmSuite",
]

IV_LENGTH = 12
TAG_LENGTH = 16


@dataclass(frozen=True, slots=True)
class AlgorithmSuite:
    """One row of the spec's suite table."""

    suite_id: int
    name: str
    message_version: int
    key_length: int  # bytes
    kdf_hash: str | None
    committing: bool = False
    signature_curve: str | None = None

    @property
    def id_bytes(self) -> bytes:
        """The suite id as it appears in the header and in HKDF info."""
        return self.suite_id.to_bytes(2, "big")

    @property
    def signed(self) -> bool:
        """Whether messages of this suite end with an ECDSA signature footer."""
        return self.signature_curve is not None

    @property
    def suite_data_length(self) -> int:
        """Bytes of algorithm suite data in a v2 header (the commit key)."""
        return 32 if self.committing else 0

    @property
    def message_id_length(self) -> int:
        """Message ids are 16 bytes in v1, 32 in v2 (the commitment salt)."""
        return 32 if self.message_version == 2 else 16


AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384 = AlgorithmSuite(
    0x0578, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384", 2, 32, "sha512", True, "secp384r1"
)
AES_256_GCM_HKDF_SHA512_COMMIT_KEY = AlgorithmSuite(
    0x0478, "AES_256_GCM_HKDF_SHA512_COMMIT_KEY", 2, 32, "sha512", True
)
AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 = AlgorithmSuite(
    0x0378, "AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", 1, 32, "sha384", False, "secp384r1"
)
AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384 = AlgorithmSuite(
    0x0346, "AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384", 1, 24, "sha384", False, "secp384r1"
)
AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256 = AlgorithmSuite(
    0x0214, "AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256", 1, 16, "sha256", False, "secp256r1"
)
AES_256_GCM_IV12_TAG16_HKDF_SHA256 = AlgorithmSuite(
    0x0178, "AES_256_GCM_IV12_TAG16_HKDF_SHA256", 1, 32, "sha256"
)
AES_192_GCM_IV12_TAG16_HKDF_SHA256 = AlgorithmSuite(
    0x0146, "AES_192_GCM_IV12_TAG16_HKDF_SHA256", 1, 24, "sha256"
)
AES_128_GCM_IV12_TAG16_HKDF_SHA256 = AlgorithmSuite(
    0x0114, "AES_128_GCM_IV12_TAG16_HKDF_SHA256", 1, 16, "sha256"
)
AES_256_GCM_IV12_TAG16 = AlgorithmSuite(0x0078, "AES_256_GCM_IV12_TAG16_NO_KDF", 1, 32, None)
AES_192_GCM_IV12_TAG16 = AlgorithmSuite(0x0046, "AES_192_GCM_IV12_TAG16_NO_KDF", 1, 24, None)
AES_128_GCM_IV12_TAG16 = AlgorithmSuite(0x0014, "AES_128_GCM_IV12_TAG16_NO_KDF", 1, 16, None)

ALGORITHM_SUITES: Mapping[int, AlgorithmSuite] = MappingProxyType(
    {
        s.suite_id: s
        for s in (
            AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
            AES_256_GCM_HKDF_SHA512_COMMIT_KEY,
            AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
            AES_192_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
            AES_128_GCM_IV12_TAG16_HKDF_SHA256_ECDSA_P256,
            AES_256_GCM_IV12_TAG16_HKDF_SHA256,
            AES_192_GCM_IV12_TAG16_HKDF_SHA256,
            AES_128_GCM_IV12_TAG16_HKDF_SHA256,
            AES_256_GCM_IV12_TAG16,
            AES_192_GCM_IV12_TAG16,
            AES_128_GCM_IV12_TAG16,
        )
    }
)
