"""How Secrets Manager encrypts values: `KmsEnvelope` with AWS's context and errors.

Each version's value is sealed under a fresh data key (see `services.kms_envelope`) with
AWS's encryption context `{"SecretARN": <arn>, "SecretVersionId": <version id>}`; the
associated data of the local seal binds the ARN, the version id and the value's kind.
KMS's refusals become Secrets Manager's errors: EncryptionFailure on writes,
DecryptionFailure on reads, AccessDeniedException when KMS denies the caller.
"""

from __future__ import annotations

import dataclasses

import orjson

from strongroom.crypto import AuthenticationFailed
from strongroom.errors import (
    AccessDeniedException,
    DecryptionFailure,
    EncryptionFailure,
    StrongroomError,
)
from strongroom.services.caller import Caller
from strongroom.services.kms_envelope import KmsEnvelope
from strongroom.services.secretsmanager.records import SealedValue

VALIDATE_ACCESS = "RequestToValidateKeyAccess"
"""The version id AWS puts in the context when it only checks that a key is usable."""
_KMS_DENIED = "Access to KMS is not allowed"
_ENCRYPTION_FAILED = (
    "Secrets Manager can't encrypt the secret value with the KMS key: make sure the key is "
    "available, enabled and not in an invalid state, and that it is a symmetric "
    "encryption key. KMS said: "
)
_DECRYPTION_FAILED = (
    "Secrets Manager can't decrypt the protected secret text using the provided KMS key. "
)


def _context(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


def _associated_data(arn: str, version_id: str, binary: bool) -> bytes:
    return orjson.dumps([arn, version_id, binary])


class KmsGateway:
    """KMS as Secrets Manager calls it."""

    def __init__(self, envelope: KmsEnvelope) -> None:
        self._envelope = envelope

    def forget(self) -> None:
        """Drop KMS's caches (after a transaction that wrote through it rolled back)."""
        self._envelope.forget()

    def seal(
        self,
        caller: Caller,
        key_id: str | None,
        arn: str,
        version_id: str,
        value: bytes,
        binary: bool,
    ) -> tuple[SealedValue, str]:
        """The value encrypted under a fresh data key from `key_id`, and that key's ARN."""
        try:
            sealed, key_arn = self._envelope.seal(
                caller,
                key_id,
                _context(arn, version_id),
                value,
                _associated_data(arn, version_id, binary),
            )
        except AccessDeniedException:
            raise AccessDeniedException(_KMS_DENIED) from None
        except StrongroomError as error:
            raise EncryptionFailure(_ENCRYPTION_FAILED + error.message) from None
        return SealedValue(binary, sealed.wrapped_keys, sealed.nonce, sealed.ciphertext), key_arn

    def open(self, caller: Caller, arn: str, version_id: str, sealed: SealedValue) -> bytes:
        """The plaintext value, or DecryptionFailure / AccessDeniedException."""
        try:
            return self._envelope.open(
                caller,
                sealed,  # read as it is (`Enveloped`): no copy into a `Sealed`
                _context(arn, version_id),
                _associated_data(arn, version_id, sealed.binary),
            )
        except AccessDeniedException:
            raise AccessDeniedException(_KMS_DENIED) from None
        except StrongroomError as error:
            raise DecryptionFailure(_DECRYPTION_FAILED + error.message) from None
        except AuthenticationFailed:
            raise DecryptionFailure(_DECRYPTION_FAILED) from None

    def rewrap(
        self, caller: Caller, key_id: str | None, arn: str, version_id: str, sealed: SealedValue
    ) -> tuple[SealedValue, str]:
        """The same value, its data key also wrapped under `key_id` (newest first)."""
        try:
            wrapped_keys, key_arn = self._envelope.rewrap(
                caller, key_id, sealed, _context(arn, version_id)
            )
        except AccessDeniedException:
            raise AccessDeniedException(_KMS_DENIED) from None
        except StrongroomError as error:
            raise EncryptionFailure(_ENCRYPTION_FAILED + error.message) from None
        return dataclasses.replace(sealed, wrapped_keys=wrapped_keys), key_arn

    def check_key(self, caller: Caller, key_id: str | None, arn: str) -> str:
        """The ARN of `key_id` once KMS shows it can encrypt for this secret (AWS's check
        with `SecretVersionId=RequestToValidateKeyAccess`)."""
        _, key_arn = self.seal(caller, key_id, arn, VALIDATE_ACCESS, b"", False)
        return key_arn
