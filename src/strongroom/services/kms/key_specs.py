"""AWS KMS's table of key specs: the usages each allows, the algorithms of each usage,
and the material each is made of.

The algorithm names are AWS's; each maps to a scheme of `crypto.asymmetric` (or a hash
for HMAC), so no hash or padding is named outside `crypto/`. DescribeKey and GetPublicKey
list a key's algorithms from here; every cryptographic operation checks its algorithm
against the key's list with `require_algorithm`.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.crypto import asymmetric
from strongroom.errors import InvalidKeyUsageException
from strongroom.keystores import MaterialForm

ENCRYPT_DECRYPT = "ENCRYPT_DECRYPT"
SIGN_VERIFY = "SIGN_VERIFY"
GENERATE_VERIFY_MAC = "GENERATE_VERIFY_MAC"
KEY_AGREEMENT = "KEY_AGREEMENT"
SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT"

SIGNING_SCHEMES: dict[str, asymmetric.SignatureScheme] = {
    "RSASSA_PSS_SHA_256": asymmetric.RSA_PSS_SHA256,
    "RSASSA_PSS_SHA_384": asymmetric.RSA_PSS_SHA384,
    "RSASSA_PSS_SHA_512": asymmetric.RSA_PSS_SHA512,
    "RSASSA_PKCS1_V1_5_SHA_256": asymmetric.RSA_PKCS1_SHA256,
    "RSASSA_PKCS1_V1_5_SHA_384": asymmetric.RSA_PKCS1_SHA384,
    "RSASSA_PKCS1_V1_5_SHA_512": asymmetric.RSA_PKCS1_SHA512,
    "ECDSA_SHA_256": asymmetric.ECDSA_SHA256,
    "ECDSA_SHA_384": asymmetric.ECDSA_SHA384,
    "ECDSA_SHA_512": asymmetric.ECDSA_SHA512,
    "ED25519_SHA_512": asymmetric.ED25519,
    "ED25519_PH_SHA_512": asymmetric.ED25519_PH,
    "ML_DSA_SHAKE_256": asymmetric.ML_DSA,
}
"""Signing algorithms by AWS name."""

OAEP: dict[str, asymmetric.Oaep] = {
    "RSAES_OAEP_SHA_1": asymmetric.OAEP_SHA1,
    "RSAES_OAEP_SHA_256": asymmetric.OAEP_SHA256,
}
"""RSA encryption algorithms by AWS name."""

MAC_HASHES = {
    "HMAC_SHA_224": "sha224",
    "HMAC_SHA_256": "sha256",
    "HMAC_SHA_384": "sha384",
    "HMAC_SHA_512": "sha512",
}
"""MAC algorithms by AWS name, and the hash of each."""

_RSA_SIGNING = tuple(name for name in SIGNING_SCHEMES if name.startswith("RSASSA"))


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One KeySpec: its material and, per usage it allows, that usage's algorithms."""

    name: str
    form: MaterialForm
    usages: dict[str, tuple[str, ...]]
    kind: str = ""  # the `crypto.asymmetric` kind of an asymmetric spec
    hmac_bytes: tuple[int, int] = (0, 0)  # generated length; most an import may have

    @property
    def asymmetric(self) -> bool:
        """Whether the key has a public half."""
        return self.form == "private"


def _rsa(bits: int) -> KeySpec:
    return KeySpec(
        f"RSA_{bits}",
        "private",
        {ENCRYPT_DECRYPT: tuple(OAEP), SIGN_VERIFY: _RSA_SIGNING},
        kind=f"rsa{bits}",
    )


def _nist(bits: int, kind: str, ecdsa: str) -> KeySpec:
    return KeySpec(
        f"ECC_NIST_P{bits}", "private", {SIGN_VERIFY: (ecdsa,), KEY_AGREEMENT: ("ECDH",)}, kind
    )


def _hmac(bits: int) -> KeySpec:
    return KeySpec(
        f"HMAC_{bits}",
        "hmac",
        {GENERATE_VERIFY_MAC: (f"HMAC_SHA_{bits}",)},
        hmac_bytes=(bits // 8, 64 if bits <= 256 else 128),
    )


KEY_SPECS: dict[str, KeySpec] = {
    spec.name: spec
    for spec in (
        KeySpec(SYMMETRIC_DEFAULT, "symmetric", {ENCRYPT_DECRYPT: (SYMMETRIC_DEFAULT,)}),
        _rsa(2048),
        _rsa(3072),
        _rsa(4096),
        _nist(256, "p256", "ECDSA_SHA_256"),
        _nist(384, "p384", "ECDSA_SHA_384"),
        _nist(521, "p521", "ECDSA_SHA_512"),
        KeySpec("ECC_SECG_P256K1", "private", {SIGN_VERIFY: ("ECDSA_SHA_256",)}, "secp256k1"),
        KeySpec(
            "ECC_NIST_EDWARDS25519",
            "private",
            {SIGN_VERIFY: ("ED25519_SHA_512", "ED25519_PH_SHA_512")},
            "ed25519",
        ),
        KeySpec("ML_DSA_44", "private", {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}, "mldsa44"),
        KeySpec("ML_DSA_65", "private", {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}, "mldsa65"),
        KeySpec("ML_DSA_87", "private", {SIGN_VERIFY: ("ML_DSA_SHAKE_256",)}, "mldsa87"),
        _hmac(224),
        _hmac(256),
        _hmac(384),
        _hmac(512),
    )
}
"""Every KeySpec Strongroom serves (SM2, for China regions only, is not among them)."""

ALGORITHM_FIELDS = {
    ENCRYPT_DECRYPT: "EncryptionAlgorithms",
    SIGN_VERIFY: "SigningAlgorithms",
    GENERATE_VERIFY_MAC: "MacAlgorithms",
    KEY_AGREEMENT: "KeyAgreementAlgorithms",
}
"""The KeyMetadata field that lists a usage's algorithms."""


def algorithms(spec: str, usage: str) -> tuple[str, ...]:
    """The algorithms a key of `spec` and `usage` has."""
    return KEY_SPECS[spec].usages[usage]


def require_algorithm(spec: str, usage: str, algorithm: str) -> None:
    """Refuse an algorithm the key does not have, with AWS's InvalidKeyUsageException."""
    if algorithm not in KEY_SPECS[spec].usages.get(usage, ()):
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {spec}."
        )


def require_usage(arn: str, usage: str, wanted: str, operation: str) -> None:
    """Refuse an operation the key's usage does not allow."""
    if usage != wanted:
        raise InvalidKeyUsageException(
            f"{arn} key usage is {usage} which is not valid for {operation}."
        )


def require_symmetric(record_arn: str, usage: str, spec: str, operation: str) -> None:
    """Refuse a key other than a symmetric encryption key (GenerateDataKey, ...)."""
    require_usage(record_arn, usage, ENCRYPT_DECRYPT, operation)
    if spec != SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(
            f"{record_arn} key KeySpec is {spec} which is not valid for {operation}."
        )
