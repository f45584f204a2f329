"""Unwrapping key material sent for import, as AWS KMS's import protocol wraps it.

The importer gets an RSA public key (the wrapping key) and wraps its material with one
of four algorithms:
- `RSAES_OAEP_SHA_1` / `RSAES_OAEP_SHA_256`: the material itself under RSA-OAEP, for
  material that fits one block (symmetric and HMAC keys);
- `RSA_AES_KEY_WRAP_SHA_1` / `RSA_AES_KEY_WRAP_SHA_256`: a fresh AES-256 key under
  RSA-OAEP (one modulus-length block), followed by the material under AES Key Wrap with
  Padding (RFC 5649) with that key, for any length (asymmetric private keys).
Every failure to unwrap is `AuthenticationFailed`, with no detail.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from strongroom.crypto.aead import AuthenticationFailed
from strongroom.crypto.asymmetric import OAEP_SHA1, OAEP_SHA256, Oaep

__all__ = ["WRAPPING_ALGORITHMS", "WrappingKey"]

AES_KEY_BYTES = 32

WRAPPING_ALGORITHMS: dict[str, tuple[Oaep, bool]] = {
    "RSAES_OAEP_SHA_1": (OAEP_SHA1, False),
    "RSAES_OAEP_SHA_256": (OAEP_SHA256, False),
    "RSA_AES_KEY_WRAP_SHA_1": (OAEP_SHA1, True),
    "RSA_AES_KEY_WRAP_SHA_256": (OAEP_SHA256, True),
}
"""AWS's wrapping algorithm names: (the RSA-OAEP padding, whether AES key wrap follows)."""


class WrappingKey:
    """An RSA key pair that unwraps material for import."""

    __slots__ = ("_key",)

    def __init__(self, private_der: bytes) -> None:
        # a key `generate` made, kept behind the barrier: its RSA checks passed then
        key = serialization.load_der_private_key(
            private_der, None, unsafe_skip_rsa_key_validation=True
        )
        if not isinstance(key, rsa.RSAPrivateKey):
            raise TypeError("a wrapping key is an RSA key")
        self._key = key

    @staticmethod
    def generate(bits: int) -> bytes:
        """A new wrapping key of `bits` (2048, 3072 or 4096), as PKCS#8 DER."""
        return rsa.generate_private_key(65537, bits).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def public_der(self) -> bytes:
        """The public half as DER SubjectPublicKeyInfo, for the importer."""
        return self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def unwrap(self, algorithm: str, wrapped: bytes) -> bytes:
        """The material in `wrapped`, or `AuthenticationFailed`."""
        oaep, with_key_wrap = WRAPPING_ALGORITHMS[algorithm]
        block = self._key.key_size // 8
        try:
            if not with_key_wrap:
                return self._key.decrypt(wrapped, oaep.padding())
            if len(wrapped) <= block:
                raise AuthenticationFailed()
            aes_key = self._key.decrypt(wrapped[:block], oaep.padding())
            if len(aes_key) != AES_KEY_BYTES:  # the protocol's key is AES-256
                raise AuthenticationFailed()
            return keywrap.aes_key_unwrap_with_padding(aes_key, wrapped[block:])
        except (ValueError, keywrap.InvalidUnwrap):
            raise AuthenticationFailed() from None
