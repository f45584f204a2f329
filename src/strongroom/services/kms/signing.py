"""Asymmetric signing keys: Sign, Verify and GetPublicKey.

A message is signed as AWS signs it: RAW (hashed here with the algorithm's hash, or
signed whole by Ed25519 and ML-DSA) or DIGEST (already hashed: exactly the hash's length).
Verify answers `SignatureValid: true` or KMSInvalidSignatureException with no message,
never `false`. GetPublicKey hands out the DER SubjectPublicKeyInfo, with which anyone can
verify (or, for RSA encryption keys, encrypt) without calling KMS.
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto.asymmetric import SignatureScheme
from strongroom.errors import (
    KMSInvalidSignatureException,
    KMSInvalidStateException,
    UnsupportedOperationException,
    ValidationException,
)
from strongroom.keystores import PrivateKeyHandle
from strongroom.services.caller import Caller
from strongroom.services.kms import key_specs
from strongroom.services.kms.key_specs import SIGN_VERIFY
from strongroom.services.kms.records import DISABLED, ENABLED, KeyRecord
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    refuse_if_dry_run,
    require_usable,
)

RAW = "RAW"
DIGEST = "DIGEST"
EXTERNAL_MU = "EXTERNAL_MU"
MU_BYTES = 64


def private_key(kms: Kms, record: KeyRecord) -> PrivateKeyHandle:
    """The key's private key, in its key store."""
    return kms.keystore(record).private_key(record.material_name, record.current_version)


def _scheme(record: KeyRecord, algorithm: str, message: bytes, message_type: str) -> bool:
    """Check that the key signs with `algorithm` and that `message` fits `message_type`;
    the scheme's `prehashed` flag for `crypto`."""
    key_specs.require_algorithm(record.key_spec, record.key_usage, algorithm)
    scheme = key_specs.SIGNING_SCHEMES[algorithm]
    if message_type == EXTERNAL_MU:
        if record.spec.kind.startswith("mldsa"):
            if len(message) != MU_BYTES:
                raise ValidationException(
                    f"External Mu is invalid length for algorithm {algorithm}."
                )
            raise UnsupportedOperationException(
                "MessageType EXTERNAL_MU is not supported by Strongroom: no well-kept Python "
                "library signs an ML-DSA mu yet. Sign the message with MessageType RAW."
            )
        raise ValidationException(
            f"Message type EXTERNAL_MU is incompatible with key spec {record.key_spec}."
        )
    if message_type == DIGEST:
        return _check_digest(record, algorithm, scheme, message)
    if scheme.padding == "ph":  # Ed25519ph takes only a digest (and hashes it again)
        raise ValidationException(f"Message type RAW is incompatible with algorithm {algorithm}.")
    return False


def _check_digest(
    record: KeyRecord, algorithm: str, scheme: SignatureScheme, message: bytes
) -> bool:
    if scheme.digest_size is None:
        if scheme.family == "mldsa":
            raise ValidationException(
                f"Message type DIGEST is incompatible with key spec {record.key_spec}."
            )
        raise ValidationException(
            f"Message type DIGEST is incompatible with algorithm {algorithm}."
        )
    if len(message) != scheme.digest_size:
        raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
    return True


def _signing_key(
    kms: Kms,
    caller: Caller,
    operation: str,
    key_ref: str,
    algorithm: str,
    message: bytes,
    message_type: str,
    dry_run: bool,
) -> tuple[KeyRecord, SignatureScheme, bool]:
    """Sign's and Verify's preamble: the key (found, authorized, usable, a signing key),
    the algorithm's scheme, and whether the message is a digest; DryRun stops here."""
    record = authorized_key(
        kms,
        caller,
        f"kms:{operation}",
        key_ref,
        check=require_usable,
        context={
            "kms:SigningAlgorithm": (algorithm,),
            "kms:MessageType": (message_type,),
        },
    )
    key_specs.require_usage(record.arn, record.key_usage, SIGN_VERIFY, operation)
    prehashed = _scheme(record, algorithm, message, message_type)
    refuse_if_dry_run(dry_run)
    return record, key_specs.SIGNING_SCHEMES[algorithm], prehashed


def sign(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Message: bytes,
    SigningAlgorithm: str,
    MessageType: str = RAW,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """Sign a message or digest with an asymmetric SIGN_VERIFY key."""
    record, scheme, prehashed = _signing_key(
        kms, caller, "Sign", KeyId, SigningAlgorithm, Message, MessageType, DryRun
    )
    signature = private_key(kms, record).sign(scheme, Message, prehashed=prehashed)
    kms.usage.used(record, "Sign")
    return {"KeyId": record.arn, "Signature": signature, "SigningAlgorithm": SigningAlgorithm}


def verify(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Message: bytes,
    Signature: bytes,
    SigningAlgorithm: str,
    MessageType: str = RAW,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """Verify a signature made with the key (by KMS or by anyone holding its private key)."""
    record, scheme, prehashed = _signing_key(
        kms, caller, "Verify", KeyId, SigningAlgorithm, Message, MessageType, DryRun
    )
    public = private_key(kms, record).public
    if not public.verify(scheme, Message, Signature, prehashed=prehashed):
        raise KMSInvalidSignatureException("")
    kms.usage.used(record, "Verify")
    return {"KeyId": record.arn, "SignatureValid": True, "SigningAlgorithm": SigningAlgorithm}


def _require_readable(record: KeyRecord) -> None:
    """GetPublicKey works on enabled and disabled keys (as in AWS), not on keys pending
    deletion or import."""
    if record.state not in (ENABLED, DISABLED):
        require_usable(record)
        raise KMSInvalidStateException(f"{record.arn} is {record.state}.")


def get_public_key(
    kms: Kms, caller: Caller, *, KeyId: str, GrantTokens: list[str] | None = None
) -> dict[str, Any]:
    """GetPublicKey: the public half of an asymmetric key, as DER SubjectPublicKeyInfo."""
    record = authorized_key(kms, caller, "kms:GetPublicKey", KeyId, check=_require_readable)
    if not record.spec.asymmetric:
        raise UnsupportedOperationException(
            f"{record.arn} key spec is {record.key_spec} which is not valid for this operation."
        )
    result: dict[str, Any] = {
        "KeyId": record.arn,
        "PublicKey": private_key(kms, record).public.der,
        "CustomerMasterKeySpec": record.key_spec,
        "KeySpec": record.key_spec,
        "KeyUsage": record.key_usage,
        key_specs.ALGORITHM_FIELDS[record.key_usage]: list(
            key_specs.algorithms(record.key_spec, record.key_usage)
        ),
    }
    return result


OPERATIONS: dict[str, Operation] = {
    "Sign": sign,
    "Verify": verify,
    "GetPublicKey": get_public_key,
}
