"""How Secrets Manager encrypts values: envelope encryption through Strongroom's own KMS.

Only through KMS's operation functions, with the caller marked as acting via
`secretsmanager.<region>.amazonaws.com`, so key state, authorization and audit apply to it
as to any caller; never KMS's storage. Each version's value is encrypted with a fresh
256-bit data key (GenerateDataKey) under the secret's key, with AWS's encryption context
`{"SecretARN": <arn>, "SecretVersionId": <version id>}`; only the wrapped data key is
kept. KMS's refusals become Secrets Manager's errors: EncryptionFailure on writes,
DecryptionFailure on reads, AccessDeniedException when KMS denies the caller.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping

import orjson

from strongroom.crypto import AuthenticationFailed, RandomBytes, aead
from strongroom.errors import (
    AccessDeniedException,
    DecryptionFailure,
    EncryptionFailure,
    StrongroomError,
)
from strongroom.services.caller import Caller
from strongroom.services.plugin import Operation
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

    def __init__(
        self,
        operations: Mapping[str, Operation],
        context: object,
        managed_key: Callable[[object, Caller], str],
        forget: Callable[[], None],
        random: RandomBytes,
    ) -> None:
        self._operations = operations
        self._context = context
        self._managed_key = managed_key
        self._forget = forget
        self._random = random

    def forget(self) -> None:
        """Drop KMS's caches (after a transaction that wrote through it rolled back)."""
        self._forget()

    @staticmethod
    def via(caller: Caller) -> Caller:
        """`caller`, acting through Secrets Manager (`kms:ViaService`)."""
        return dataclasses.replace(
            caller, via_service=f"secretsmanager.{caller.region}.amazonaws.com"
        )

    def _call(self, name: str, caller: Caller, **params: object) -> dict[str, object]:
        return self._operations[name](self._context, self.via(caller), **params)

    def _encrypting(
        self, name: str, caller: Caller, key_id: str | None, **params: object
    ) -> tuple[bytes, dict[str, object]]:
        """(CiphertextBlob, whole answer) of a KMS call that encrypts under `key_id`, KMS's
        refusals turned into Secrets Manager's write errors."""
        try:
            result = self._call(name, caller, KeyId=self.key_ref(caller, key_id), **params)
        except AccessDeniedException:
            raise AccessDeniedException(_KMS_DENIED) from None
        except StrongroomError as error:
            raise EncryptionFailure(_ENCRYPTION_FAILED + error.message) from None
        wrapped = result["CiphertextBlob"]
        assert isinstance(wrapped, bytes)
        return wrapped, result

    def key_ref(self, caller: Caller, key_id: str | None) -> str:
        """The key to use: `key_id`, or the AWS managed key (created on first use)."""
        if key_id:
            return key_id
        try:
            return self._managed_key(self._context, self.via(caller))
        except AccessDeniedException:
            raise AccessDeniedException(_KMS_DENIED) from None

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
        wrapped, result = self._encrypting(
            "GenerateDataKey",
            caller,
            key_id,
            KeySpec="AES_256",
            EncryptionContext=_context(arn, version_id),
        )
        data_key = result["Plaintext"]
        assert isinstance(data_key, bytes)
        nonce = self._random(aead.NONCE_BYTES)
        ciphertext = aead.encrypt(data_key, nonce, value, _associated_data(arn, version_id, binary))
        return SealedValue(binary, (wrapped,), nonce, ciphertext), str(result["KeyId"])

    def open(self, caller: Caller, arn: str, version_id: str, sealed: SealedValue) -> bytes:
        """The plaintext value, or DecryptionFailure / AccessDeniedException."""
        data_key = self._data_key(caller, arn, version_id, sealed)
        try:
            return aead.decrypt(
                data_key,
                sealed.nonce,
                sealed.ciphertext,
                _associated_data(arn, version_id, sealed.binary),
            )
        except AuthenticationFailed:
            raise DecryptionFailure(_DECRYPTION_FAILED) from None

    def _data_key(self, caller: Caller, arn: str, version_id: str, sealed: SealedValue) -> bytes:
        failure: StrongroomError | None = None
        for wrapped in sealed.wrapped_keys:
            try:
                result = self._call(
                    "Decrypt",
                    caller,
                    CiphertextBlob=wrapped,
                    EncryptionContext=_context(arn, version_id),
                )
            except AccessDeniedException:
                raise AccessDeniedException(_KMS_DENIED) from None
            except StrongroomError as error:
                failure = error
                continue
            plaintext = result["Plaintext"]
            assert isinstance(plaintext, bytes)
            return plaintext
        reason = "" if failure is None else failure.message
        raise DecryptionFailure(_DECRYPTION_FAILED + reason)

    def rewrap(
        self, caller: Caller, key_id: str | None, arn: str, version_id: str, sealed: SealedValue
    ) -> tuple[SealedValue, str]:
        """The same value, its data key also wrapped under `key_id` (newest first)."""
        data_key = self._data_key(caller, arn, version_id, sealed)
        wrapped, result = self._encrypting(
            "Encrypt",
            caller,
            key_id,
            Plaintext=data_key,
            EncryptionContext=_context(arn, version_id),
        )
        rewrapped = dataclasses.replace(sealed, wrapped_keys=(wrapped, *sealed.wrapped_keys))
        return rewrapped, str(result["KeyId"])

    def check_key(self, caller: Caller, key_id: str | None, arn: str) -> str:
        """The ARN of `key_id` once KMS shows it can encrypt for this secret (AWS's check
        with `SecretVersionId=RequestToValidateKeyAccess`)."""
        _, key_arn = self.seal(caller, key_id, arn, VALIDATE_ACCESS, b"", False)
        return key_arn
