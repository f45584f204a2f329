"""Imported key material (Origin EXTERNAL), as AWS KMS users rely on it, end to end.

Material is made and wrapped here (cryptography), as an AWS user does, and imported with
GetParametersForImport + ImportKeyMaterial; then: the key works with exactly that material,
deleting or expiring it makes the key wait (PendingImport) until the SAME material comes
back, bad input changes nothing, imported symmetric keys rotate on demand to new imported
material, and the material never reaches a file of the data directory. (Importing public
test vectors and checking their answers is `test_kms_vectors.py`.)

The shared server's clock is never moved: tests that need time to pass (an expired import
token, material past its ValidTo) start a private server and move its dev clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.e2e.at_rest import data_files, files_holding, read_only, settled, tails_of
from tests.e2e.canary import debug_server, holders, printed
from tests.e2e.dev_clock import tick_at
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.kms_vectors import wrap_key_material

HOUR = 3600
DAY = 24 * HOUR
NEVER = "KEY_MATERIAL_DOES_NOT_EXPIRE"
EXPIRES = "KEY_MATERIAL_EXPIRES"
OAEP_256 = "RSAES_OAEP_SHA_256"
KEY_WRAP_256 = "RSA_AES_KEY_WRAP_SHA_256"
FAST = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}
VALID_TO_RULE = "A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES"


# --- how an AWS user imports --------------------------------------------------------


def parameters(
    kms: Any, key_id: str, algorithm: str = OAEP_256, spec: str = "RSA_2048"
) -> tuple[bytes, rsa.RSAPublicKey]:
    """GetParametersForImport: the import token and the wrapping public key."""
    answer = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec
    )
    public = serialization.load_der_public_key(answer["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey), type(public)
    return answer["ImportToken"], public


def import_material(
    kms: Any,
    key_id: str,
    material: bytes,
    algorithm: str = OAEP_256,
    spec: str = "RSA_2048",
    **options: Any,
) -> dict[str, Any]:
    """Wrap `material` under fresh parameters and import it; never expires unless
    `options` say otherwise (an option given as None is left out of the request)."""
    token, public = parameters(kms, key_id, algorithm, spec)
    request = {"ExpirationModel": NEVER, **options}
    answer: dict[str, Any] = kms.import_key_material(
        KeyId=key_id,
        ImportToken=token,
        EncryptedKeyMaterial=wrap_key_material(public, material, algorithm),
        **{name: value for name, value in request.items() if value is not None},
    )
    return answer


def external_key(kms: Any, **kwargs: Any) -> dict[str, Any]:
    """A new EXTERNAL key (KeyMetadata), checked to be waiting for its material."""
    metadata = new_key(kms, Origin="EXTERNAL", **kwargs)
    assert metadata["KeyState"] == "PendingImport", metadata
    return metadata


def metadata_of(kms: Any, key_id: str) -> dict[str, Any]:
    return kms.describe_key(KeyId=key_id)["KeyMetadata"]  # type: ignore[no-any-return]


def all_material(kms: Any, key_id: str) -> list[dict[str, Any]]:
    """ListKeyRotations with ALL_KEY_MATERIAL, without the per-call KeyId noise."""
    answer = kms.list_key_rotations(KeyId=key_id, IncludeKeyMaterial="ALL_KEY_MATERIAL")
    return answer["Rotations"]  # type: ignore[no-any-return]


def assert_pending_import(kms: Any, metadata: dict[str, Any], blob: bytes | None = None) -> None:
    """The key waits for material: not enabled, and refuses crypto as AWS words it."""
    now = metadata_of(kms, metadata["KeyId"])
    assert (now["KeyState"], now["Enabled"]) == ("PendingImport", False), now
    refusal = {
        "Code": "KMSInvalidStateException",
        "Message": f"{metadata['Arn']} is pending import.",
    }
    error = error_of(kms.encrypt, KeyId=metadata["KeyId"], Plaintext=b"x")
    assert {k: error[k] for k in refusal} == refusal
    if blob is not None:
        error = error_of(kms.decrypt, CiphertextBlob=blob)
        assert {k: error[k] for k in refusal} == refusal


def is_material_id(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value) <= set("0123456789abcdef")


def eventually(probe: Callable[[], Any], nudge: Callable[[], Any], seconds: float = 15.0) -> Any:
    """Poll `probe` until it is true, nudging the server between tries (bounded)."""
    deadline = time.monotonic() + seconds
    while not (value := probe()):
        assert time.monotonic() < deadline, "the server did not act in time"
        nudge()
        time.sleep(0.05)
    return value


def pkcs8(key: Any) -> bytes:
    return key.private_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def spki(key: Any) -> bytes:
    return key.public_bytes(  # type: ignore[no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def soon(delta: timedelta) -> datetime:
    return datetime.now(UTC) + delta


# --- fixtures -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def kms_m(strongroom_server: ServerProcess) -> Any:
    """A module-long KMS client for the shared server."""
    return strongroom_server.client("kms")


class Imported:
    """A symmetric EXTERNAL key with `material` imported (never expires) and a ciphertext
    made under it; `before` is what the key looked like then."""

    def __init__(self, kms: Any) -> None:
        self.metadata = external_key(kms)
        self.key_id: str = self.metadata["KeyId"]
        self.material = os.urandom(32)
        self.material_id: str = import_material(kms, self.key_id, self.material)["KeyMaterialId"]
        self.blob: bytes = kms.encrypt(KeyId=self.key_id, Plaintext=b"before")["CiphertextBlob"]
        self.before = (metadata_of(kms, self.key_id), all_material(kms, self.key_id))

    def assert_as_before(self, kms: Any) -> None:
        """Nothing changed: same metadata, same material list, the old ciphertext opens."""
        assert (metadata_of(kms, self.key_id), all_material(kms, self.key_id)) == self.before
        assert kms.decrypt(CiphertextBlob=self.blob)["Plaintext"] == b"before"


@pytest.fixture(scope="module")
def imported(kms_m: Any) -> Imported:
    return Imported(kms_m)


@pytest.fixture(scope="module")
def other_imported(kms_m: Any) -> Imported:
    return Imported(kms_m)


# --- a key before its material ----------------------------------------------------------


def test_an_external_key_waits_for_its_material(kms: Any) -> None:
    metadata = external_key(kms)
    assert metadata["Origin"] == "EXTERNAL" and metadata["Enabled"] is False
    assert "CurrentKeyMaterialId" not in metadata
    assert "ExpirationModel" not in metadata and "ValidTo" not in metadata
    assert_pending_import(kms, metadata)
    error = error_of(kms.generate_data_key, KeyId=metadata["KeyId"], KeySpec="AES_256")
    assert error["Code"] == "KMSInvalidStateException"
    assert error_of(kms.enable_key, KeyId=metadata["KeyId"])["Code"] == "KMSInvalidStateException"
    assert_pending_import(kms, metadata)


# --- symmetric import with each wrapping --------------------------------------------------


@pytest.mark.parametrize(
    ("algorithm", "spec"),
    [
        ("RSAES_OAEP_SHA_1", "RSA_2048"),
        ("RSAES_OAEP_SHA_256", "RSA_3072"),
        ("RSA_AES_KEY_WRAP_SHA_1", "RSA_2048"),
        ("RSA_AES_KEY_WRAP_SHA_256", "RSA_4096"),
    ],
)
def test_symmetric_material_imports_with_each_wrapping(kms: Any, algorithm: str, spec: str) -> None:
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    asked = time.time()
    answer = kms.get_parameters_for_import(
        KeyId=key_id, WrappingAlgorithm=algorithm, WrappingKeySpec=spec
    )
    assert answer["KeyId"] == metadata["Arn"]
    valid_for = answer["ParametersValidTo"].timestamp() - asked
    assert DAY - 60 < valid_for < DAY + 60, valid_for
    public = serialization.load_der_public_key(answer["PublicKey"])
    assert isinstance(public, rsa.RSAPublicKey) and f"RSA_{public.key_size}" == spec
    material = os.urandom(32)
    imported = kms.import_key_material(
        KeyId=key_id,
        ImportToken=answer["ImportToken"],
        EncryptedKeyMaterial=wrap_key_material(public, material, algorithm),
        ExpirationModel=NEVER,
    )
    assert is_material_id(imported["KeyMaterialId"]), imported
    after = metadata_of(kms, key_id)
    assert (after["KeyState"], after["Enabled"]) == ("Enabled", True)
    assert after["ExpirationModel"] == NEVER and "ValidTo" not in after
    assert after["CurrentKeyMaterialId"] == imported["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"imported", EncryptionContext={"a": "b"})
    opened = kms.decrypt(CiphertextBlob=blob["CiphertextBlob"], EncryptionContext={"a": "b"})
    assert (opened["Plaintext"], opened["KeyId"]) == (b"imported", metadata["Arn"])
    data_key = kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")
    assert (
        kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"])["Plaintext"]
        == (data_key["Plaintext"])
    )


# --- delete, re-import the same, refuse another ----------------------------------------------


def test_deleted_material_comes_back_only_as_the_same_material(kms: Any) -> None:
    metadata = external_key(kms)
    key_id, material = metadata["KeyId"], os.urandom(32)
    first = import_material(kms, key_id, material)["KeyMaterialId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]

    deleted = kms.delete_imported_key_material(KeyId=key_id)
    assert deleted["KeyMaterialId"] == first
    assert_pending_import(kms, metadata, blob)

    different = os.urandom(32)
    error = error_of(import_material, kms, key_id, different)
    assert error["Code"] == "IncorrectKeyMaterialException", error
    assert_pending_import(kms, metadata, blob)  # nothing changed

    again = import_material(kms, key_id, material)  # new parameters, the same material
    assert again["KeyMaterialId"] == first
    assert metadata_of(kms, key_id)["CurrentKeyMaterialId"] == first
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"


def test_reimporting_the_current_material_changes_only_its_expiry(
    kms: Any, other_imported: Imported
) -> None:
    """Reimport is how AWS users change ValidTo (ImportKeyMaterial: "You might also reimport
    key material to change the expiration model or expiration date"): same id, same
    ciphertext, new expiry."""
    key_id = other_imported.key_id
    valid_to = soon(timedelta(days=30)).replace(microsecond=0)
    answer = import_material(
        kms, key_id, other_imported.material, ExpirationModel=EXPIRES, ValidTo=valid_to
    )
    assert answer["KeyMaterialId"] == other_imported.material_id
    after = metadata_of(kms, key_id)
    assert after["ExpirationModel"] == EXPIRES and after["ValidTo"] == valid_to
    assert kms.decrypt(CiphertextBlob=other_imported.blob)["Plaintext"] == b"before"
    import_material(kms, key_id, other_imported.material)  # back to never expiring
    assert metadata_of(kms, key_id)["ExpirationModel"] == NEVER
    assert "ValidTo" not in metadata_of(kms, key_id)


def test_material_is_deleted_while_the_key_is_pending_deletion(kms: Any) -> None:
    """AWS: on a PendingDeletion key DeleteImportedKeyMaterial works and leaves the state."""
    metadata = external_key(kms)
    import_material(kms, metadata["KeyId"], os.urandom(32))
    kms.schedule_key_deletion(KeyId=metadata["KeyId"], PendingWindowInDays=7)
    answer = kms.delete_imported_key_material(KeyId=metadata["KeyId"])
    assert answer["KeyId"] == metadata["Arn"]
    assert metadata_of(kms, metadata["KeyId"])["KeyState"] == "PendingDeletion"
    assert [m["ImportState"] for m in all_material(kms, metadata["KeyId"])] == ["PENDING_IMPORT"]
    # cancelled, a key without its material waits for it: it cannot be enabled empty
    kms.cancel_key_deletion(KeyId=metadata["KeyId"])
    assert metadata_of(kms, metadata["KeyId"])["KeyState"] == "PendingImport"
    assert error_of(kms.enable_key, KeyId=metadata["KeyId"])["Code"] == "KMSInvalidStateException"
    never_imported = external_key(kms)["KeyId"]
    kms.schedule_key_deletion(KeyId=never_imported, PendingWindowInDays=7)
    kms.cancel_key_deletion(KeyId=never_imported)
    assert metadata_of(kms, never_imported)["KeyState"] == "PendingImport"


# --- bad input changes nothing ---------------------------------------------------------------

Request = dict[str, Any]
Build = Callable[[Any, str, bytes, Imported], Request]
"""A bad ImportKeyMaterial request: (client, key id, the key's right material, another
imported key) -> the request."""


def _wrapped(kms: Any, key_id: str, material: bytes, algorithm: str = OAEP_256) -> Request:
    token, public = parameters(kms, key_id, algorithm)
    return {
        "KeyId": key_id,
        "ImportToken": token,
        "EncryptedKeyMaterial": wrap_key_material(public, material, algorithm),
        "ExpirationModel": NEVER,
    }


def _token_of_another_key(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    # Wrapped under the other key's wrapping key, which the token names: only the key differs.
    return {**_wrapped(kms, other.key_id, material), "KeyId": key_id}


def _garbage_token(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    request = _wrapped(kms, key_id, material)
    return {**request, "ImportToken": os.urandom(len(request["ImportToken"]))}


def _not_wrapped(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    return {**_wrapped(kms, key_id, material), "EncryptedKeyMaterial": os.urandom(256)}


def _another_wrapping_key(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    theirs = _wrapped(kms, other.key_id, material)["EncryptedKeyMaterial"]
    return {**_wrapped(kms, key_id, material), "EncryptedKeyMaterial": theirs}


def _the_other_hash(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    token, public = parameters(kms, key_id, OAEP_256)
    return {
        "KeyId": key_id,
        "ImportToken": token,
        "EncryptedKeyMaterial": wrap_key_material(public, material, "RSAES_OAEP_SHA_1"),
        "ExpirationModel": NEVER,
    }


def _key_wrap_tampered(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    request = _wrapped(kms, key_id, material, KEY_WRAP_256)
    wrapped = bytearray(request["EncryptedKeyMaterial"])
    wrapped[-1] ^= 1  # in the AES-KWP part: its integrity check fails
    return {**request, "EncryptedKeyMaterial": bytes(wrapped)}


def _material(size: int) -> Build:
    def build(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
        return _wrapped(kms, key_id, os.urandom(size))

    return build


def _options(**options: Any) -> Build:
    def build(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
        request = {**_wrapped(kms, key_id, material), **options}
        return {name: value for name, value in request.items() if value is not None}

    return build


def _already_associated(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    return {**_wrapped(kms, key_id, material), "ImportType": "NEW_KEY_MATERIAL"}


def _other_material_id(kms: Any, key_id: str, material: bytes, other: Imported) -> Request:
    return {**_wrapped(kms, key_id, material), "KeyMaterialId": other.material_id}


INCORRECT = "IncorrectKeyMaterialException"
BAD_IMPORTS: dict[str, tuple[Build, str, str | None]] = {
    "token of another key": (_token_of_another_key, "InvalidImportTokenException", None),
    "garbage token": (_garbage_token, "InvalidImportTokenException", None),
    "not wrapped": (_not_wrapped, "InvalidCiphertextException", None),
    "another wrapping key": (_another_wrapping_key, "InvalidCiphertextException", None),
    "OAEP SHA-1 for SHA-256": (_the_other_hash, "InvalidCiphertextException", None),
    "key wrap tampered": (_key_wrap_tampered, "InvalidCiphertextException", None),
    "31 bytes": (_material(31), INCORRECT, None),
    "33 bytes": (_material(33), INCORRECT, None),
    "different 32 bytes": (_material(32), INCORRECT, None),
    "NEW_KEY_MATERIAL already associated": (_already_associated, INCORRECT, None),
    "KeyMaterialId of other material": (_other_material_id, INCORRECT, None),
    "EXPIRES without ValidTo": (
        _options(ExpirationModel=EXPIRES),
        "ValidationException",
        VALID_TO_RULE,
    ),
    "no ExpirationModel, no ValidTo": (
        _options(ExpirationModel=None),
        "ValidationException",
        VALID_TO_RULE,
    ),
    "ValidTo in the past": (
        _options(ExpirationModel=EXPIRES, ValidTo=soon(-timedelta(hours=1))),
        "ValidationException",
        None,
    ),
    "ValidTo past 365 days": (
        _options(ExpirationModel=EXPIRES, ValidTo=soon(timedelta(days=366))),
        "ValidationException",
        None,
    ),
    "ValidTo with DOES_NOT_EXPIRE": (
        _options(ValidTo=soon(timedelta(days=1))),
        "ValidationException",
        None,
    ),
}


@pytest.mark.parametrize("case", list(BAD_IMPORTS))
def test_a_refused_import_changes_nothing(
    kms_m: Any, imported: Imported, other_imported: Imported, case: str
) -> None:
    build, code, message = BAD_IMPORTS[case]
    request = build(kms_m, imported.key_id, imported.material, other_imported)
    error = error_of(kms_m.import_key_material, **request)
    assert error["Code"] == code, error
    if message is not None:
        assert error["Message"] == message
    imported.assert_as_before(kms_m)


@pytest.mark.parametrize(
    "case", ["garbage token", "not wrapped", "31 bytes", "no ExpirationModel, no ValidTo"]
)
def test_a_refused_first_import_leaves_the_key_pending(
    kms_m: Any, other_imported: Imported, case: str
) -> None:
    build, code, _ = BAD_IMPORTS[case]
    metadata = external_key(kms_m)
    key_id, material = metadata["KeyId"], os.urandom(32)
    error = error_of(kms_m.import_key_material, **build(kms_m, key_id, material, other_imported))
    assert error["Code"] == code, error
    assert_pending_import(kms_m, metadata)
    assert "CurrentKeyMaterialId" not in metadata_of(kms_m, key_id)
    import_material(kms_m, key_id, material)  # the refusal used nothing up
    assert metadata_of(kms_m, key_id)["KeyState"] == "Enabled"


@pytest.mark.parametrize("size", [16, 31, 65])
def test_hmac_256_material_outside_32_to_64_bytes_is_refused(kms_m: Any, size: int) -> None:
    metadata = external_key(kms_m, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    error = error_of(import_material, kms_m, metadata["KeyId"], os.urandom(size))
    assert error["Code"] == "IncorrectKeyMaterialException", error
    assert metadata_of(kms_m, metadata["KeyId"])["KeyState"] == "PendingImport"


def test_a_private_key_of_another_kind_is_refused(kms_m: Any) -> None:
    metadata = external_key(kms_m, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    for wrong in (
        rsa.generate_private_key(65537, 2048),
        ec.generate_private_key(ec.SECP384R1()),
    ):
        error = error_of(
            import_material, kms_m, metadata["KeyId"], pkcs8(wrong), algorithm=KEY_WRAP_256
        )
        assert error["Code"] == "IncorrectKeyMaterialException", error
        assert metadata_of(kms_m, metadata["KeyId"])["KeyState"] == "PendingImport"
    import_material(
        kms_m,
        metadata["KeyId"],
        pkcs8(ec.generate_private_key(ec.SECP256R1())),
        algorithm=KEY_WRAP_256,
    )
    assert metadata_of(kms_m, metadata["KeyId"])["KeyState"] == "Enabled"


def test_an_aws_kms_key_takes_no_imported_material(kms: Any) -> None:
    metadata = new_key(kms)
    blob = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"own")["CiphertextBlob"]
    before = metadata_of(kms, metadata["KeyId"])
    words = f"{metadata['Arn']} origin is AWS_KMS which is not valid for this operation."
    error = error_of(
        kms.get_parameters_for_import,
        KeyId=metadata["KeyId"],
        WrappingAlgorithm=OAEP_256,
        WrappingKeySpec="RSA_2048",
    )
    assert (error["Code"], error["Message"]) == ("UnsupportedOperationException", words)
    error = error_of(kms.delete_imported_key_material, KeyId=metadata["KeyId"])
    assert (error["Code"], error["Message"]) == ("UnsupportedOperationException", words)
    assert metadata_of(kms, metadata["KeyId"]) == before
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"own"


# --- asymmetric and HMAC material ------------------------------------------------------------


def assert_signs_as(kms: Any, key_id: str, local: ec.EllipticCurvePrivateKey) -> None:
    """KMS signs with the local key (verified locally) and verifies the local key's
    signatures; GetPublicKey is the local public key."""
    assert kms.get_public_key(KeyId=key_id)["PublicKey"] == spki(local.public_key())
    message = os.urandom(40)
    signed = kms.sign(KeyId=key_id, Message=message, SigningAlgorithm="ECDSA_SHA_256")
    local.public_key().verify(signed["Signature"], message, ec.ECDSA(hashes.SHA256()))
    mine = local.sign(message, ec.ECDSA(hashes.SHA256()))
    verdict = kms.verify(
        KeyId=key_id, Message=message, Signature=mine, SigningAlgorithm="ECDSA_SHA_256"
    )
    assert verdict["SignatureValid"] is True


def test_an_imported_signing_key_is_the_local_key(kms: Any) -> None:
    metadata = external_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    key_id, local = metadata["KeyId"], ec.generate_private_key(ec.SECP256R1())
    answer = import_material(kms, key_id, pkcs8(local), algorithm=KEY_WRAP_256)
    assert answer["KeyId"] == metadata["Arn"]
    assert metadata_of(kms, key_id)["ExpirationModel"] == NEVER
    assert_signs_as(kms, key_id, local)

    kms.delete_imported_key_material(KeyId=key_id)
    assert metadata_of(kms, key_id)["KeyState"] == "PendingImport"
    error = error_of(kms.sign, KeyId=key_id, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert (error["Code"], error["Message"]) == (
        "KMSInvalidStateException",
        f"{metadata['Arn']} is pending import.",
    )
    another = ec.generate_private_key(ec.SECP256R1())
    error = error_of(import_material, kms, key_id, pkcs8(another), algorithm=KEY_WRAP_256)
    assert error["Code"] == "IncorrectKeyMaterialException", error
    assert metadata_of(kms, key_id)["KeyState"] == "PendingImport"

    import_material(kms, key_id, pkcs8(local), algorithm=KEY_WRAP_256)
    assert metadata_of(kms, key_id)["KeyState"] == "Enabled"
    assert_signs_as(kms, key_id, local)


@pytest.mark.parametrize("size", [32, 47, 64])
def test_imported_hmac_key_macs_with_the_imported_bytes(kms_m: Any, size: int) -> None:
    metadata = external_key(kms_m, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    material, message = os.urandom(size), os.urandom(100)
    import_material(kms_m, metadata["KeyId"], material)
    mac = kms_m.generate_mac(KeyId=metadata["KeyId"], Message=message, MacAlgorithm="HMAC_SHA_256")
    assert mac["Mac"] == hmac.new(material, message, hashlib.sha256).digest()
    verdict = kms_m.verify_mac(
        KeyId=metadata["KeyId"],
        Message=message,
        MacAlgorithm="HMAC_SHA_256",
        Mac=hmac.new(material, message, hashlib.sha256).digest(),
    )
    assert verdict["MacValid"] is True


# --- rotation of imported symmetric keys -------------------------------------------------------


def test_imported_symmetric_key_rotates_on_demand_to_new_imported_material(kms: Any) -> None:
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    first = import_material(kms, key_id, os.urandom(32))["KeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    assert kms.list_key_rotations(KeyId=key_id)["Rotations"] == []
    refused = error_of(kms.rotate_key_on_demand, KeyId=key_id)  # nothing to rotate to yet
    assert refused["Code"] in ("UnsupportedOperationException", "KMSInvalidStateException")
    assert metadata_of(kms, key_id)["CurrentKeyMaterialId"] == first

    second = import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    second_id = second["KeyMaterialId"]
    assert is_material_id(second_id) and second_id != first
    assert metadata_of(kms, key_id)["CurrentKeyMaterialId"] == first  # not before the rotation
    listed = {m["KeyMaterialId"]: m for m in all_material(kms, key_id)}
    assert listed[first]["KeyMaterialState"] == "CURRENT"
    assert listed[second_id]["KeyMaterialState"] == "PENDING_ROTATION"
    assert listed[second_id]["ImportState"] == "IMPORTED"
    assert "RotationType" not in listed[second_id]

    assert kms.rotate_key_on_demand(KeyId=key_id)["KeyId"] in (key_id, metadata["Arn"])
    assert metadata_of(kms, key_id)["CurrentKeyMaterialId"] == second_id
    listed = {m["KeyMaterialId"]: m for m in all_material(kms, key_id)}
    assert listed[first]["KeyMaterialState"] == "NON_CURRENT"
    assert listed[second_id]["KeyMaterialState"] == "CURRENT"
    assert listed[second_id]["RotationType"] == "ON_DEMAND"
    assert [r["KeyMaterialId"] for r in kms.list_key_rotations(KeyId=key_id)["Rotations"]] == [
        second_id
    ]
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"old"
    assert kms.decrypt(CiphertextBlob=new_blob)["Plaintext"] == b"new"
    refused = error_of(kms.rotate_key_on_demand, KeyId=key_id)  # the pending one is used up
    assert refused["Code"] in ("UnsupportedOperationException", "KMSInvalidStateException")
    assert metadata_of(kms, key_id)["CurrentKeyMaterialId"] == second_id


def test_decrypt_names_the_key_material_it_used(kms: Any) -> None:
    """AWS's Decrypt answers KeyMaterialId for symmetric keys: after a rotation, old
    ciphertext names the old material and new ciphertext the new."""
    metadata = external_key(kms)
    key_id = metadata["KeyId"]
    first = import_material(kms, key_id, os.urandom(32))["KeyMaterialId"]
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"old")["CiphertextBlob"]
    second = import_material(kms, key_id, os.urandom(32), ImportType="NEW_KEY_MATERIAL")
    kms.rotate_key_on_demand(KeyId=key_id)
    new_blob = kms.encrypt(KeyId=key_id, Plaintext=b"new")["CiphertextBlob"]
    assert kms.decrypt(CiphertextBlob=old_blob).get("KeyMaterialId") == first
    assert kms.decrypt(CiphertextBlob=new_blob).get("KeyMaterialId") == second["KeyMaterialId"]


def test_describe_key_valid_to_is_the_earliest_expiry_of_the_key_material(kms: Any) -> None:
    """KeyMetadata.ValidTo is "the earliest time at which any imported key material
    permanently associated with this KMS key expires": after a rotation, the old material's
    expiry when it comes first (the key becomes unusable then)."""
    key_id = external_key(kms)["KeyId"]
    sooner = soon(timedelta(days=10)).replace(microsecond=0)
    later = soon(timedelta(days=30)).replace(microsecond=0)
    import_material(kms, key_id, os.urandom(32), ExpirationModel=EXPIRES, ValidTo=sooner)
    import_material(
        kms,
        key_id,
        os.urandom(32),
        ImportType="NEW_KEY_MATERIAL",
        ExpirationModel=EXPIRES,
        ValidTo=later,
    )
    kms.rotate_key_on_demand(KeyId=key_id)
    by_state = {m["KeyMaterialState"]: m["ValidTo"] for m in all_material(kms, key_id)}
    assert by_state == {"NON_CURRENT": sooner, "CURRENT": later}
    described = metadata_of(kms, key_id)
    assert (described["ExpirationModel"], described["ValidTo"]) == (EXPIRES, sooner)


def test_an_external_key_has_no_automatic_rotation(kms: Any, other_imported: Imported) -> None:
    error = error_of(kms.enable_key_rotation, KeyId=other_imported.key_id)
    assert error["Code"] == "UnsupportedOperationException", error
    assert kms.get_key_rotation_status(KeyId=other_imported.key_id)["KeyRotationEnabled"] is False


# --- time: expired tokens and expired material (private servers, dev clock) -------------------


def test_an_import_token_expires_after_24_hours(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server()
    kms = server.client("kms")
    metadata = external_key(kms)
    key_id, material = metadata["KeyId"], os.urandom(32)
    older = parameters(kms, key_id)
    newer = parameters(kms, key_id)

    tick_at(server, 23 * HOUR)  # an hour before both expire: the older set still works
    kms.import_key_material(
        KeyId=key_id,
        ImportToken=older[0],
        EncryptedKeyMaterial=wrap_key_material(older[1], material, OAEP_256),
        ExpirationModel=NEVER,
    )
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"t")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key_id)

    tick_at(server, DAY + 60)
    error = error_of(
        kms.import_key_material,
        KeyId=key_id,
        ImportToken=newer[0],
        EncryptedKeyMaterial=wrap_key_material(newer[1], material, OAEP_256),
        ExpirationModel=NEVER,
    )
    assert error["Code"] == "ExpiredImportTokenException", error
    assert_pending_import(kms, metadata, blob)
    import_material(kms, key_id, material)  # fresh parameters work
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"t"


def material_records(data_dir: Path, key_id: str) -> dict[str, bytes]:
    """Stored material of `key_id` (`keystores/software/<id>/<version>`): path -> tail."""
    with read_only(data_dir) as db:
        rows = db.execute(
            "SELECT path, value FROM entries WHERE path LIKE ?", (f"keystores/%{key_id}%",)
        ).fetchall()
    return tails_of(rows)


def test_expired_material_is_erased_and_comes_back_on_reimport(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir, extra_env=FAST)
    kms = server.client("kms")
    metadata = external_key(kms)
    key_id, material = metadata["KeyId"], os.urandom(32)
    valid_to = soon(timedelta(hours=2)).replace(microsecond=0)
    first = import_material(kms, key_id, material, ExpirationModel=EXPIRES, ValidTo=valid_to)
    described = metadata_of(kms, key_id)
    assert (described["ExpirationModel"], described["ValidTo"]) == (EXPIRES, valid_to)
    [listed] = all_material(kms, key_id)
    assert (listed["ExpirationModel"], listed["ValidTo"]) == (EXPIRES, valid_to)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"expiring")["CiphertextBlob"]
    stored = material_records(data_dir, key_id)
    assert stored and set(files_holding(data_dir, stored)) == set(stored)  # the probe finds it

    tick_at(server, HOUR)  # the scheduler ran an hour early: nothing expires
    assert metadata_of(kms, key_id)["KeyState"] == "Enabled"
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"expiring"

    tick_at(server, 3 * HOUR)
    eventually(
        lambda: metadata_of(kms, key_id)["KeyState"] == "PendingImport",
        nudge=lambda: tick_at(server, 3 * HOUR),
    )
    assert_pending_import(kms, metadata, blob)
    assert settled(lambda: material_records(data_dir, key_id)) == {}
    assert settled(lambda: files_holding(data_dir, stored)) == {}  # erased from every file

    again = import_material(kms, key_id, material)
    assert again["KeyMaterialId"] == first["KeyMaterialId"]
    assert metadata_of(kms, key_id)["ExpirationModel"] == NEVER
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"expiring"


# --- the material never reaches a file ----------------------------------------------------------


def test_imported_material_never_reaches_the_data_directory_or_the_log(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    server = debug_server(start_server, tmp_path)
    kms = server.client("kms")
    symmetric, newer, mac_key = os.urandom(32), os.urandom(32), os.urandom(48)
    probe = {"probe": b"..." + base64.b64encode(b"x" + symmetric) + b"..."}
    assert holders(probe, [symmetric]) == ["probe"]  # the search finds an encoded copy

    key_id = external_key(kms)["KeyId"]
    import_material(kms, key_id, symmetric, algorithm=KEY_WRAP_256)
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"c")["CiphertextBlob"]
    kms.delete_imported_key_material(KeyId=key_id)
    import_material(kms, key_id, symmetric)
    import_material(kms, key_id, newer, ImportType="NEW_KEY_MATERIAL")
    kms.rotate_key_on_demand(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"c"
    mac_id = external_key(kms, KeySpec="HMAC_384", KeyUsage="GENERATE_VERIFY_MAC")["KeyId"]
    import_material(kms, mac_id, mac_key)
    kms.generate_mac(KeyId=mac_id, Message=b"m", MacAlgorithm="HMAC_SHA_384")

    data_dir = tmp_path / "data"
    running = data_files(data_dir)
    assert any(key_id.encode() in data for data in running.values())  # the right directory
    assert holders(running, [symmetric, newer, mac_key]) == []
    server.stop()
    at_rest = {**data_files(data_dir), **printed(server)}
    assert holders(at_rest, [symmetric, newer, mac_key]) == []
