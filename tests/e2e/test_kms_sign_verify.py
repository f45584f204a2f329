"""Sign, Verify and GetPublicKey for every asymmetric signing key spec, checked from outside.

Every signature KMS makes must verify three ways: through Verify; locally with pyca/
cryptography from the DER public key that GetPublicKey hands out; and with the `openssl`
command line (ML-DSA only with openssl 3.5 or later). Ed25519ph, which neither pyca nor
openssl 3.0 offer, is checked with the small RFC 8032 verifier at the end of this module.
Bad input gets AWS's errors and changes nothing. One key per spec per module (RSA 4096 key
generation is slow); tests that disable a key make their own.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, mldsa, padding, rsa

from tests.e2e import openssl_cli
from tests.e2e.ed25519ph import ed25519ph_verifies
from tests.e2e.kms_support import error_of, new_key

RSA_SPECS = ("RSA_2048", "RSA_3072", "RSA_4096")
RSA_ALGORITHMS = tuple(
    f"RSASSA_{scheme}_SHA_{bits}" for scheme in ("PSS", "PKCS1_V1_5") for bits in (256, 384, 512)
)
# AWS: each NIST curve signs with its own hash only; secp256k1 with SHA-256.
ECDSA = {
    "ECC_NIST_P256": "ECDSA_SHA_256",
    "ECC_NIST_P384": "ECDSA_SHA_384",
    "ECC_NIST_P521": "ECDSA_SHA_512",
    "ECC_SECG_P256K1": "ECDSA_SHA_256",
}
EDWARDS = "ECC_NIST_EDWARDS25519"
ED25519_PH = "ED25519_PH_SHA_512"
ML_DSA_SPECS = ("ML_DSA_44", "ML_DSA_65", "ML_DSA_87")
SIGNING_ALGORITHMS: dict[str, tuple[str, ...]] = {
    **{spec: RSA_ALGORITHMS for spec in RSA_SPECS},
    **{spec: (algorithm,) for spec, algorithm in ECDSA.items()},
    EDWARDS: ("ED25519_SHA_512", ED25519_PH),
    **{spec: ("ML_DSA_SHAKE_256",) for spec in ML_DSA_SPECS},
}
CURVES = {"ECC_NIST_P256": "secp256r1", "ECC_NIST_P384": "secp384r1"}
CURVES |= {"ECC_NIST_P521": "secp521r1", "ECC_SECG_P256K1": "secp256k1"}
ML_DSA_TYPES = {
    "ML_DSA_44": mldsa.MLDSA44PublicKey,
    "ML_DSA_65": mldsa.MLDSA65PublicKey,
    "ML_DSA_87": mldsa.MLDSA87PublicKey,
}
HASHES = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}


def _cases() -> list[tuple[str, str, str]]:
    """(spec, algorithm, message type) for every way AWS lets each key sign."""
    cases = []
    for spec, algorithms in SIGNING_ALGORITHMS.items():
        for algorithm in algorithms:
            if algorithm == "ED25519_SHA_512":
                cases.append((spec, algorithm, "RAW"))  # AWS: RAW only
            elif algorithm == ED25519_PH:
                cases.append((spec, algorithm, "DIGEST"))  # AWS: DIGEST only, hashed again
            elif algorithm == "ML_DSA_SHAKE_256":
                cases.append((spec, algorithm, "RAW"))  # EXTERNAL_MU: see its own test
            else:
                cases += [(spec, algorithm, "RAW"), (spec, algorithm, "DIGEST")]
    return cases


CASES = _cases()


@dataclass(frozen=True)
class SigningKey:
    """A KMS signing key and the public key GetPublicKey gave for it."""

    key_id: str
    arn: str
    public_der: bytes


@pytest.fixture(scope="module")
def keys(kms: Any) -> Callable[[str], SigningKey]:
    """One SIGN_VERIFY key per spec for the whole module, made on first use."""
    made: dict[str, SigningKey] = {}

    def key(spec: str) -> SigningKey:
        if spec not in made:
            meta = new_key(kms, KeySpec=spec, KeyUsage="SIGN_VERIFY")
            public = kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"]
            made[spec] = SigningKey(meta["KeyId"], meta["Arn"], public)
        return made[spec]

    return key


def hash_name(algorithm: str) -> str:
    """The hash a signing algorithm names (SHA_256 -> sha256)."""
    return "sha" + algorithm.rsplit("_", 1)[1]


def external_mu(public_der: bytes, message: bytes) -> bytes:
    """FIPS 204's mu for pure ML-DSA with an empty context, as AWS's EXTERNAL_MU takes it."""
    public = serialization.load_der_public_key(public_der)
    assert isinstance(
        public, mldsa.MLDSA44PublicKey | mldsa.MLDSA65PublicKey | mldsa.MLDSA87PublicKey
    )
    tr = hashlib.shake_256(public.public_bytes_raw()).digest(64)
    return hashlib.shake_256(tr + b"\x00\x00" + message).digest(64)


def message_for(key: SigningKey, message: bytes, algorithm: str, message_type: str) -> bytes:
    """What goes in Sign's Message: the message, its digest or its mu."""
    if message_type == "RAW":
        return message
    if message_type == "DIGEST":
        return hashlib.new(hash_name(algorithm), message).digest()
    return external_mu(key.public_der, message)


def verifies_locally(public_der: bytes, signature: bytes, message: bytes, algorithm: str) -> bool:
    """Does pyca/cryptography accept `signature` over `message` (the full message; for
    Ed25519ph, the message KMS prehashed, i.e. the caller's digest)?"""
    public: Any = serialization.load_der_public_key(public_der)
    try:
        if algorithm.startswith("RSASSA_"):
            chosen = HASHES[hash_name(algorithm)]
            scheme: padding.AsymmetricPadding = padding.PKCS1v15()
            if "_PSS_" in algorithm:  # AWS: MGF1 with the same hash, salt as long as the digest
                scheme = padding.PSS(padding.MGF1(chosen), padding.PSS.DIGEST_LENGTH)
            public.verify(signature, message, scheme, chosen)
        elif algorithm.startswith("ECDSA_"):
            public.verify(signature, message, ec.ECDSA(HASHES[hash_name(algorithm)]))
        elif algorithm == ED25519_PH:
            raw = public.public_bytes_raw()
            return ed25519ph_verifies(raw, signature, message)
        else:  # Ed25519 and ML-DSA (empty context) sign the message itself
            public.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def sign(kms: Any, key: SigningKey, message: bytes, algorithm: str, message_type: str) -> bytes:
    signed = kms.sign(
        KeyId=key.key_id, Message=message, MessageType=message_type, SigningAlgorithm=algorithm
    )
    assert signed["KeyId"] == key.arn
    assert signed["SigningAlgorithm"] == algorithm
    return signed["Signature"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("spec", "algorithm", "message_type"), CASES)
def test_signatures_verify_in_kms_and_locally(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str, message_type: str
) -> None:
    key = keys(spec)
    message = os.urandom(1000)
    sent = message_for(key, message, algorithm, message_type)
    signature = sign(kms, key, sent, algorithm, message_type)
    verified = kms.verify(
        KeyId=key.arn,
        Message=sent,
        MessageType=message_type,
        Signature=signature,
        SigningAlgorithm=algorithm,
    )
    assert verified["SignatureValid"] is True
    assert verified["KeyId"] == key.arn
    assert verified["SigningAlgorithm"] == algorithm
    # AWS: a message and its digest (or mu) are the same message to Verify. (RAW ML-DSA
    # signatures are not checked as mu here, so that RAW does not depend on EXTERNAL_MU.)
    other_type = {"DIGEST": "RAW", "EXTERNAL_MU": "RAW"}.get(message_type)
    if algorithm.startswith(("RSASSA_", "ECDSA_")) and message_type == "RAW":
        other_type = "DIGEST"
    if other_type is not None and not algorithm.startswith("ED25519"):
        other = message_for(key, message, algorithm, other_type)
        assert kms.verify(
            KeyId=key.key_id,
            Message=other,
            MessageType=other_type,
            Signature=signature,
            SigningAlgorithm=algorithm,
        )["SignatureValid"]
    local_message = sent if algorithm == ED25519_PH else message
    assert verifies_locally(key.public_der, signature, local_message, algorithm)
    assert not verifies_locally(key.public_der, signature, local_message + b"!", algorithm)


OPENSSL_CASES = [case for case in CASES if case[1] != ED25519_PH and case[2] != "EXTERNAL_MU"]


@pytest.mark.parametrize(("spec", "algorithm", "message_type"), OPENSSL_CASES)
def test_openssl_verifies_kms_signatures(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str, message_type: str
) -> None:
    if spec in ML_DSA_SPECS and not openssl_cli.supports_ml_dsa():
        pytest.skip(f"openssl {openssl_cli.version()} predates ML-DSA (3.5)")
    key = keys(spec)
    message = os.urandom(700)
    sent = message_for(key, message, algorithm, message_type)
    signature = sign(kms, key, sent, algorithm, message_type)
    options: dict[str, Any] = {"digest": None}
    if algorithm.startswith(("RSASSA_", "ECDSA_")):
        options = {"digest": hash_name(algorithm), "prehashed": message_type == "DIGEST"}
        options["pss"] = "_PSS_" in algorithm
    assert openssl_cli.verify(key.public_der, signature, sent, **options)
    tampered = bytes([sent[0] ^ 0x01]) + sent[1:]
    assert not openssl_cli.verify(key.public_der, signature, tampered, **options)


@pytest.mark.parametrize("spec", list(SIGNING_ALGORITHMS))
def test_describe_key_and_get_public_key_say_what_the_key_is(
    kms: Any, keys: Callable[[str], SigningKey], spec: str
) -> None:
    key = keys(spec)
    meta = kms.describe_key(KeyId=key.key_id)["KeyMetadata"]
    assert (meta["KeyUsage"], meta["KeySpec"], meta["KeyState"]) == ("SIGN_VERIFY", spec, "Enabled")
    assert sorted(meta["SigningAlgorithms"]) == sorted(SIGNING_ALGORITHMS[spec])
    for absent in ("EncryptionAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms"):
        assert absent not in meta
    public = kms.get_public_key(KeyId=key.arn)
    assert (public["KeyId"], public["KeySpec"], public["KeyUsage"]) == (
        key.arn,
        spec,
        "SIGN_VERIFY",
    )
    assert sorted(public["SigningAlgorithms"]) == sorted(SIGNING_ALGORITHMS[spec])
    assert "EncryptionAlgorithms" not in public and "KeyAgreementAlgorithms" not in public
    loaded = serialization.load_der_public_key(public["PublicKey"])
    if spec in RSA_SPECS:
        assert isinstance(loaded, rsa.RSAPublicKey)
        assert loaded.key_size == int(spec.removeprefix("RSA_"))
    elif spec in CURVES:
        assert isinstance(loaded, ec.EllipticCurvePublicKey)
        assert loaded.curve.name == CURVES[spec]
    elif spec == EDWARDS:
        assert isinstance(loaded, ed25519.Ed25519PublicKey)
    else:
        assert isinstance(loaded, ML_DSA_TYPES[spec])
    # the same key every time, and the one DescribeKey's key is
    assert kms.get_public_key(KeyId=key.key_id)["PublicKey"] == public["PublicKey"]


TAMPER_CASES = [
    ("RSA_2048", "RSASSA_PSS_SHA_256", "RAW"),
    ("RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384", "DIGEST"),
    ("ECC_NIST_P256", "ECDSA_SHA_256", "RAW"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256", "DIGEST"),
    (EDWARDS, "ED25519_SHA_512", "RAW"),
    (EDWARDS, ED25519_PH, "DIGEST"),
    ("ML_DSA_44", "ML_DSA_SHAKE_256", "RAW"),
]


@pytest.mark.parametrize(("spec", "algorithm", "message_type"), TAMPER_CASES)
def test_a_wrong_signature_is_kms_invalid_signature(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str, message_type: str
) -> None:
    key = keys(spec)
    sent = message_for(key, b"the contract, as signed", algorithm, message_type)
    signature = sign(kms, key, sent, algorithm, message_type)
    other = message_for(key, b"the contract, as altered", algorithm, message_type)
    wrong = [
        (sent, bytes([signature[0] ^ 0x01]) + signature[1:]),
        (sent, signature[:-1] + bytes([signature[-1] ^ 0x80])),
        (sent, signature[: len(signature) // 2]),
        (other, signature),
    ]
    for message, bad_signature in wrong:
        error = error_of(
            kms.verify,
            KeyId=key.key_id,
            Message=message,
            MessageType=message_type,
            Signature=bad_signature,
            SigningAlgorithm=algorithm,
        )
        assert error["Code"] == "KMSInvalidSignatureException"
        assert error["Message"] == ""  # AWS says nothing more about a failed verification
    # nothing changed: the real signature still verifies
    assert kms.verify(
        KeyId=key.key_id,
        Message=sent,
        MessageType=message_type,
        Signature=signature,
        SigningAlgorithm=algorithm,
    )["SignatureValid"]


def test_signature_checked_as_another_algorithm_or_key_is_invalid(
    kms: Any, keys: Callable[[str], SigningKey]
) -> None:
    rsa_key = keys("RSA_2048")
    signature = sign(kms, rsa_key, b"one", "RSASSA_PSS_SHA_256", "RAW")
    for algorithm in ("RSASSA_PKCS1_V1_5_SHA_256", "RSASSA_PSS_SHA_384"):
        error = error_of(
            kms.verify,
            KeyId=rsa_key.key_id,
            Message=b"one",
            Signature=signature,
            SigningAlgorithm=algorithm,
        )
        assert error["Code"] == "KMSInvalidSignatureException"
    ec_key = keys("ECC_NIST_P256")
    other_key = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    signature = sign(kms, ec_key, b"two", "ECDSA_SHA_256", "RAW")
    error = error_of(
        kms.verify,
        KeyId=other_key["KeyId"],
        Message=b"two",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert error["Code"] == "KMSInvalidSignatureException"


def test_raw_messages_stop_at_4096_bytes(
    kms: Any, raw_kms: Any, keys: Callable[[str], SigningKey]
) -> None:
    key = keys("ECC_NIST_P384")
    largest = os.urandom(4096)
    signature = sign(kms, key, largest, "ECDSA_SHA_384", "RAW")
    assert verifies_locally(key.public_der, signature, largest, "ECDSA_SHA_384")
    too_long = largest + b"x"
    error = error_of(
        raw_kms.sign,
        KeyId=key.key_id,
        Message=too_long,
        MessageType="RAW",
        SigningAlgorithm="ECDSA_SHA_384",
    )
    assert error["Code"] == "ValidationException"
    error = error_of(
        raw_kms.verify,
        KeyId=key.key_id,
        Message=too_long,
        MessageType="RAW",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_384",
    )
    assert error["Code"] == "ValidationException"
    assert (
        error_of(raw_kms.sign, KeyId=key.key_id, Message=b"", SigningAlgorithm="ECDSA_SHA_384")[
            "Code"
        ]
        == "ValidationException"
    )


@pytest.mark.parametrize(
    ("spec", "algorithm", "length"),
    [
        ("RSA_2048", "RSASSA_PSS_SHA_256", 31),
        ("RSA_2048", "RSASSA_PSS_SHA_256", 33),
        ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512", 48),
        ("ECC_NIST_P384", "ECDSA_SHA_384", 32),
        ("ECC_NIST_P521", "ECDSA_SHA_512", 65),
        (EDWARDS, ED25519_PH, 32),
        ("ML_DSA_65", "ML_DSA_SHAKE_256", 63),  # EXTERNAL_MU is 64 bytes exactly
    ],
)
def test_a_digest_of_the_wrong_length_is_refused(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str, length: int
) -> None:
    key = keys(spec)
    message_type = "EXTERNAL_MU" if spec in ML_DSA_SPECS else "DIGEST"
    signed_as = "RAW" if spec in ML_DSA_SPECS else message_type
    good = message_for(key, b"m", algorithm, signed_as)
    signature = sign(kms, key, good, algorithm, signed_as)
    wrong = os.urandom(length)
    common = {"KeyId": key.key_id, "MessageType": message_type, "SigningAlgorithm": algorithm}
    assert error_of(kms.sign, Message=wrong, **common)["Code"] == "ValidationException"
    error = error_of(kms.verify, Message=wrong, Signature=signature, **common)
    assert error["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("spec", "algorithm"),
    [
        ("ECC_NIST_P256", "ECDSA_SHA_384"),
        ("ECC_NIST_P256", "ECDSA_SHA_512"),
        ("ECC_NIST_P384", "ECDSA_SHA_256"),
        ("ECC_NIST_P521", "ECDSA_SHA_384"),
        ("ECC_SECG_P256K1", "ECDSA_SHA_512"),
        ("ECC_NIST_P256", "RSASSA_PSS_SHA_256"),
        ("ECC_NIST_P256", "ED25519_SHA_512"),
        ("RSA_2048", "ECDSA_SHA_256"),
        ("RSA_2048", "ML_DSA_SHAKE_256"),
        (EDWARDS, "ECDSA_SHA_512"),
        (EDWARDS, "RSASSA_PKCS1_V1_5_SHA_512"),
        ("ML_DSA_44", "ED25519_SHA_512"),
        ("ML_DSA_87", "ECDSA_SHA_512"),
    ],
)
def test_an_algorithm_the_key_does_not_support_is_invalid_key_usage(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str
) -> None:
    key = keys(spec)
    good_algorithm = SIGNING_ALGORITHMS[spec][0]
    signature = sign(kms, key, b"m", good_algorithm, "RAW")
    error = error_of(kms.sign, KeyId=key.key_id, Message=b"m", SigningAlgorithm=algorithm)
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(
        kms.verify,
        KeyId=key.key_id,
        Message=b"m",
        Signature=signature,
        SigningAlgorithm=algorithm,
    )
    assert error["Code"] == "InvalidKeyUsageException"


@pytest.mark.parametrize(
    ("algorithm", "message_type"), [("ED25519_SHA_512", "DIGEST"), (ED25519_PH, "RAW")]
)
def test_ed25519_message_types_are_not_interchangeable(
    kms: Any, keys: Callable[[str], SigningKey], algorithm: str, message_type: str
) -> None:
    """AWS: ED25519_SHA_512 requires RAW and ED25519_PH_SHA_512 requires DIGEST."""
    error = error_of(
        kms.sign,
        KeyId=keys(EDWARDS).key_id,
        Message=hashlib.sha512(b"m").digest(),
        MessageType=message_type,
        SigningAlgorithm=algorithm,
    )
    assert error["Code"] == "ValidationException"


@pytest.mark.parametrize(
    ("spec", "algorithm", "message_type"),
    [
        ("ML_DSA_44", "ML_DSA_SHAKE_256", "DIGEST"),
        ("ECC_NIST_P256", "ECDSA_SHA_256", "EXTERNAL_MU"),
        ("RSA_2048", "RSASSA_PSS_SHA_512", "EXTERNAL_MU"),
    ],
)
def test_a_message_type_the_algorithm_does_not_take_is_refused(
    kms: Any, keys: Callable[[str], SigningKey], spec: str, algorithm: str, message_type: str
) -> None:
    """ML-DSA takes RAW and EXTERNAL_MU only; EXTERNAL_MU is ML-DSA's alone. AWS documents the
    rule but not the error code, so either of its kms errors for bad input will do."""
    key = keys(spec)
    error = error_of(
        kms.sign,
        KeyId=key.key_id,
        Message=os.urandom(64),
        MessageType=message_type,
        SigningAlgorithm=algorithm,
    )
    assert error["Code"] in {"ValidationException", "InvalidKeyUsageException"}


def test_keys_that_do_not_sign_refuse_sign_verify_and_get_public_key(
    kms: Any, keys: Callable[[str], SigningKey]
) -> None:
    symmetric = new_key(kms)["KeyId"]
    for call, kwargs in (
        (kms.sign, {}),
        (kms.verify, {"Signature": b"\x30\x06\x02\x01\x01\x02\x01\x01"}),
    ):
        error = error_of(
            call, KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256", **kwargs
        )
        assert error["Code"] == "InvalidKeyUsageException"
    assert error_of(kms.get_public_key, KeyId=symmetric)["Code"] == (
        "UnsupportedOperationException"
    )
    # and signing keys do not encrypt
    for spec in ("RSA_2048", "ECC_NIST_P256"):
        key_id = keys(spec).key_id
        error = error_of(kms.encrypt, KeyId=key_id, Plaintext=b"secret")
        assert error["Code"] == "InvalidKeyUsageException"
        assert (
            error_of(kms.generate_data_key, KeyId=key_id, KeySpec="AES_256")["Code"]
            == "InvalidKeyUsageException"
        )
    error = error_of(
        kms.encrypt,
        KeyId=keys("RSA_2048").key_id,
        Plaintext=b"secret",
        EncryptionAlgorithm="RSAES_OAEP_SHA_256",
    )
    assert error["Code"] == "InvalidKeyUsageException"


def test_disabled_and_pending_deletion_keys_refuse_and_recover(kms: Any) -> None:
    meta = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    public = kms.get_public_key(KeyId=meta["KeyId"])["PublicKey"]
    key = SigningKey(meta["KeyId"], meta["Arn"], public)
    signature = sign(kms, key, b"before", "ECDSA_SHA_256", "RAW")
    sign_args = {"KeyId": key.key_id, "Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}
    verify_args = {
        "KeyId": key.key_id,
        "Message": b"before",
        "Signature": signature,
        "SigningAlgorithm": "ECDSA_SHA_256",
    }
    kms.disable_key(KeyId=key.key_id)
    assert error_of(kms.sign, **sign_args)["Code"] == "DisabledException"
    assert error_of(kms.verify, **verify_args)["Code"] == "DisabledException"
    # GetPublicKey still answers for a disabled key: AWS does (LocalStack's snapshot tests,
    # recorded against AWS), although its key-state table lists DisabledException.
    assert kms.get_public_key(KeyId=key.key_id)["PublicKey"] == public
    assert error_of(kms.sign, DryRun=True, **sign_args)["Code"] == "DisabledException"
    kms.schedule_key_deletion(KeyId=key.key_id, PendingWindowInDays=7)
    assert error_of(kms.sign, **sign_args)["Code"] == "KMSInvalidStateException"
    kms.cancel_key_deletion(KeyId=key.key_id)
    kms.enable_key(KeyId=key.key_id)
    assert kms.verify(**verify_args)["SignatureValid"]
    assert kms.get_public_key(KeyId=key.key_id)["PublicKey"] == public
    signature = sign(kms, key, b"after", "ECDSA_SHA_256", "RAW")
    assert verifies_locally(public, signature, b"after", "ECDSA_SHA_256")


def test_dry_run_says_whether_sign_and_verify_would_succeed(
    kms: Any, keys: Callable[[str], SigningKey]
) -> None:
    key = keys("ECC_NIST_P256")
    signature = sign(kms, key, b"dry", "ECDSA_SHA_256", "RAW")
    error = error_of(
        kms.sign, KeyId=key.key_id, Message=b"dry", SigningAlgorithm="ECDSA_SHA_256", DryRun=True
    )
    assert error["Code"] == "DryRunOperationException"
    error = error_of(
        kms.verify,
        KeyId=key.key_id,
        Message=b"dry",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
        DryRun=True,
    )
    assert error["Code"] == "DryRunOperationException"
    # the real error when the call would fail
    error = error_of(
        kms.sign, KeyId=key.key_id, Message=b"dry", SigningAlgorithm="ECDSA_SHA_384", DryRun=True
    )
    assert error["Code"] == "InvalidKeyUsageException"
    error = error_of(
        kms.verify,
        KeyId=new_key(kms)["KeyId"],
        Message=b"dry",
        Signature=signature,
        SigningAlgorithm="ECDSA_SHA_256",
        DryRun=True,
    )
    assert error["Code"] == "InvalidKeyUsageException"


def test_the_ed25519ph_verifier_knows_rfc_8032s_vector() -> None:
    """RFC 8032 section 7.3 (Ed25519ph, message "abc"): the verifier above is right."""
    public = bytes.fromhex("ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf")
    signature = bytes.fromhex(
        "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae41"
        "31f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406"
    )
    assert ed25519ph_verifies(public, signature, b"abc")
    assert not ed25519ph_verifies(public, signature, b"abd")


@pytest.mark.parametrize("spec", sorted(ML_DSA_SPECS))
def test_ml_dsa_external_mu_is_refused_by_name(
    kms: Any, keys: Callable[[str], SigningKey], spec: str
) -> None:
    """Strongroom cannot sign a precomputed mu (pyca/cryptography signs messages only):
    a well-formed EXTERNAL_MU request gets an error that names it, and nothing is signed."""
    key = keys(spec)
    mu = external_mu(key.public_der, b"message")
    error = error_of(
        kms.sign,
        KeyId=key.key_id,
        Message=mu,
        MessageType="EXTERNAL_MU",
        SigningAlgorithm="ML_DSA_SHAKE_256",
    )
    assert error["Code"] == "UnsupportedOperationException"
    assert "EXTERNAL_MU" in error["Message"]
