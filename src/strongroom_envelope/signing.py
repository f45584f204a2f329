"""ECDSA message signatures: key generation, the public key's encoding, sign and verify.

Signed suites sign every byte of header and body with ECDSA (P-256/SHA-256 or
P-384/SHA-384); the footer holds the DER signature. The verification key travels in the
encryption context under `aws-crypto-public-key` as the base64 of the compressed point.
The digest is computed incrementally so messages of any size sign in constant memory.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from strongroom_envelope.errors import MessageError
from strongroom_envelope.suites import AlgorithmSuite

__all__ = ["Signer", "Verifier", "encode_public_key", "generate_signing_key"]

_CURVES: dict[str, tuple[type[ec.EllipticCurve], str, type[hashes.HashAlgorithm]]] = {
    "secp256r1": (ec.SECP256R1, "sha256", hashes.SHA256),
    "secp384r1": (ec.SECP384R1, "sha384", hashes.SHA384),
}


def generate_signing_key(suite: AlgorithmSuite) -> ec.EllipticCurvePrivateKey:
    """A fresh signing key on the suite's curve."""
    assert suite.signature_curve is not None
    return ec.generate_private_key(_CURVES[suite.signature_curve][0]())


def encode_public_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The encryption-context value for `key`: base64 of its compressed public point."""
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    return base64.b64encode(point).decode()


class Signer:
    """Hashes a message as it is written, then signs the digest."""

    def __init__(self, suite: AlgorithmSuite, key: ec.EllipticCurvePrivateKey) -> None:
        assert suite.signature_curve is not None
        _, digest_name, self._hash = _CURVES[suite.signature_curve]
        self._key = key
        self.digest = hashlib.new(digest_name)

    def sign(self) -> bytes:
        """The DER signature over everything fed to `digest`."""
        return self._key.sign(self.digest.digest(), ec.ECDSA(Prehashed(self._hash())))


class Verifier:
    """Hashes a message as it is read, then checks the footer signature."""

    def __init__(self, suite: AlgorithmSuite, encoded_public_key: str) -> None:
        assert suite.signature_curve is not None
        curve, digest_name, self._hash = _CURVES[suite.signature_curve]
        try:
            point = base64.b64decode(encoded_public_key, validate=True)
            self._key = ec.EllipticCurvePublicKey.from_encoded_point(curve(), point)
        except (ValueError, binascii.Error) as exc:
            raise MessageError() from exc
        self.digest = hashlib.new(digest_name)

    def verify(self, signature: bytes) -> None:
        """Raise the detail-free `MessageError` unless `signature` is valid."""
        try:
            self._key.verify(signature, self.digest.digest(), ec.ECDSA(Prehashed(self._hash())))
        except InvalidSignature as exc:
            raise MessageError() from exc
