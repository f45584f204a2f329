"""What a seal is: a protector of the root key, and the errors seals raise.

The root key encrypts the barrier's keyring and is never stored in the clear. A seal is how
it is protected and recovered:

- an operator-unsealed seal (Shamir) hands out shares at init and rebuilds a *candidate*
  root key from enough of them at unseal;
- an auto-unseal seal (dev key file, PKCS#11 wrapping) yields the root key by itself.

Invariants: a seal never decides whether a root key is right; the barrier does, by
decrypting the keyring with it. Seal errors carry no share, key or key-file content.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from strongroom.errors import StrongroomError

__all__ = [
    "ROOT_KEY_BYTES",
    "AutoUnsealSeal",
    "InvalidShareError",
    "Seal",
    "SealError",
]

ROOT_KEY_BYTES = 32
"""Every root key is 32 random bytes (an AES-256 key)."""


class SealError(StrongroomError):
    """A seal cannot produce the root key: its stored config or key file is unusable."""


class InvalidShareError(SealError):
    """An unseal share is malformed, of the wrong seal, or already submitted."""

    code = "InvalidShare"


@runtime_checkable
class Seal(Protocol):
    """A root-key protector."""

    @property
    def kind(self) -> str:
        """Stable name of the seal ("shamir", "devkey", "pkcs11"), fit to persist."""
        ...

    @property
    def auto_unseal(self) -> bool:
        """True when the seal yields the root key with no operator input."""
        ...


@runtime_checkable
class AutoUnsealSeal(Seal, Protocol):
    """A seal that protects the root key by itself (key file, HSM wrapping)."""

    def load_or_create(self) -> bytes:
        """Return the root key, creating and protecting a fresh one on first start."""
        ...
