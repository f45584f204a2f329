"""Public algorithm vectors (tests/vectors/kms_algorithms) and how their keys reach KMS.

The parsers turn the vendored files into cases of plain bytes; nothing in a case is
computed except the keys' encodings (PKCS#8, SubjectPublicKeyInfo) and the documented
HMAC key equivalence (`importable_hmac_key`). The import functions do what an AWS KMS user
does: CreateKey(Origin=EXTERNAL), GetParametersForImport, wrap the material locally,
ImportKeyMaterial. Each function asserts the AWS answers it relies on, so a failed import
says where it failed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

VECTORS = Path(__file__).parents[1] / "vectors" / "kms_algorithms"

#: The hash inside each AWS signing, MAC or encryption algorithm.
HASHES: dict[str, hashes.HashAlgorithm] = {
    **{f"ECDSA_SHA_{n}": getattr(hashes, f"SHA{n}")() for n in (256, 384, 512)},
    **{f"RSASSA_PSS_SHA_{n}": getattr(hashes, f"SHA{n}")() for n in (256, 384, 512)},
    **{f"RSASSA_PKCS1_V1_5_SHA_{n}": getattr(hashes, f"SHA{n}")() for n in (256, 384, 512)},
    **{f"HMAC_SHA_{n}": getattr(hashes, f"SHA{n}")() for n in (224, 256, 384, 512)},
    "RSAES_OAEP_SHA_1": hashes.SHA1(),
    "RSAES_OAEP_SHA_256": hashes.SHA256(),
}

#: AWS's length range (bytes) for imported HMAC key material, per key spec.
HMAC_IMPORT_BYTES = {
    "HMAC_224": (28, 64),
    "HMAC_256": (32, 64),
    "HMAC_384": (48, 128),
    "HMAC_512": (64, 128),
}

#: The RFC 4231 test cases in each vendored file, in order.
RFC_4231_CASES = (1, 2, 3, 4, 6, 7)

#: The one ECDSA algorithm AWS allows on each curve.
CURVES = {
    "P-256": ("ECC_NIST_P256", "ECDSA_SHA_256", ec.SECP256R1()),
    "P-384": ("ECC_NIST_P384", "ECDSA_SHA_384", ec.SECP384R1()),
    "P-521": ("ECC_NIST_P521", "ECDSA_SHA_512", ec.SECP521R1()),
}


@dataclass(frozen=True)
class VectorKey:
    """A vector's private key as KMS imports it, and its public key as GetPublicKey gives it."""

    name: str
    key_spec: str
    pkcs8: bytes = field(repr=False)
    public_der: bytes = field(repr=False)

    @classmethod
    def of(cls, name: str, key_spec: str, private: PrivateKeyTypes) -> VectorKey:
        pkcs8 = private.private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        public = private.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return cls(name, key_spec, pkcs8, public)

    def public_key(self) -> Any:
        return serialization.load_der_public_key(self.public_der)


@dataclass(frozen=True)
class SignatureCase:
    """A signature over `message` that the vector says is valid or not under `key`."""

    name: str
    key: VectorKey
    algorithm: str
    message: bytes
    signature: bytes
    valid: bool


@dataclass(frozen=True)
class MacCase:
    """An HMAC vector; `key` is the importable equivalent of the vector's key."""

    name: str
    key_spec: str
    algorithm: str
    key: bytes
    message: bytes
    mac: bytes


@dataclass(frozen=True)
class DecryptCase:
    """An RSA-OAEP ciphertext (empty label) of `plaintext` under `key`."""

    name: str
    key: VectorKey
    algorithm: str
    ciphertext: bytes
    plaintext: bytes


def _blocks(name: str) -> Iterator[list[str]]:
    """The non-comment lines of each blank-line-separated block of a vendored file."""
    for block in re.split(r"\n\s*\n", (VECTORS / name).read_text()):
        lines = [line.strip() for line in block.splitlines() if not line.startswith("#")]
        if any(lines):
            yield lines


def _fields(lines: list[str]) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def _cavs(name: str) -> Iterator[tuple[str, dict[str, str]]]:
    """NIST CAVS cases (blocks with `Msg`), each with its section and the section's values."""
    section, context = "", {}
    for lines in _blocks(name):
        if lines[0].startswith("["):
            section, context = lines[0], {}
            lines = lines[1:]
        values = _fields(lines)
        if "Msg" in values:
            yield section, context | values
        else:
            context |= values


def importable_hmac_key(key: bytes, key_spec: str, digest: hashes.HashAlgorithm) -> bytes:
    """A key with the same HMACs as `key` (RFC 2104 section 2: a key longer than the hash's
    block is replaced by its hash; a shorter one is padded with zero bytes to the block) that
    fits AWS's import range for `key_spec`, whose top is the block size."""
    if len(key) > digest.block_size:
        hasher = hashes.Hash(digest)
        hasher.update(key)
        key = hasher.finalize()
    return key.ljust(HMAC_IMPORT_BYTES[key_spec][0], b"\0")


def hmac_cases() -> list[MacCase]:
    """RFC 4231's test cases for each SHA-2 size (not 5: it truncates the MAC)."""
    cases = []
    for bits in (224, 256, 384, 512):
        key_spec, algorithm = f"HMAC_{bits}", f"HMAC_SHA_{bits}"
        found = _cavs(f"rfc-4231-sha{bits}.txt")
        for number, (_, values) in zip(RFC_4231_CASES, found, strict=True):
            key = importable_hmac_key(bytes.fromhex(values["Key"]), key_spec, HASHES[algorithm])
            msg, mac = bytes.fromhex(values["Msg"]), bytes.fromhex(values["MD"])
            cases.append(MacCase(f"sha{bits}-{number}", key_spec, algorithm, key, msg, mac))
    return cases


def ecdsa_rfc6979_cases() -> list[SignatureCase]:
    """OpenSSL's RFC 6979 verify vectors (valid and VERIFY_ERROR) for P-256/384/521."""
    cases, keys, curve = [], {}, ""
    for lines in _blocks("ecdsa-rfc6979.txt"):
        if lines[0].startswith("Title"):
            curve = lines[0].split()[4]
        elif lines[0].startswith("PrivateKey="):
            private = serialization.load_pem_private_key("\n".join(lines[1:]).encode(), None)
            keys[curve] = VectorKey.of(f"rfc6979-{curve}", CURVES[curve][0], private)
        elif "DigestVerify" in (values := _fields(lines)):
            valid = values.get("Result") != "VERIFY_ERROR"
            message = values["Input"].strip('"')
            name = f"rfc6979-{curve}-{message}-{'valid' if valid else 'invalid'}"
            signature = bytes.fromhex(values["Output"])
            cases.append(
                SignatureCase(
                    name, keys[curve], CURVES[curve][1], message.encode(), signature, valid
                )
            )
    return cases


def ecdsa_siggen_cases() -> list[SignatureCase]:
    """FIPS 186-3 ECDSA SigGen cases (each its own key), as DER signatures."""
    cases = []
    for number, (section, values) in enumerate(_cavs("ecdsa-siggen-186-3.txt"), start=1):
        curve = section.strip("[]").split(",")[0]
        key_spec, algorithm, group = CURVES[curve]
        private = ec.derive_private_key(int(values["d"], 16), group)
        key = VectorKey.of(f"siggen-{curve}-{number}", key_spec, private)
        signature = encode_dss_signature(int(values["R"], 16), int(values["S"], 16))
        msg = bytes.fromhex(values["Msg"])
        cases.append(SignatureCase(key.name, key, algorithm, msg, signature, valid=True))
    return cases


def rsa_private_key(p: int, q: int, e: int) -> rsa.RSAPrivateKey:
    """The RSA private key with primes `p`, `q` and public exponent `e`."""
    d = pow(e, -1, (p - 1) * (q - 1))
    public = rsa.RSAPublicNumbers(e, p * q)
    return rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public
    ).private_key()


def rsa_sigver_cases(name: str, padding_name: str) -> list[SignatureCase]:
    """CAVS RSA SigVer cases (SHA-256/384/512, e = 65537) for `RSASSA_<padding_name>_SHA_*`."""
    cases, keys = [], {}
    for number, (section, values) in enumerate(_cavs(name), start=1):
        p, q, e = (int(values[k], 16) for k in ("p", "q", "e"))
        assert p * q == int(values["n"], 16), section
        if section not in keys:
            bits = (p * q).bit_length()
            keys[section] = VectorKey.of(f"rsa-{bits}", f"RSA_{bits}", rsa_private_key(p, q, e))
        valid = values["Result"] == "P"
        # a failing case says why: "F (3 - Signature changed )"
        outcome = "P" if valid else "F" + values["Result"].split("(")[1].split()[0]
        algorithm = f"RSASSA_{padding_name}_SHA_{values['SHAAlg'][3:]}"
        msg, sig = bytes.fromhex(values["Msg"]), bytes.fromhex(values["S"])
        case = f"{keys[section].name}-{values['SHAAlg']}-{number}-{outcome}"
        cases.append(SignatureCase(case, keys[section], algorithm, msg, sig, valid))
    return cases


def _labelled(name: str) -> list[tuple[str, bytes]]:
    """PKCS#1 OAEP files: each `# Label:` line and the hex lines right after it."""
    items: list[tuple[str, str]] = []
    label = None
    for line in (VECTORS / name).read_text().splitlines():
        text = line.strip()
        if text.startswith("# ") and text.endswith(":"):
            label = text[2:-1]
            items.append((label, ""))
        elif text.startswith("#") or not text:
            label = None
        elif label is not None:
            items[-1] = (label, items[-1][1] + text.replace(" ", ""))
    return [
        (label, bytes.fromhex(value.rjust(len(value) + len(value) % 2, "0")))
        for label, value in items
    ]


def oaep_cases(name: str, algorithm: str) -> list[DecryptCase]:
    """The messages and ciphertexts of a PKCS#1 OAEP vector file's one key."""
    items = _labelled(name)
    first = {label: int.from_bytes(value) for label, value in reversed(items)}
    private = rsa_private_key(first["Prime 1"], first["Prime 2"], first["Public exponent"])
    assert private.public_key().public_numbers().n == first["Modulus"], name
    key = VectorKey.of(f"oaep-{algorithm[11:]}", f"RSA_{private.key_size}", private)
    messages = [value for label, value in items if label == "Message"]
    ciphertexts = [value for label, value in items if label == "Encryption"]
    assert len(messages) == len(ciphertexts) > 0, name
    return [
        DecryptCase(f"{algorithm}-{n}", key, algorithm, ciphertext, message)
        for n, (message, ciphertext) in enumerate(zip(messages, ciphertexts, strict=True), 1)
    ]


def ed25519_cases() -> list[SignatureCase]:
    """Lines of the Ed25519 `sign.input` (secret+public : public : message : signature+message)."""
    cases = []
    for number, line in enumerate((VECTORS / "ed25519-sign.input").read_text().split(), 1):
        secret_public, public, message, signed = (bytes.fromhex(f) for f in line.split(":")[:4])
        private = ed25519.Ed25519PrivateKey.from_private_bytes(secret_public[:32])
        key = VectorKey.of(f"ed25519-{number}", "ECC_NIST_EDWARDS25519", private)
        assert key.public_der.endswith(public), line[:16]
        cases.append(SignatureCase(key.name, key, "ED25519_SHA_512", message, signed[:64], True))
    return cases


def wrap_key_material(public: rsa.RSAPublicKey, material: bytes, algorithm: str) -> bytes:
    """Encrypt key material as AWS's wrapping `algorithm` says: RSAES_OAEP_* encrypt it under
    the RSA key; RSA_AES_KEY_WRAP_* encrypt a fresh AES-256 key under the RSA key (OAEP) and
    append the material wrapped under that AES key (RFC 5649, AES key wrap with padding)."""
    digest = hashes.SHA256() if algorithm.endswith("_SHA_256") else hashes.SHA1()
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    if algorithm.startswith("RSAES_OAEP_"):
        return public.encrypt(material, oaep)
    if algorithm.startswith("RSA_AES_KEY_WRAP_"):
        aes_key = os.urandom(32)
        return public.encrypt(aes_key, oaep) + keywrap.aes_key_wrap_with_padding(aes_key, material)
    raise ValueError(f"no such wrapping algorithm: {algorithm}")


def import_material(
    kms: Any, key_id: str, material: bytes, wrapping_algorithm: str, wrapping_key_spec: str
) -> None:
    """GetParametersForImport, wrap `material` locally, ImportKeyMaterial (never expires)."""
    params = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=wrapping_algorithm, WrappingKeySpec=wrapping_key_spec
    )
    public = serialization.load_der_public_key(params["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey), type(public)
    assert f"RSA_{public.key_size}" == wrapping_key_spec, public.key_size
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=params["ImportToken"],
        EncryptedKeyMaterial=wrap_key_material(public, material, wrapping_algorithm),
        ExpirationModel="KEY_MATERIAL_DOES_NOT_EXPIRE",
    )
    state = kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    assert state == "Enabled", f"{key_id} is {state} after ImportKeyMaterial"


def import_private_key(
    kms: Any, key_spec: str, key_usage: str, pkcs8_der: bytes, wrapping_key_spec: str = "RSA_4096"
) -> str:
    """A new EXTERNAL asymmetric KMS key holding `pkcs8_der` (RSA_AES_KEY_WRAP_SHA_256, the
    wrapping AWS requires for RSA private keys and allows for the others); its key id."""
    metadata = kms.create_key(KeySpec=key_spec, KeyUsage=key_usage, Origin="EXTERNAL")
    key_id: str = metadata["KeyMetadata"]["KeyId"]
    assert metadata["KeyMetadata"]["KeyState"] == "PendingImport", metadata["KeyMetadata"]
    import_material(kms, key_id, pkcs8_der, "RSA_AES_KEY_WRAP_SHA_256", wrapping_key_spec)
    return key_id


def import_hmac_key(
    kms: Any, key_spec: str, key: bytes, wrapping_key_spec: str = "RSA_4096"
) -> str:
    """A new EXTERNAL HMAC KMS key holding the raw `key` (RSAES_OAEP_SHA_256); its key id."""
    metadata = kms.create_key(KeySpec=key_spec, KeyUsage="GENERATE_VERIFY_MAC", Origin="EXTERNAL")
    key_id: str = metadata["KeyMetadata"]["KeyId"]
    assert metadata["KeyMetadata"]["KeyState"] == "PendingImport", metadata["KeyMetadata"]
    import_material(kms, key_id, key, "RSAES_OAEP_SHA_256", wrapping_key_spec)
    return key_id


class ImportedKeys:
    """Imports each vector key once per KMS client's lifetime (a module's fixture)."""

    def __init__(self, kms: Any) -> None:
        self.kms = kms
        self._ids: dict[tuple[str, str, bytes], str] = {}

    def private(self, key: VectorKey, key_usage: str) -> str:
        found = (key.key_spec, key_usage, key.pkcs8)
        if found not in self._ids:
            self._ids[found] = import_private_key(self.kms, key.key_spec, key_usage, key.pkcs8)
        return self._ids[found]

    def hmac(self, key_spec: str, key: bytes) -> str:
        # HMAC keys (at most 128 bytes) fit RSA_2048 OAEP; the short wrapping key keeps the
        # twenty HMAC imports quick. The private keys exercise RSA_4096.
        found = (key_spec, "GENERATE_VERIFY_MAC", key)
        if found not in self._ids:
            self._ids[found] = import_hmac_key(self.kms, key_spec, key, "RSA_2048")
        return self._ids[found]
