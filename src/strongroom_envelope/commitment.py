"""Commitment policy: which suites encrypt may use and decrypt may accept.

Key commitment binds a message to exactly one data key, so no one can craft a message that
decrypts to different plaintexts under different keys. The default,
REQUIRE_ENCRYPT_REQUIRE_DECRYPT, encrypts with and accepts only committing (v2) suites.
REQUIRE_ENCRYPT_ALLOW_DECRYPT also reads v1 messages; FORBID_ENCRYPT_ALLOW_DECRYPT writes
v1 messages for readers that predate commitment.
"""

from __future__ import annotations

import enum

from strongroom_envelope.errors import PolicyError
from strongroom_envelope.suites import (
    AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384,
    AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384,
    AlgorithmSuite,
)

__all__ = ["CommitmentPolicy"]


class CommitmentPolicy(enum.Enum):
    """The three policies of the AWS Encryption SDK."""

    FORBID_ENCRYPT_ALLOW_DECRYPT = "forbid-encrypt-allow-decrypt"
    REQUIRE_ENCRYPT_ALLOW_DECRYPT = "require-encrypt-allow-decrypt"
    REQUIRE_ENCRYPT_REQUIRE_DECRYPT = "require-encrypt-require-decrypt"

    @property
    def default_suite(self) -> AlgorithmSuite:
        """The suite encrypt uses when the caller names none (signed, as the ESDK does)."""
        if self is CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT:
            return AES_256_GCM_IV12_TAG16_HKDF_SHA384_ECDSA_P384
        return AES_256_GCM_HKDF_SHA512_COMMIT_KEY_ECDSA_P384

    def check_encrypt(self, suite: AlgorithmSuite) -> None:
        """Refuse a suite this policy may not encrypt with."""
        forbid = self is CommitmentPolicy.FORBID_ENCRYPT_ALLOW_DECRYPT
        if suite.committing == forbid:
            raise PolicyError(
                f"commitment policy {self.value} does not allow encrypting with {suite.name}"
            )

    def check_decrypt(self, suite: AlgorithmSuite) -> None:
        """Refuse a message whose suite this policy may not decrypt."""
        if self is CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT and not suite.committing:
            raise PolicyError(
                f"commitment policy {self.value} refuses {suite.name}: the message is not key-"
                "committing (decrypt with require-encrypt-allow-decrypt to read v1 messages)"
            )
