"""KMS's encryption operations: the hot path.

Encrypt, Decrypt, ReEncrypt, GenerateDataKey(WithoutPlaintext) and GenerateRandom, on
symmetric keys (the ciphertext blob names its key) and on RSA keys (`rsa_encryption`:
the ciphertext is bare RSA-OAEP, so Decrypt needs KeyId). Keys and aliases come from the
repository's cache; material stays in the key store. Every failure to authenticate a
ciphertext is the same detail-free InvalidCiphertextException.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from strongroom.crypto import AuthenticationFailed
from strongroom.errors import (
    IncorrectKeyException,
    InvalidCiphertextException,
    InvalidKeyUsageException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.services.caller import Caller
from strongroom.services.kms import ciphertext_blob, key_specs, rsa_encryption
from strongroom.services.kms.key_access import algorithm_keys
from strongroom.services.kms.key_specs import ENCRYPT_DECRYPT, require_symmetric
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    refuse_if_dry_run,
    require_usable,
)

SYMMETRIC_DEFAULT = key_specs.SYMMETRIC_DEFAULT
MAX_CONTEXT_BYTES = 8192
_DATA_KEY_BYTES = {"AES_256": 32, "AES_128": 16}


def _check_algorithm(record: KeyRecord, algorithm: str | None) -> None:
    if algorithm is not None and algorithm != SYMMETRIC_DEFAULT:
        raise InvalidKeyUsageException(
            f"Algorithm {algorithm} is incompatible with key spec {record.key_spec}."
        )


def _is_symmetric(record: KeyRecord, operation: str) -> bool:
    """Whether the key encrypts symmetrically; an RSA encryption key is False, any other
    key InvalidKeyUsageException."""
    if record.key_spec == SYMMETRIC_DEFAULT:
        return True
    key_specs.require_usage(record.arn, record.key_usage, ENCRYPT_DECRYPT, operation)
    return False


def _check_context(context: Mapping[str, str] | None) -> None:
    if context and sum(len(k) + len(v) for k, v in context.items()) > MAX_CONTEXT_BYTES:
        raise ValidationException("The encryption context is larger than 8192 characters.")


def _refuse_extras(recipient: object, dry_run: bool) -> None:
    if recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclaves) is not supported by Strongroom."
        )
    refuse_if_dry_run(dry_run)


def seal(kms: Kms, record: KeyRecord, plaintext: bytes, context: Mapping[str, str] | None) -> bytes:
    """A ciphertext blob of `plaintext` under a symmetric key's current material."""
    version = record.current_version
    header = ciphertext_blob.header(record.key_id, version)
    aad = ciphertext_blob.associated_data(header, context)
    payload = kms.keystore(record).encrypt(record.material_name, version, plaintext, aad)
    return header + payload


def _open(
    kms: Kms,
    caller: Caller,
    blob_bytes: bytes,
    context: Mapping[str, str] | None,
    key_ref: str | None,
    action: str,
    algorithm: str | None,
) -> tuple[KeyRecord, bytes, int | None]:
    """The key, plaintext and (for a symmetric blob) material version of a ciphertext: a
    symmetric blob, or with `key_ref` naming an RSA key, a bare RSA-OAEP ciphertext."""
    keys = algorithm_keys(algorithm)
    named = (
        None
        if key_ref is None
        else authorized_key(kms, caller, action, key_ref, encryption_context=context, context=keys)
    )
    if named is not None and named.key_spec != SYMMETRIC_DEFAULT:
        require_usable(named)
        operation = "Decrypt" if action == "kms:Decrypt" else "ReEncrypt"
        _is_symmetric(named, operation)  # refuses keys that do not encrypt
        plaintext = rsa_encryption.decrypt(kms, named, blob_bytes, algorithm, context, operation)
        return named, plaintext, None
    _check_context(context)
    try:
        blob = ciphertext_blob.decode(blob_bytes)
    except ciphertext_blob.MalformedBlob:
        raise InvalidCiphertextException("") from None
    if named is not None and named.key_id != blob.key_id:
        raise IncorrectKeyException(
            "The key ID in the request does not identify a CMK that can perform this operation."
        )
    try:
        record = authorized_key(
            kms,
            caller,
            action,
            blob.key_id,
            check=require_usable,
            encryption_context=context,
            context=keys,
        )
    except NotFoundException:  # only the lookup raises it: a blob naming no key is bad
        raise InvalidCiphertextException("") from None
    if record.key_spec != SYMMETRIC_DEFAULT:  # a blob naming a key that makes none
        raise InvalidCiphertextException("")
    aad = ciphertext_blob.associated_data(blob.header(), context)
    try:
        plaintext = kms.keystore(record).decrypt(
            record.material_name, blob.material_version, blob.payload, aad
        )
    except AuthenticationFailed:
        raise InvalidCiphertextException("") from None
    return record, plaintext, blob.material_version


def encrypt(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Plaintext: bytes,
    EncryptionContext: dict[str, str] | None = None,
    GrantTokens: list[str] | None = None,
    EncryptionAlgorithm: str | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """Encrypt up to 4096 bytes under a symmetric key, or a few hundred under an RSA key."""
    record = authorized_key(
        kms,
        caller,
        "kms:Encrypt",
        KeyId,
        check=require_usable,
        encryption_context=EncryptionContext,
        context=algorithm_keys(EncryptionAlgorithm),
    )
    if not _is_symmetric(record, "Encrypt"):
        blob = rsa_encryption.encrypt(
            kms, record, Plaintext, EncryptionAlgorithm, EncryptionContext, "Encrypt", DryRun
        )
        kms.usage.used(record, "Encrypt")
        return {
            "CiphertextBlob": blob,
            "KeyId": record.arn,
            "EncryptionAlgorithm": EncryptionAlgorithm,
        }
    _check_algorithm(record, EncryptionAlgorithm)
    _check_context(EncryptionContext)
    _refuse_extras(None, DryRun)
    kms.usage.used(record, "Encrypt")
    return {
        "CiphertextBlob": seal(kms, record, Plaintext, EncryptionContext),
        "KeyId": record.arn,
        "EncryptionAlgorithm": SYMMETRIC_DEFAULT,
    }


def _require_blob(blob: bytes | None) -> bytes:
    if blob is None:
        raise ValidationException(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy "
            "constraint: Member must not be null"
        )
    return blob


def decrypt(
    kms: Kms,
    caller: Caller,
    *,
    CiphertextBlob: bytes | None = None,
    EncryptionContext: dict[str, str] | None = None,
    GrantTokens: list[str] | None = None,
    KeyId: str | None = None,
    EncryptionAlgorithm: str | None = None,
    Recipient: dict[str, Any] | None = None,
    DryRun: bool = False,
    DryRunModifiers: list[str] | None = None,
) -> dict[str, Any]:
    """Decrypt a blob made by Encrypt or GenerateDataKey (the blob names its key), or with
    KeyId naming an RSA key, a bare RSA-OAEP ciphertext."""
    CiphertextBlob = _require_blob(CiphertextBlob)
    _refuse_extras(Recipient, False)
    record, plaintext, version = _open(
        kms, caller, CiphertextBlob, EncryptionContext, KeyId, "kms:Decrypt", EncryptionAlgorithm
    )
    algorithm = _used_algorithm(record, EncryptionAlgorithm)
    _refuse_extras(None, DryRun)
    kms.usage.used(record, "Decrypt")
    result = {"KeyId": record.arn, "Plaintext": plaintext, "EncryptionAlgorithm": algorithm}
    if version is not None:
        result["KeyMaterialId"] = record.material_id_of(version)
    return result


def _used_algorithm(record: KeyRecord, algorithm: str | None) -> str:
    """The algorithm a ciphertext was opened with (checked for symmetric keys here; RSA
    keys checked theirs before decrypting)."""
    if record.key_spec == SYMMETRIC_DEFAULT:
        _check_algorithm(record, algorithm)
        return SYMMETRIC_DEFAULT
    return str(algorithm)


def re_encrypt(
    kms: Kms,
    caller: Caller,
    *,
    DestinationKeyId: str,
    CiphertextBlob: bytes | None = None,
    SourceEncryptionContext: dict[str, str] | None = None,
    SourceKeyId: str | None = None,
    DestinationEncryptionContext: dict[str, str] | None = None,
    SourceEncryptionAlgorithm: str | None = None,
    DestinationEncryptionAlgorithm: str | None = None,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
    DryRunModifiers: list[str] | None = None,
) -> dict[str, Any]:
    """Decrypt under the source key and encrypt under the destination, server side; either
    may be symmetric or RSA."""
    CiphertextBlob = _require_blob(CiphertextBlob)
    source, plaintext, source_version = _open(
        kms,
        caller,
        CiphertextBlob,
        SourceEncryptionContext,
        SourceKeyId,
        "kms:ReEncryptFrom",
        SourceEncryptionAlgorithm,
    )
    source_algorithm = _used_algorithm(source, SourceEncryptionAlgorithm)
    destination = authorized_key(
        kms,
        caller,
        "kms:ReEncryptTo",
        DestinationKeyId,
        check=require_usable,
        encryption_context=DestinationEncryptionContext,
        context=algorithm_keys(DestinationEncryptionAlgorithm),
    )
    if _is_symmetric(destination, "ReEncrypt"):
        _check_algorithm(destination, DestinationEncryptionAlgorithm)
        _check_context(DestinationEncryptionContext)
        _refuse_extras(None, DryRun)
        blob = seal(kms, destination, plaintext, DestinationEncryptionContext)
        destination_algorithm = SYMMETRIC_DEFAULT
    else:
        blob = rsa_encryption.encrypt(
            kms,
            destination,
            plaintext,
            DestinationEncryptionAlgorithm,
            DestinationEncryptionContext,
            "ReEncrypt",
            DryRun,
        )
        destination_algorithm = str(DestinationEncryptionAlgorithm)
    kms.usage.used(source, "ReEncrypt")
    kms.usage.used(destination, "ReEncrypt")
    result = {
        "CiphertextBlob": blob,
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": source_algorithm,
        "DestinationEncryptionAlgorithm": destination_algorithm,
    }
    if source_version is not None:
        result["SourceKeyMaterialId"] = source.material_id_of(source_version)
    if destination_algorithm == SYMMETRIC_DEFAULT:
        result["DestinationKeyMaterialId"] = destination.material_id_of(destination.current_version)
    return result


def _data_key_length(number_of_bytes: int | None, key_spec: str | None) -> int:
    if number_of_bytes is None and key_spec is None:
        raise ValidationException("Please specify either number of bytes or key spec.")
    if number_of_bytes is not None and key_spec is not None:
        raise ValidationException("Please specify either number of bytes or key spec, not both.")
    return number_of_bytes if number_of_bytes is not None else _DATA_KEY_BYTES[str(key_spec)]


def data_key_wrapper(
    kms: Kms, caller: Caller, action: str, key_ref: str, context: Mapping[str, str] | None
) -> KeyRecord:
    """The symmetric key that encrypts a data key (or data key pair) for `action`."""
    record = authorized_key(
        kms, caller, action, key_ref, check=require_usable, encryption_context=context
    )
    operation = action.removeprefix("kms:")
    require_symmetric(record.arn, record.key_usage, record.key_spec, operation)
    _check_context(context)
    return record


def _generate_data_key(
    kms: Kms,
    caller: Caller,
    action: str,
    key_ref: str,
    context: dict[str, str] | None,
    number_of_bytes: int | None,
    key_spec: str | None,
    dry_run: bool,
) -> dict[str, Any]:
    record = data_key_wrapper(kms, caller, action, key_ref, context)
    length = _data_key_length(number_of_bytes, key_spec)
    _refuse_extras(None, dry_run)
    plaintext = kms.random(length)
    kms.usage.used(record, action.removeprefix("kms:"))
    return {
        "CiphertextBlob": seal(kms, record, plaintext, context),
        "Plaintext": plaintext,
        "KeyId": record.arn,
        "KeyMaterialId": record.material_id_of(record.current_version),
    }


def generate_data_key(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    EncryptionContext: dict[str, str] | None = None,
    NumberOfBytes: int | None = None,
    KeySpec: str | None = None,
    GrantTokens: list[str] | None = None,
    Recipient: dict[str, Any] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """A fresh data key, in plaintext and encrypted under the key."""
    _refuse_extras(Recipient, False)
    return _generate_data_key(
        kms, caller, "kms:GenerateDataKey", KeyId, EncryptionContext, NumberOfBytes, KeySpec, DryRun
    )


def generate_data_key_without_plaintext(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    EncryptionContext: dict[str, str] | None = None,
    KeySpec: str | None = None,
    NumberOfBytes: int | None = None,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """A fresh data key, encrypted only."""
    result = _generate_data_key(
        kms,
        caller,
        "kms:GenerateDataKeyWithoutPlaintext",
        KeyId,
        EncryptionContext,
        NumberOfBytes,
        KeySpec,
        DryRun,
    )
    del result["Plaintext"]
    return result


def generate_random(
    kms: Kms,
    caller: Caller,
    *,
    NumberOfBytes: int | None = None,
    CustomKeyStoreId: str | None = None,
    Recipient: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """1 to 1024 random bytes from the system's CSPRNG."""
    caller.authorize("kms:GenerateRandom", "*")
    _refuse_extras(Recipient, False)
    if CustomKeyStoreId is not None:
        raise UnsupportedOperationException(
            "Custom key stores are not supported by Strongroom yet."
        )
    if NumberOfBytes is None:
        raise ValidationException("Please specify the number of bytes.")
    return {"Plaintext": kms.random(NumberOfBytes)}


OPERATIONS: dict[str, Operation] = {
    "Encrypt": encrypt,
    "Decrypt": decrypt,
    "ReEncrypt": re_encrypt,
    "GenerateDataKey": generate_data_key,
    "GenerateDataKeyWithoutPlaintext": generate_data_key_without_plaintext,
    "GenerateRandom": generate_random,
}
