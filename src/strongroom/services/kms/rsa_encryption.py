"""Encryption with asymmetric RSA keys (ENCRYPT_DECRYPT), as Encrypt, Decrypt and
ReEncrypt do it for such a key.

The ciphertext is the bare RSA-OAEP output, as AWS makes it: it names no key (Decrypt
needs KeyId and EncryptionAlgorithm), carries no encryption context (which asymmetric
algorithms refuse), and anyone can make one locally with the public key from
GetPublicKey. A plaintext may be at most what one OAEP block carries for the key size and
hash (190 bytes for RSA_2048 with SHA-256, ...). Every failed decryption is the same
InvalidCiphertextException with no message.
"""

from __future__ import annotations

from collections.abc import Mapping

from strongroom.crypto import AuthenticationFailed
from strongroom.crypto.asymmetric import Oaep
from strongroom.errors import InvalidCiphertextException, ValidationException
from strongroom.services.kms import key_specs
from strongroom.services.kms.key_specs import ENCRYPT_DECRYPT, SYMMETRIC_DEFAULT
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.service import Kms, refuse_if_dry_run
from strongroom.services.kms.signing import private_key


def _oaep(
    record: KeyRecord, algorithm: str | None, context: Mapping[str, str] | None, op: str
) -> Oaep:
    key_specs.require_usage(record.arn, record.key_usage, ENCRYPT_DECRYPT, op)
    name = algorithm or SYMMETRIC_DEFAULT
    key_specs.require_algorithm(record.key_spec, record.key_usage, name)
    if context:
        raise ValidationException(
            f"EncryptionContext is not supported with asymmetric algorithm {name}."
        )
    return key_specs.OAEP[name]


def encrypt(
    kms: Kms,
    record: KeyRecord,
    plaintext: bytes,
    algorithm: str | None,
    context: Mapping[str, str] | None,
    operation: str,
    dry_run: bool,
) -> bytes:
    """RSA-OAEP ciphertext of `plaintext` under the key's public key."""
    oaep = _oaep(record, algorithm, context, operation)
    public = private_key(kms, record).public
    limit = oaep.max_plaintext(int(record.key_spec.removeprefix("RSA_")))
    if len(plaintext) > limit:
        raise ValidationException(
            f"Algorithm {algorithm} and key spec {record.key_spec} cannot encrypt data larger "
            f"than {limit} bytes."
        )
    refuse_if_dry_run(dry_run)
    return public.encrypt(oaep, plaintext)


def decrypt(
    kms: Kms,
    record: KeyRecord,
    ciphertext: bytes,
    algorithm: str | None,
    context: Mapping[str, str] | None,
    operation: str,
) -> bytes:
    """The plaintext of an RSA-OAEP ciphertext, or InvalidCiphertextException."""
    oaep = _oaep(record, algorithm, context, operation)
    try:
        return private_key(kms, record).decrypt(oaep, ciphertext)
    except AuthenticationFailed:
        raise InvalidCiphertextException("") from None
