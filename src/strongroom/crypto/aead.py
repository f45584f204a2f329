"""AES-256-GCM: the one authenticated cipher of Strongroom.

Every authentication failure is the same detail-free `AuthenticationFailed` (house rule 3).
`Aead` keeps the expanded key for callers that use one key many times (the barrier).
"""

from __future__ import annotations

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16


class AuthenticationFailed(Exception):
    """Ciphertext, tag, nonce or associated data is not authentic. Nothing more is said."""


class Aead:
    """AES-256-GCM under one key."""

    __slots__ = ("_cipher",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("AES-256-GCM takes a 32-byte key")
        self._cipher = AESGCM(key)

    def encrypt(self, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
        """Ciphertext with its 16-byte tag appended."""
        return self._cipher.encrypt(nonce, plaintext, aad)

    def decrypt(self, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
        """The plaintext, or `AuthenticationFailed`."""
        try:
            return self._cipher.decrypt(nonce, ciphertext, aad)
        except (InvalidTag, ValueError):
            raise AuthenticationFailed() from None


def encrypt(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """One-shot AES-256-GCM encryption; ciphertext || tag."""
    return Aead(key).encrypt(nonce, plaintext, aad)


def decrypt(key: bytes, nonce: bytes, ciphertext: bytes, aad: bytes) -> bytes:
    """One-shot AES-256-GCM decryption, or `AuthenticationFailed`."""
    return Aead(key).decrypt(nonce, ciphertext, aad)
