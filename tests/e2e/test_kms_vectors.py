"""KMS against public algorithm vectors, through boto3, as an AWS KMS user would check it.

Each vector key is imported once per module the way AWS documents it (`kms_vectors`:
EXTERNAL key, GetParametersForImport, local wrapping, ImportKeyMaterial). Then GetPublicKey
must give the vector's public key; Verify must accept exactly the signatures the vector
calls valid (any other answer is KMSInvalidSignatureException); the deterministic
algorithms (HMAC, RSASSA-PKCS1-v1_5, Ed25519) must reproduce the vector's bytes; the
randomized ones (ECDSA, RSASSA-PSS) must give signatures the vector's public key verifies
with AWS's parameters; Decrypt must recover the OAEP plaintexts. What was vendored, and what
was left out and why: tests/vectors/kms_algorithms/README.md.
"""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from tests.e2e import kms_vectors as kv
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of

HMAC = kv.hmac_cases()
ECDSA = kv.ecdsa_rfc6979_cases() + kv.ecdsa_siggen_cases()
RSA_PKCS1 = kv.rsa_sigver_cases("rsa-sigver15-186-3.rsp", "PKCS1_V1_5")
RSA_PSS = kv.rsa_sigver_cases("rsa-sigverpss-186-3.rsp", "PSS")  # failures only (README)
ED25519 = kv.ed25519_cases()
OAEP = kv.oaep_cases("rsa-oaep-sha1-vect.txt", "RSAES_OAEP_SHA_1") + kv.oaep_cases(
    "rsa-oaep-sha256-custom.txt", "RSAES_OAEP_SHA_256"
)
SIGNATURES = ECDSA + RSA_PKCS1 + RSA_PSS + ED25519
HASHED = [case for case in SIGNATURES if case.valid and case.algorithm in kv.HASHES]
DETERMINISTIC = [case for case in RSA_PKCS1 + ED25519 if case.valid]
# one case per key and algorithm: the message to sign and the key to check the result with
RANDOMIZED = list({(c.key.name, c.algorithm): c for c in ECDSA + RSA_PSS}.values())
PSS_KEYS = list({c.algorithm: c for c in RSA_PSS}.values())
KEYS = list(
    (
        {c.key.name: (c.key, "SIGN_VERIFY") for c in SIGNATURES}
        | {c.key.name: (c.key, "ENCRYPT_DECRYPT") for c in OAEP}
    ).values()
)
OAEP_KEYS = list({c.algorithm: c for c in OAEP}.values())


def names(cases: Any) -> list[str]:
    return [case.name for case in cases]


def changed(data: bytes) -> bytes:
    """`data` with its last bit flipped."""
    return data[:-1] + bytes([data[-1] ^ 1])


def digest_of(message: bytes, algorithm: str) -> bytes:
    hasher = hashes.Hash(kv.HASHES[algorithm])
    hasher.update(message)
    return hasher.finalize()


def verify_locally(key: kv.VectorKey, algorithm: str, message: bytes, signature: bytes) -> None:
    """Raise InvalidSignature unless `signature` holds under AWS's parameters for `algorithm`
    (RSASSA-PSS: MGF1 with the same hash, salt as long as the hash)."""
    digest = kv.HASHES[algorithm]
    if algorithm.startswith("ECDSA_"):
        key.public_key().verify(signature, message, ec.ECDSA(digest))
    else:
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
        key.public_key().verify(signature, message, pss, digest)


@pytest.fixture(scope="module")
def imported(strongroom_server: ServerProcess) -> kv.ImportedKeys:
    return kv.ImportedKeys(strongroom_server.client("kms"))


def arn_of(key_id: str) -> str:
    return f":key/{key_id}"


@pytest.mark.parametrize("case", HMAC, ids=names(HMAC))
def test_generate_mac_gives_the_rfc4231_mac(imported: kv.ImportedKeys, case: kv.MacCase) -> None:
    key_id = imported.hmac(case.key_spec, case.key)
    answer = imported.kms.generate_mac(
        KeyId=key_id, Message=case.message, MacAlgorithm=case.algorithm
    )
    assert answer["Mac"] == case.mac
    assert answer["MacAlgorithm"] == case.algorithm
    assert answer["KeyId"].endswith(arn_of(key_id))


@pytest.mark.parametrize("case", HMAC, ids=names(HMAC))
def test_verify_mac_accepts_the_rfc4231_mac_only(
    imported: kv.ImportedKeys, case: kv.MacCase
) -> None:
    key_id = imported.hmac(case.key_spec, case.key)
    request = {
        "KeyId": key_id,
        "Message": case.message,
        "Mac": case.mac,
        "MacAlgorithm": case.algorithm,
    }
    answer = imported.kms.verify_mac(**request)
    assert answer["MacValid"] is True
    assert answer["MacAlgorithm"] == case.algorithm
    wrong = [request | {"Mac": changed(case.mac)}, request | {"Message": changed(case.message)}]
    for bad in wrong:
        error = error_of(imported.kms.verify_mac, **bad)
        assert error["Code"] == "KMSInvalidMacException"


@pytest.mark.parametrize(("key", "usage"), KEYS, ids=[f"{k.name}-{u}" for k, u in KEYS])
def test_get_public_key_gives_the_vector_public_key(
    imported: kv.ImportedKeys, key: kv.VectorKey, usage: str
) -> None:
    key_id = imported.private(key, usage)
    answer = imported.kms.get_public_key(KeyId=key_id)
    assert answer["PublicKey"] == key.public_der
    assert (answer["KeySpec"], answer["KeyUsage"]) == (key.key_spec, usage)
    metadata = imported.kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert (metadata["Origin"], metadata["KeyState"]) == ("EXTERNAL", "Enabled")


@pytest.mark.parametrize("case", SIGNATURES, ids=names(SIGNATURES))
def test_verify_agrees_with_the_vector(imported: kv.ImportedKeys, case: kv.SignatureCase) -> None:
    key_id = imported.private(case.key, "SIGN_VERIFY")
    request = {
        "KeyId": key_id,
        "Message": case.message,
        "MessageType": "RAW",
        "Signature": case.signature,
        "SigningAlgorithm": case.algorithm,
    }
    if not case.valid:
        error = error_of(imported.kms.verify, **request)
        assert error["Code"] == "KMSInvalidSignatureException"
        return
    answer = imported.kms.verify(**request)
    assert answer["SignatureValid"] is True
    assert answer["SigningAlgorithm"] == case.algorithm
    assert answer["KeyId"].endswith(arn_of(key_id))
    error = error_of(imported.kms.verify, **(request | {"Message": changed(case.message)}))
    assert error["Code"] == "KMSInvalidSignatureException"


@pytest.mark.parametrize("case", HASHED, ids=names(HASHED))
def test_verify_takes_the_vector_message_as_a_digest(
    imported: kv.ImportedKeys, case: kv.SignatureCase
) -> None:
    answer = imported.kms.verify(
        KeyId=imported.private(case.key, "SIGN_VERIFY"),
        Message=digest_of(case.message, case.algorithm),
        MessageType="DIGEST",
        Signature=case.signature,
        SigningAlgorithm=case.algorithm,
    )
    assert answer["SignatureValid"] is True


@pytest.mark.parametrize("case", DETERMINISTIC, ids=names(DETERMINISTIC))
def test_sign_reproduces_the_deterministic_vector_signature(
    imported: kv.ImportedKeys, case: kv.SignatureCase
) -> None:
    key_id = imported.private(case.key, "SIGN_VERIFY")
    request = {"KeyId": key_id, "SigningAlgorithm": case.algorithm}
    answer = imported.kms.sign(**request, Message=case.message, MessageType="RAW")
    assert answer["Signature"] == case.signature
    assert answer["SigningAlgorithm"] == case.algorithm
    if case.algorithm in kv.HASHES:  # Ed25519 signs only RAW messages
        digest = digest_of(case.message, case.algorithm)
        answer = imported.kms.sign(**request, Message=digest, MessageType="DIGEST")
        assert answer["Signature"] == case.signature


@pytest.mark.parametrize("message_type", ["RAW", "DIGEST"])
@pytest.mark.parametrize(
    "case", RANDOMIZED, ids=[f"{c.key.name}-{c.algorithm}" for c in RANDOMIZED]
)
def test_sign_gives_what_the_vector_public_key_verifies(
    imported: kv.ImportedKeys, case: kv.SignatureCase, message_type: str
) -> None:
    key_id = imported.private(case.key, "SIGN_VERIFY")
    message = case.message if message_type == "RAW" else digest_of(case.message, case.algorithm)
    answer = imported.kms.sign(
        KeyId=key_id, Message=message, MessageType=message_type, SigningAlgorithm=case.algorithm
    )
    assert answer["SigningAlgorithm"] == case.algorithm
    verify_locally(case.key, case.algorithm, case.message, answer["Signature"])


@pytest.mark.parametrize("case", PSS_KEYS, ids=[c.algorithm for c in PSS_KEYS])
def test_verify_accepts_pss_with_a_salt_as_long_as_the_hash(
    imported: kv.ImportedKeys, case: kv.SignatureCase
) -> None:
    private = serialization.load_der_private_key(case.key.pkcs8, None)
    digest = kv.HASHES[case.algorithm]
    pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=digest.digest_size)
    signature = private.sign(case.message, pss, digest)
    answer = imported.kms.verify(
        KeyId=imported.private(case.key, "SIGN_VERIFY"),
        Message=case.message,
        MessageType="RAW",
        Signature=signature,
        SigningAlgorithm=case.algorithm,
    )
    assert answer["SignatureValid"] is True


@pytest.mark.parametrize("case", OAEP, ids=names(OAEP))
def test_decrypt_recovers_the_oaep_vector_plaintext(
    imported: kv.ImportedKeys, case: kv.DecryptCase
) -> None:
    key_id = imported.private(case.key, "ENCRYPT_DECRYPT")
    request = {"KeyId": key_id, "CiphertextBlob": case.ciphertext}
    answer = imported.kms.decrypt(**request, EncryptionAlgorithm=case.algorithm)
    assert answer["Plaintext"] == case.plaintext
    assert answer["EncryptionAlgorithm"] == case.algorithm
    assert answer["KeyId"].endswith(arn_of(key_id))
    other = {"RSAES_OAEP_SHA_1": "RSAES_OAEP_SHA_256"}.get(case.algorithm, "RSAES_OAEP_SHA_1")
    wrong = [
        request | {"EncryptionAlgorithm": other},
        request
        | {"EncryptionAlgorithm": case.algorithm, "CiphertextBlob": changed(case.ciphertext)},
    ]
    for bad in wrong:
        assert error_of(imported.kms.decrypt, **bad)["Code"] == "InvalidCiphertextException"


@pytest.mark.parametrize("case", OAEP_KEYS, ids=[c.algorithm for c in OAEP_KEYS])
def test_encrypt_opens_with_the_vector_private_key(
    imported: kv.ImportedKeys, case: kv.DecryptCase
) -> None:
    blob = imported.kms.encrypt(
        KeyId=imported.private(case.key, "ENCRYPT_DECRYPT"),
        Plaintext=case.plaintext,
        EncryptionAlgorithm=case.algorithm,
    )["CiphertextBlob"]
    private = serialization.load_der_private_key(case.key.pkcs8, None)
    digest = kv.HASHES[case.algorithm]
    oaep = padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)
    assert private.decrypt(blob, oaep) == case.plaintext
