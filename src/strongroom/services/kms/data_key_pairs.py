"""GenerateDataKeyPair and GenerateDataKeyPairWithoutPlaintext.

A fresh asymmetric key pair for the caller to use outside KMS: the public key as DER
SubjectPublicKeyInfo, the private key as PKCS#8 DER, and that private key encrypted under
a symmetric KMS key (a ciphertext blob like GenerateDataKey's, which Decrypt opens without
a KeyId). The pair is made in this process's memory and kept nowhere.
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto import asymmetric
from strongroom.errors import UnsupportedOperationException
from strongroom.services.caller import Caller
from strongroom.services.kms.cryptographic import data_key_wrapper, seal
from strongroom.services.kms.key_specs import KEY_SPECS
from strongroom.services.kms.service import Kms, Operation, refuse_if_dry_run


def _pair(
    kms: Kms,
    caller: Caller,
    action: str,
    key_ref: str,
    pair_spec: str,
    context: dict[str, str] | None,
    recipient: object,
    dry_run: bool,
) -> dict[str, Any]:
    record = data_key_wrapper(kms, caller, action, key_ref, context)
    spec = KEY_SPECS.get(pair_spec)
    if spec is None or not spec.asymmetric:
        raise UnsupportedOperationException(
            f"KeyPairSpec {pair_spec} is not supported by Strongroom: it is for AWS's China "
            "regions and no well-kept Python library implements it."
        )
    if recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclaves) is not supported by Strongroom."
        )
    refuse_if_dry_run(dry_run)
    private_der = asymmetric.generate(spec.kind)
    kms.usage.used(record, action.removeprefix("kms:"))
    return {
        "PrivateKeyCiphertextBlob": seal(kms, record, private_der, context),
        "PrivateKeyPlaintext": private_der,
        "PublicKey": asymmetric.PrivateKey(private_der).public.der,
        "KeyId": record.arn,
        "KeyPairSpec": pair_spec,
        "KeyMaterialId": record.material_id_of(record.current_version),
    }


def generate_data_key_pair(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    KeyPairSpec: str,
    EncryptionContext: dict[str, str] | None = None,
    GrantTokens: list[str] | None = None,
    Recipient: dict[str, Any] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """A fresh key pair, its private key also encrypted under the symmetric key."""
    return _pair(
        kms,
        caller,
        "kms:GenerateDataKeyPair",
        KeyId,
        KeyPairSpec,
        EncryptionContext,
        Recipient,
        DryRun,
    )


def generate_data_key_pair_without_plaintext(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    KeyPairSpec: str,
    EncryptionContext: dict[str, str] | None = None,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """A fresh key pair whose private key comes back only encrypted."""
    result = _pair(
        kms,
        caller,
        "kms:GenerateDataKeyPairWithoutPlaintext",
        KeyId,
        KeyPairSpec,
        EncryptionContext,
        None,
        DryRun,
    )
    del result["PrivateKeyPlaintext"]
    return result


OPERATIONS: dict[str, Operation] = {
    "GenerateDataKeyPair": generate_data_key_pair,
    "GenerateDataKeyPairWithoutPlaintext": generate_data_key_pair_without_plaintext,
}
