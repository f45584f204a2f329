"""Envelope encryption through Strongroom's own KMS, as an AWS service on top of it does it.

Secrets Manager and Parameter Store encrypt values this way: a fresh 256-bit data key
from KMS GenerateDataKey under the resource's key, the value sealed locally with it
(AES-256-GCM), only the KMS-wrapped data key kept. They reach KMS only through its
operation functions, with the caller marked as acting via `<service>.<region>.amazonaws.com`
(`kms:ViaService`), so key state, authorization and audit apply as to any caller; never
KMS's storage. KMS's refusals come out as they are: each service says them in its own
words. Without a key named, the service's AWS managed key (`alias/aws/<service>`) is used,
made by KMS on first use.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from strongroom.crypto import RandomBytes, aead
from strongroom.errors import StrongroomError
from strongroom.services.caller import Caller
from strongroom.services.kms import aws_managed_key
from strongroom.services.plugin import Operation, ServicePlugin


@dataclasses.dataclass(frozen=True, slots=True)
class Sealed:
    """A value sealed under a data key, and that key as KMS wrapped it (newest first)."""

    wrapped_keys: tuple[bytes, ...]
    nonce: bytes
    ciphertext: bytes


class Enveloped(Protocol):
    """What opening or rewrapping a sealed value reads: `Sealed`, or a service's own
    record of one (so neither needs a copy into a `Sealed`)."""

    @property
    def wrapped_keys(self) -> tuple[bytes, ...]:
        """The data key as KMS wrapped it, newest first."""
        ...

    @property
    def nonce(self) -> bytes:
        """The AES-GCM nonce of `ciphertext`."""
        ...

    @property
    def ciphertext(self) -> bytes:
        """The value, sealed under the data key (tag appended)."""
        ...


class KmsEnvelope:
    """KMS, as the service `service` calls it."""

    def __init__(self, service: str, kms: ServicePlugin, random: RandomBytes) -> None:
        self._service = service
        self._operations: Mapping[str, Operation] = kms.operations
        self._context = kms.context
        self._managed_key: Callable[[Any, Caller], str] = aws_managed_key
        self._forget = kms.forget
        self._random = random
        self._via: dict[str, str] = {}  # region -> "<service>.<region>.amazonaws.com"
        self._last_via: tuple[Caller, Caller] | None = None  # (caller, `via(caller)`)

    def forget(self) -> None:
        """Drop KMS's caches (after a transaction that wrote through it rolled back: a
        managed key made inside it must not stay cached)."""
        self._forget()

    def via(self, caller: Caller) -> Caller:
        """`caller`, acting through the service (`kms:ViaService`)."""
        # Every request brings a new Caller, but mostly one equal to the last (the same
        # principal, region and origin): comparing its fields costs a quarter of building
        # the copy, and an equal caller's copy is equal too. The authorizer must be the
        # same object, not merely an equal one: it decides.
        last = self._last_via  # read once: another thread may replace it meanwhile
        if last is not None and last[0] == caller and last[0].authorizer is caller.authorizer:
            return last[1]
        via = self._via.get(caller.region)
        if via is None:
            via = self._via.setdefault(
                caller.region, f"{self._service}.{caller.region}.amazonaws.com"
            )
        acting = caller.via(via)
        self._last_via = (caller, acting)
        return acting

    def call(self, name: str, caller: Caller, **params: object) -> dict[str, Any]:
        """KMS operation `name`, called via the service."""
        return self._operations[name](self._context, self.via(caller), **params)

    def key_ref(self, caller: Caller, key_id: str | None) -> str:
        """The key to use: `key_id`, or the service's AWS managed key."""
        return key_id or self._managed_key(self._context, self.via(caller))

    def seal(
        self,
        caller: Caller,
        key_id: str | None,
        context: dict[str, str],
        value: bytes,
        aad: bytes,
    ) -> tuple[Sealed, str]:
        """`value` sealed under a fresh data key from `key_id`; and that key's ARN."""
        result = self.call(
            "GenerateDataKey",
            caller,
            KeyId=self.key_ref(caller, key_id),
            KeySpec="AES_256",
            EncryptionContext=context,
        )
        nonce = self._random(aead.NONCE_BYTES)
        ciphertext = aead.encrypt(result["Plaintext"], nonce, value, aad)
        return Sealed((result["CiphertextBlob"],), nonce, ciphertext), str(result["KeyId"])

    def data_key(self, caller: Caller, sealed: Enveloped, context: dict[str, str]) -> bytes:
        """The plaintext data key from the first wrap KMS opens; else KMS's last refusal."""
        failure: StrongroomError | None = None
        decrypt, via = self._operations["Decrypt"], self.via(caller)  # `call`, unrolled
        for wrapped in sealed.wrapped_keys:
            try:
                result = decrypt(
                    self._context, via, CiphertextBlob=wrapped, EncryptionContext=context
                )
            except StrongroomError as error:  # the next wrap may open
                failure = error
                continue
            plaintext = result["Plaintext"]
            assert isinstance(plaintext, bytes)
            return plaintext
        assert failure is not None
        raise failure

    def open(self, caller: Caller, sealed: Enveloped, context: dict[str, str], aad: bytes) -> bytes:
        """The plaintext value (KMS's refusal, or `AuthenticationFailed`, as raised)."""
        data_key = self.data_key(caller, sealed, context)
        return aead.decrypt(data_key, sealed.nonce, sealed.ciphertext, aad)

    def rewrap(
        self, caller: Caller, key_id: str | None, sealed: Enveloped, context: dict[str, str]
    ) -> tuple[tuple[bytes, ...], str]:
        """The sealed value's wrapped data keys with one more under `key_id` (first), and
        that key's ARN; nonce and ciphertext stay as they are."""
        data_key = self.data_key(caller, sealed, context)
        result = self.call(
            "Encrypt",
            caller,
            KeyId=self.key_ref(caller, key_id),
            Plaintext=data_key,
            EncryptionContext=context,
        )
        return (result["CiphertextBlob"], *sealed.wrapped_keys), str(result["KeyId"])
