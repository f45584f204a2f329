"""Asymmetric keys: generation, their PKCS#8 and SubjectPublicKeyInfo forms, signatures,
RSA-OAEP encryption and ECDH key agreement. Everything is `cryptography`'s but Ed25519ph,
which is libsodium's (through PyNaCl).

A key is named by its kind (`KINDS`): RSA of three sizes, four elliptic curves, Ed25519
and ML-DSA at three levels. Private keys travel as PKCS#8 DER and public keys as DER
SubjectPublicKeyInfo, the forms other tools (OpenSSL, every SDK) read. Signature schemes
and OAEP paddings are values of this module (`SignatureScheme`, `Oaep`), so no caller
names a hash or a padding. A failed decryption is `AuthenticationFailed`, with no detail
(house rule 3); a bad signature is `False`, never an exception.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from nacl import bindings as sodium
from nacl.exceptions import BadSignatureError

from strongroom.crypto.aead import AuthenticationFailed

__all__ = [
    "ECDSA_SHA256",
    "ECDSA_SHA384",
    "ECDSA_SHA512",
    "ED25519",
    "ED25519_PH",
    "KINDS",
    "ML_DSA",
    "OAEP_SHA1",
    "OAEP_SHA256",
    "RSA_PKCS1_SHA256",
    "RSA_PKCS1_SHA384",
    "RSA_PKCS1_SHA512",
    "RSA_PSS_SHA256",
    "RSA_PSS_SHA384",
    "RSA_PSS_SHA512",
    "InvalidKey",
    "Oaep",
    "PrivateKey",
    "PublicKey",
    "SignatureScheme",
    "generate",
]

Family = Literal["rsa", "ec", "ed25519", "mldsa"]


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of asymmetric key."""

    name: str
    family: Family
    bits: int  # RSA modulus size, curve size, or the ML-DSA level


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        Kind("rsa2048", "rsa", 2048),
        Kind("rsa3072", "rsa", 3072),
        Kind("rsa4096", "rsa", 4096),
        Kind("p256", "ec", 256),
        Kind("p384", "ec", 384),
        Kind("p521", "ec", 521),
        Kind("secp256k1", "ec", 256),
        Kind("ed25519", "ed25519", 255),
        Kind("mldsa44", "mldsa", 44),
        Kind("mldsa65", "mldsa", 65),
        Kind("mldsa87", "mldsa", 87),
    )
}
"""Every kind of asymmetric key, by name."""

_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "p256": ec.SECP256R1,
    "p384": ec.SECP384R1,
    "p521": ec.SECP521R1,
    "secp256k1": ec.SECP256K1,
}
_CURVE_KINDS = {
    "secp256r1": "p256",
    "secp384r1": "p384",
    "secp521r1": "p521",
    "secp256k1": "secp256k1",
}
_ML_DSA: dict[
    str, type[mldsa.MLDSA44PrivateKey | mldsa.MLDSA65PrivateKey | mldsa.MLDSA87PrivateKey]
] = {
    "mldsa44": mldsa.MLDSA44PrivateKey,
    "mldsa65": mldsa.MLDSA65PrivateKey,
    "mldsa87": mldsa.MLDSA87PrivateKey,
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class InvalidKey(ValueError):
    """Bytes that are not a key of a supported kind (or not the kind expected)."""


@dataclass(frozen=True, slots=True)
class SignatureScheme:
    """How a signature is made: the key family it needs and the hash it signs with."""

    family: Family
    padding: Literal["pss", "pkcs1", "ph", ""]
    hash: str  # "" for schemes that hash internally (Ed25519, ML-DSA)

    @property
    def digest_size(self) -> int | None:
        """Bytes of a digest signed as such (None: the scheme signs messages only)."""
        return _HASHES[self.hash]().digest_size if self.hash else None


RSA_PSS_SHA256 = SignatureScheme("rsa", "pss", "sha256")
RSA_PSS_SHA384 = SignatureScheme("rsa", "pss", "sha384")
RSA_PSS_SHA512 = SignatureScheme("rsa", "pss", "sha512")
RSA_PKCS1_SHA256 = SignatureScheme("rsa", "pkcs1", "sha256")
RSA_PKCS1_SHA384 = SignatureScheme("rsa", "pkcs1", "sha384")
RSA_PKCS1_SHA512 = SignatureScheme("rsa", "pkcs1", "sha512")
ECDSA_SHA256 = SignatureScheme("ec", "", "sha256")
ECDSA_SHA384 = SignatureScheme("ec", "", "sha384")
ECDSA_SHA512 = SignatureScheme("ec", "", "sha512")
ED25519 = SignatureScheme("ed25519", "", "")
"""Pure Ed25519 (RFC 8032): it signs the message itself, never a digest."""
ED25519_PH = SignatureScheme("ed25519", "ph", "sha512")
"""Ed25519ph (RFC 8032, empty context): it signs the SHA-512 of what it is given, always
(given a digest, as AWS KMS takes it, it hashes that digest again). From libsodium."""
ML_DSA = SignatureScheme("mldsa", "", "")
"""Pure ML-DSA (FIPS 204) with an empty context: it signs the message itself."""


@dataclass(frozen=True, slots=True)
class Oaep:
    """RSA-OAEP with one hash for both the label digest and MGF1, and no label."""

    hash: str

    def padding(self) -> padding.OAEP:
        """The padding object `cryptography` takes."""
        algorithm = _HASHES[self.hash]()
        return padding.OAEP(padding.MGF1(algorithm), algorithm, None)

    def max_plaintext(self, modulus_bits: int) -> int:
        """The longest plaintext one RSA block carries (RFC 8017, 7.1.1)."""
        return modulus_bits // 8 - 2 * _HASHES[self.hash]().digest_size - 2


OAEP_SHA1 = Oaep("sha1")
OAEP_SHA256 = Oaep("sha256")

_PrivateKeyTypes = (
    rsa.RSAPrivateKey
    | ec.EllipticCurvePrivateKey
    | ed25519.Ed25519PrivateKey
    | mldsa.MLDSA44PrivateKey
    | mldsa.MLDSA65PrivateKey
    | mldsa.MLDSA87PrivateKey
)
_PublicKeyTypes = (
    rsa.RSAPublicKey
    | ec.EllipticCurvePublicKey
    | ed25519.Ed25519PublicKey
    | mldsa.MLDSA44PublicKey
    | mldsa.MLDSA65PublicKey
    | mldsa.MLDSA87PublicKey
)


def _kind_of(key: object) -> Kind:
    """The kind of a loaded key, public or private, or `InvalidKey`."""
    if isinstance(key, rsa.RSAPrivateKey | rsa.RSAPublicKey):
        name = f"rsa{key.key_size}"
    elif isinstance(key, ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey):
        name = _CURVE_KINDS.get(key.curve.name, "")
    elif isinstance(key, ed25519.Ed25519PrivateKey | ed25519.Ed25519PublicKey):
        name = "ed25519"
    elif isinstance(key, mldsa.MLDSA44PrivateKey | mldsa.MLDSA44PublicKey):
        name = "mldsa44"
    elif isinstance(key, mldsa.MLDSA65PrivateKey | mldsa.MLDSA65PublicKey):
        name = "mldsa65"
    elif isinstance(key, mldsa.MLDSA87PrivateKey | mldsa.MLDSA87PublicKey):
        name = "mldsa87"
    else:
        name = ""
    if name not in KINDS:
        raise InvalidKey("not a key of a supported kind")
    return KINDS[name]


def generate(kind: str) -> bytes:
    """A new private key of `kind`, as PKCS#8 DER."""
    family = KINDS[kind].family
    key: _PrivateKeyTypes
    if family == "rsa":
        key = rsa.generate_private_key(65537, KINDS[kind].bits)
    elif family == "ec":
        key = ec.generate_private_key(_CURVES[kind]())
    elif family == "ed25519":
        key = ed25519.Ed25519PrivateKey.generate()
    else:
        key = _ML_DSA[kind].generate()
    return key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _require_family(kind: Kind, scheme: SignatureScheme) -> None:
    if scheme.family != kind.family:
        raise TypeError(f"a {kind.name} key does not sign with a {scheme.family} scheme")


def _message_hash(scheme: SignatureScheme, prehashed: bool) -> hashes.HashAlgorithm | Prehashed:
    algorithm = _HASHES[scheme.hash]()
    return Prehashed(algorithm) if prehashed else algorithm


@functools.cache
def _ecdsa(hash_name: str, prehashed: bool) -> ec.ECDSA:
    """The (immutable) ECDSA signature algorithm object, made once per hash."""
    algorithm = _HASHES[hash_name]()
    return ec.ECDSA(Prehashed(algorithm) if prehashed else algorithm)


def _rsa_padding(scheme: SignatureScheme) -> padding.AsymmetricPadding:
    if scheme.padding == "pss":  # salt as long as the digest, as AWS KMS signs
        return padding.PSS(padding.MGF1(_HASHES[scheme.hash]()), padding.PSS.DIGEST_LENGTH)
    return padding.PKCS1v15()


class PublicKey:
    """A public key: verifies signatures, encrypts with RSA-OAEP."""

    __slots__ = ("_key", "der", "kind")

    def __init__(self, der: bytes) -> None:
        """Load DER SubjectPublicKeyInfo, or `InvalidKey`."""
        try:
            key = serialization.load_der_public_key(der)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidKey("not a DER SubjectPublicKeyInfo") from None
        self.kind = _kind_of(key)
        self._key: _PublicKeyTypes = key  # type: ignore[assignment]
        self.der = der

    def verify(
        self, scheme: SignatureScheme, message: bytes, signature: bytes, *, prehashed: bool
    ) -> bool:
        """Whether `signature` is `scheme`'s over `message` (a digest if `prehashed`)."""
        _require_family(self.kind, scheme)
        key = self._key
        try:
            if isinstance(key, rsa.RSAPublicKey):
                key.verify(
                    signature, message, _rsa_padding(scheme), _message_hash(scheme, prehashed)
                )
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, message, _ecdsa(scheme.hash, prehashed))
            elif scheme.padding == "ph" and isinstance(key, ed25519.Ed25519PublicKey):
                if len(signature) != 64:  # libsodium raises TypeError on other lengths
                    return False
                state = sodium.crypto_sign_ed25519ph_state()
                sodium.crypto_sign_ed25519ph_update(state, message)
                return bool(
                    sodium.crypto_sign_ed25519ph_final_verify(
                        state, signature, key.public_bytes_raw()
                    )
                )
            else:
                key.verify(signature, message)
        except (InvalidSignature, ValueError, BadSignatureError):
            return False
        return True

    def encrypt(self, oaep: Oaep, plaintext: bytes) -> bytes:
        """RSA-OAEP ciphertext of `plaintext` (at most `oaep.max_plaintext` bytes)."""
        if not isinstance(self._key, rsa.RSAPublicKey):
            raise TypeError("only RSA keys encrypt")
        return self._key.encrypt(plaintext, oaep.padding())


class PrivateKey:
    """A private key in memory: signs, decrypts with RSA-OAEP, agrees on ECDH secrets."""

    __slots__ = ("_key", "kind", "public")

    def __init__(self, der: bytes, *, trusted: bool = False) -> None:
        """Load PKCS#8 DER, or `InvalidKey`. `trusted` skips the RSA consistency checks
        (up to 0.2 s for RSA 4096) for a key that passed them when it was first loaded."""
        try:
            key = serialization.load_der_private_key(
                der, None, unsafe_skip_rsa_key_validation=trusted
            )
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise InvalidKey("not an unencrypted PKCS#8 private key") from None
        self.kind = _kind_of(key)
        self._key: _PrivateKeyTypes = key  # type: ignore[assignment]
        public_der = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public = PublicKey(public_der)

    def canonical_der(self) -> bytes:
        """The key as PKCS#8 DER in `cryptography`'s encoding: the same bytes for the
        same key, however it was encoded when it came."""
        return self._key.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    def sign(self, scheme: SignatureScheme, message: bytes, *, prehashed: bool) -> bytes:
        """`scheme`'s signature over `message` (a digest of the scheme's hash if
        `prehashed`); ECDSA signatures are DER, as OpenSSL writes them."""
        _require_family(self.kind, scheme)
        key = self._key
        if isinstance(key, ec.EllipticCurvePrivateKey):  # the common case first
            return key.sign(message, _ecdsa(scheme.hash, prehashed))
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(message, _rsa_padding(scheme), _message_hash(scheme, prehashed))
        if scheme.padding == "ph" and isinstance(key, ed25519.Ed25519PrivateKey):
            _, secret = sodium.crypto_sign_seed_keypair(key.private_bytes_raw())
            state = sodium.crypto_sign_ed25519ph_state()
            sodium.crypto_sign_ed25519ph_update(state, message)
            return bytes(sodium.crypto_sign_ed25519ph_final_create(state, secret))
        return key.sign(message)

    def decrypt(self, oaep: Oaep, ciphertext: bytes) -> bytes:
        """The plaintext of an RSA-OAEP ciphertext, or `AuthenticationFailed`."""
        if not isinstance(self._key, rsa.RSAPrivateKey):
            raise TypeError("only RSA keys decrypt")
        try:
            return self._key.decrypt(ciphertext, oaep.padding())
        except ValueError:
            raise AuthenticationFailed() from None

    def exchange(self, peer: PublicKey) -> bytes:
        """The ECDH shared secret (the x-coordinate) with `peer`'s public key, which must
        be on the same curve (`InvalidKey` otherwise)."""
        key, peer_key = self._key, peer._key
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError("only elliptic-curve keys agree on secrets")
        if peer.kind != self.kind or not isinstance(peer_key, ec.EllipticCurvePublicKey):
            raise InvalidKey("the peer's key is not on this key's curve")
        return key.exchange(ec.ECDH(), peer_key)
