"""Key agreement keys: DeriveSharedSecret (ECDH).

The shared secret is the raw ECDH output (the x-coordinate, as long as the curve's field),
exactly what the other party computes with its private key and this key's public key
from GetPublicKey; AWS applies no key derivation function, and neither does Strongroom,
so callers run their own KDF over it.
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto import asymmetric
from strongroom.errors import UnsupportedOperationException, ValidationException
from strongroom.services.caller import Caller
from strongroom.services.kms import key_specs
from strongroom.services.kms.key_specs import KEY_AGREEMENT
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    refuse_if_dry_run,
    require_usable,
)
from strongroom.services.kms.signing import private_key


def derive_shared_secret(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    KeyAgreementAlgorithm: str,
    PublicKey: bytes,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
    Recipient: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """DeriveSharedSecret: ECDH between the key and a peer's public key (DER SPKI)."""
    record = authorized_key(kms, caller, "kms:DeriveSharedSecret", KeyId, check=require_usable)
    key_specs.require_usage(record.arn, record.key_usage, KEY_AGREEMENT, "DeriveSharedSecret")
    key_specs.require_algorithm(record.key_spec, record.key_usage, KeyAgreementAlgorithm)
    if Recipient is not None:
        raise UnsupportedOperationException(
            "Recipient (attested enclaves) is not supported by Strongroom."
        )
    own = private_key(kms, record)
    try:
        peer = asymmetric.PublicKey(PublicKey)
    except asymmetric.InvalidKey:
        peer = None
    if peer is None or peer.kind != own.public.kind:
        raise ValidationException(f"The public key is not a valid {record.key_spec} public key.")
    refuse_if_dry_run(DryRun)
    secret = own.exchange(peer)
    kms.usage.used(record, "DeriveSharedSecret")
    return {
        "KeyId": record.arn,
        "SharedSecret": secret,
        "KeyAgreementAlgorithm": KeyAgreementAlgorithm,
        "KeyOrigin": record.origin,
    }


OPERATIONS: dict[str, Operation] = {"DeriveSharedSecret": derive_shared_secret}
