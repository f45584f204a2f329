"""Every error the envelope SDK raises on purpose.

One root, `EnvelopeError`. Messages are safe to show: they never hold a plaintext, a data
key or wrapping-key material. Any failure to parse or authenticate a message is the one
detail-free `MessageError`, so an attacker learns nothing from which check failed.
`TypeError`/`ValueError` remain for programmer mistakes (bad arguments).
"""

from __future__ import annotations

__all__ = [
    "EncryptionContextError",
    "EnvelopeError",
    "KeyringError",
    "MessageError",
    "NoDecryptableKeyError",
    "PolicyError",
]

TAMPERED = "the message is corrupt, truncated or has been tampered with"


class EnvelopeError(Exception):
    """Root of every deliberate envelope error."""


class MessageError(EnvelopeError):
    """The message is malformed, truncated, tampered with, or fails authentication."""

    def __init__(self, message: str = TAMPERED) -> None:
        super().__init__(message)


class NoDecryptableKeyError(EnvelopeError):
    """No keyring could decrypt any of the message's encrypted data keys (a wrong key)."""


class EncryptionContextError(EnvelopeError):
    """The encryption context is invalid, or differs from the one the caller expects."""


class PolicyError(EnvelopeError):
    """A configured limit refused the message: commitment policy, data-key count, sizes."""


class KeyringError(EnvelopeError):
    """A keyring could not produce or wrap a data key (e.g. KMS refused, no public key)."""
