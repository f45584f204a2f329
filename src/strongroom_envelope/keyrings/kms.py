"""KMS keyrings: wrap data keys with AWS KMS or Strongroom keys, through a boto3 client.

`KmsKeyring` encrypts with a generator key (GenerateDataKey, or Encrypt when another keyring
already made the data key) plus any extra keys (Encrypt), and decrypts only encrypted data
keys made by its configured keys. `KmsDiscoveryKeyring` decrypts any KMS-wrapped data key
whose key ARN passes its allow-list and account filter, and never encrypts. Every call
passes the full encryption context, which KMS binds to the ciphertext; every response's
key id and plaintext length are checked. The client is anything with boto3's KMS methods
(`generate_data_key`, `encrypt`, `decrypt`), so the same keyring works against AWS KMS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strongroom_envelope.errors import KeyringError, NoDecryptableKeyError
from strongroom_envelope.keyrings.kms_arn import parse_key_arn
from strongroom_envelope.materials import DecryptionMaterials, EncryptedDataKey, EncryptionMaterials

__all__ = ["PROVIDER_ID", "KmsDiscoveryKeyring", "KmsKeyring"]

PROVIDER_ID = "aws-kms"


def _error_code(exc: Exception) -> str:
    """A safe one-line description of a failed KMS call (its AWS error code)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip().rstrip(":")
    return type(exc).__name__


def _kms_arns(
    encrypted_data_keys: Iterable[EncryptedDataKey],
) -> Iterable[tuple[EncryptedDataKey, str]]:
    """The KMS-wrapped data keys, with the key ARN each names."""
    for edk in encrypted_data_keys:
        if edk.provider_id != PROVIDER_ID:
            continue
        try:
            arn = edk.provider_info.decode()
        except UnicodeDecodeError:
            continue
        if parse_key_arn(arn) is not None:
            yield edk, arn


class _KmsCalls:
    """The KMS calls a keyring makes, with the response checks the spec requires."""

    def __init__(self, client: Any, grant_tokens: Sequence[str]) -> None:
        self.client = client
        self.grant_tokens = list(grant_tokens)

    def generate(self, key_id: str, materials: EncryptionMaterials) -> EncryptionMaterials:
        try:
            response = self.client.generate_data_key(
                KeyId=key_id,
                NumberOfBytes=materials.suite.key_length,
                EncryptionContext=dict(materials.encryption_context),
                GrantTokens=self.grant_tokens,
            )
        except Exception as exc:
            raise KeyringError(
                f"KMS GenerateDataKey with {key_id} failed: {_error_code(exc)}"
            ) from exc
        arn = self._arn(response, key_id)
        plaintext = response.get("Plaintext", b"")
        if len(plaintext) != materials.suite.key_length:
            raise KeyringError("KMS GenerateDataKey returned a data key of the wrong length")
        materials = materials.with_data_key(plaintext)
        edk = EncryptedDataKey(PROVIDER_ID, arn.encode(), self._blob(response))
        return materials.with_encrypted_data_key(edk)

    def wrap(self, key_id: str, materials: EncryptionMaterials) -> EncryptionMaterials:
        try:
            response = self.client.encrypt(
                KeyId=key_id,
                Plaintext=materials.data_key,
                EncryptionContext=dict(materials.encryption_context),
                GrantTokens=self.grant_tokens,
            )
        except Exception as exc:
            raise KeyringError(f"KMS Encrypt with {key_id} failed: {_error_code(exc)}") from exc
        arn = self._arn(response, key_id)
        edk = EncryptedDataKey(PROVIDER_ID, arn.encode(), self._blob(response))
        return materials.with_encrypted_data_key(edk)

    def unwrap(
        self, key_id: str, arn: str, edk: EncryptedDataKey, materials: DecryptionMaterials
    ) -> bytes:
        response = self.client.decrypt(
            KeyId=key_id,
            CiphertextBlob=edk.ciphertext,
            EncryptionContext=dict(materials.encryption_context),
            GrantTokens=self.grant_tokens,
        )
        plaintext: bytes = response.get("Plaintext", b"")
        if response.get("KeyId") != arn or len(plaintext) != materials.suite.key_length:
            raise KeyringError("KMS Decrypt answered for another key or with a wrong-length key")
        return plaintext

    @staticmethod
    def _blob(response: dict[str, Any]) -> bytes:
        blob = response.get("CiphertextBlob")
        if not isinstance(blob, bytes) or not blob:
            raise KeyringError("KMS answered without a ciphertext blob")
        return blob

    @staticmethod
    def _arn(response: dict[str, Any], key_id: str) -> str:
        arn = response.get("KeyId", "")
        if not isinstance(arn, str) or parse_key_arn(arn) is None:
            raise KeyringError(f"KMS answered for {key_id} without a valid key ARN")
        return arn


def _matches(configured: str, arn: str) -> bool:
    """Whether an encrypted data key made under `arn` may be sent to `configured`.

    A key ARN must be equal; a bare key id must be the ARN's id; an alias is left to KMS,
    which refuses a ciphertext of another key (and the answer's key ARN is checked).
    """
    if parse_key_arn(configured) is not None:
        return configured == arn
    parsed = parse_key_arn(arn)
    if "alias/" in configured:
        return True
    return parsed is not None and parsed.key_id == configured


class KmsKeyring:
    """A generator KMS key plus optional extra keys that each wrap the data key."""

    def __init__(
        self,
        client: Any,
        key_id: str,
        *,
        additional_key_ids: Sequence[str] = (),
        grant_tokens: Sequence[str] = (),
    ) -> None:
        if not key_id:
            raise ValueError("a KMS keyring needs a key id, alias or ARN")
        self.key_id = key_id
        self.additional_key_ids = tuple(additional_key_ids)
        self._calls = _KmsCalls(client, grant_tokens)

    def __repr__(self) -> str:
        return f"KmsKeyring({self.key_id!r}, additional_key_ids={self.additional_key_ids!r})"

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Generate (or wrap) the data key with the generator, then wrap it with each extra key."""
        if materials.data_key is None:
            materials = self._calls.generate(self.key_id, materials)
        else:
            materials = self._calls.wrap(self.key_id, materials)
        for key_id in self.additional_key_ids:
            materials = self._calls.wrap(key_id, materials)
        return materials

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Ask KMS to decrypt the first data key wrapped by one of this keyring's keys."""
        if materials.data_key is not None:
            raise ValueError("the materials already hold a data key")
        errors: list[str] = []
        for edk, arn in _kms_arns(encrypted_data_keys):
            for key_id in (self.key_id, *self.additional_key_ids):
                if not _matches(key_id, arn):
                    continue
                try:
                    return materials.with_data_key(self._calls.unwrap(key_id, arn, edk, materials))
                except Exception as exc:
                    errors.append(f"{arn}: {_error_code(exc)}")
        raise NoDecryptableKeyError(_summary("KMS keyring", errors))


class KmsDiscoveryKeyring:
    """Decrypts data keys wrapped by any KMS key its filters allow; never encrypts."""

    def __init__(
        self,
        client: Any,
        *,
        allowed_key_arns: Sequence[str] | None = None,
        accounts: Sequence[str] | None = None,
        partition: str = "aws",
        grant_tokens: Sequence[str] = (),
    ) -> None:
        for arn in allowed_key_arns or ():
            if parse_key_arn(arn) is None:
                raise ValueError(f"not a KMS key ARN: {arn!r}")
        self.allowed_key_arns = None if allowed_key_arns is None else frozenset(allowed_key_arns)
        self.accounts = None if accounts is None else frozenset(accounts)
        self.partition = partition
        self._calls = _KmsCalls(client, grant_tokens)

    def __repr__(self) -> str:
        allowed, accounts = self.allowed_key_arns, self.accounts
        return f"KmsDiscoveryKeyring(allowed_key_arns={allowed!r}, accounts={accounts!r})"

    def on_encrypt(self, materials: EncryptionMaterials) -> EncryptionMaterials:
        """Refuse: a discovery keyring has no key to encrypt with."""
        raise KeyringError("a KMS discovery keyring cannot encrypt: name a KMS key")

    def on_decrypt(
        self, materials: DecryptionMaterials, encrypted_data_keys: Sequence[EncryptedDataKey]
    ) -> DecryptionMaterials:
        """Ask KMS to decrypt the first allowed KMS-wrapped data key."""
        if materials.data_key is not None:
            raise ValueError("the materials already hold a data key")
        errors: list[str] = []
        for edk, arn in _kms_arns(encrypted_data_keys):
            if not self._allowed(arn):
                errors.append(f"{arn}: not allowed by this keyring")
                continue
            try:
                return materials.with_data_key(self._calls.unwrap(arn, arn, edk, materials))
            except Exception as exc:
                errors.append(f"{arn}: {_error_code(exc)}")
        raise NoDecryptableKeyError(_summary("KMS discovery keyring", errors))

    def _allowed(self, arn: str) -> bool:
        parsed = parse_key_arn(arn)
        if parsed is None or (
            self.allowed_key_arns is not None and arn not in self.allowed_key_arns
        ):
            return False
        return self.accounts is None or (
            parsed.partition == self.partition and parsed.account in self.accounts
        )


def _summary(who: str, errors: list[str]) -> str:
    if not errors:
        return f"{who}: the message has no data key wrapped by a matching KMS key"
    return f"{who}: no data key could be decrypted ({'; '.join(errors)})"
