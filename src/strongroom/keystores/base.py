"""The key store contract: where KMS key material lives and does its work.

The KMS service names material by (key id, version) and never sees it: a key store makes
it (or takes imported material), encrypts and decrypts, signs, computes MACs and agrees
on secrets with it, and destroys it. Payloads are opaque to the caller; any failure to
authenticate is one `AuthenticationFailed`, with no detail; material that is not there
is `MaterialMissing`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol

from strongroom.crypto.asymmetric import Oaep, PublicKey, SignatureScheme

MaterialForm = Literal["symmetric", "hmac", "private"]
"""A symmetric AES-256 key, an HMAC key, or an asymmetric private key (PKCS#8 DER)."""


class PreparedKey:
    """A private key made by `KeyStore.prepare_private` and not kept yet: opaque to its
    holder, which only hands it back to the same key store."""

    __slots__ = ("_secret",)

    def __init__(self, secret: object) -> None:
        self._secret = secret

    def secret(self) -> object:
        """What the key store put in (its own business)."""
        return self._secret


class MaterialMissing(Exception):
    """The key store holds no material for that key and version (destroyed, never made,
    or imported material that was deleted)."""


class PrivateKeyHandle(Protocol):
    """An asymmetric private key the store holds: used, never read out."""

    public: PublicKey

    def sign(self, scheme: SignatureScheme, message: bytes, *, prehashed: bool) -> bytes:
        """A signature over `message` (a digest if `prehashed`)."""
        ...

    def decrypt(self, oaep: Oaep, ciphertext: bytes) -> bytes:
        """RSA-OAEP plaintext, or `AuthenticationFailed`."""
        ...

    def exchange(self, peer: PublicKey) -> bytes:
        """The ECDH shared secret with `peer`."""
        ...


class KeyStore(Protocol):
    """Key material by (key id, version)."""

    name: str

    def generate(self, key_id: str, version: int) -> None:
        """Make and durably keep new symmetric material for `version` of `key_id`."""
        ...

    def generate_hmac(self, key_id: str, version: int, length: int) -> None:
        """Make and keep a new HMAC key of `length` bytes."""
        ...

    def prepare_private(self, kind: str) -> PreparedKey:
        """Start making a private key of `kind` (see `crypto.asymmetric.KINDS`), outside
        any transaction: it can take seconds. Nothing is kept until `generate_private`."""
        ...

    def generate_private(
        self, key_id: str, version: int, kind: str, prepared: PreparedKey | None = None
    ) -> PublicKey:
        """Keep a new private key of `kind` for `version`: `prepared` if given, else one
        made now."""
        ...

    def put(self, key_id: str, version: int, form: MaterialForm, material: bytes) -> None:
        """Keep imported material (already checked by the caller) for `version`."""
        ...

    def has(self, key_id: str, version: int) -> bool:
        """Whether material for `version` of `key_id` is there."""
        ...

    def encrypt(self, key_id: str, version: int, plaintext: bytes, aad: bytes) -> bytes:
        """An authenticated payload that only `decrypt` with the same aad opens."""
        ...

    def decrypt(self, key_id: str, version: int, payload: bytes, aad: bytes) -> bytes:
        """The plaintext, or `AuthenticationFailed` (unknown material included)."""
        ...

    def private_key(self, key_id: str, version: int) -> PrivateKeyHandle:
        """The private key of `version`, or `MaterialMissing`."""
        ...

    def mac(self, key_id: str, version: int, hash_name: str, message: bytes) -> bytes:
        """The HMAC of `message` with `version`'s HMAC key, or `MaterialMissing`."""
        ...

    def destroy(self, key_id: str, versions: Iterable[int] | None = None) -> None:
        """Erase `versions` of `key_id`'s material (every version if None). Irreversible."""
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
