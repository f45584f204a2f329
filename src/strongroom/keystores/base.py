"""The key store contract: where KMS key material lives and does its work.

The KMS service names material by (key id, version) and never sees it: a key store makes
it, encrypts and decrypts with it, and destroys it. Payloads are opaque to the caller; any
failure to authenticate is one `AuthenticationFailed`, with no detail.
"""

from __future__ import annotations

from typing import Protocol


class KeyStore(Protocol):
    """Symmetric key material by (key id, version)."""

    name: str

    def generate(self, key_id: str, version: int) -> None:
        """Make and durably keep new material for `version` of `key_id`."""
        ...

    def encrypt(self, key_id: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
        """An authenticated payload that only `decrypt` with the same aad opens."""
        ...

    def decrypt(self, key_id: str, version: int, payload: bytes, aad: bytes) -> bytes:
        """The plaintext, or `AuthenticationFailed` (unknown material included)."""
        ...

    def destroy(self, key_id: str) -> None:
        """Erase every version of `key_id`'s material. Irreversible."""
        ...

    def scrub(self) -> None:
        """Make material destroyed so far unrecoverable from wherever the store keeps it.

        `destroy` runs inside the caller's transaction, where nothing can be scrubbed yet:
        the caller calls this once that transaction has committed. Cheap when nothing was
        destroyed; on failure the work stays owed and the next call tries again.
        """
        ...

    def forget(self) -> None:
        """Drop any material cached in memory."""
        ...
