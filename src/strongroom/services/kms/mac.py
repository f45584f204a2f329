"""HMAC keys: GenerateMac and VerifyMac.

The MAC is the plain RFC 2104 HMAC of the message with the key's hash, so a holder of
imported material can compute the same code anywhere. VerifyMac answers `MacValid: true`
or KMSInvalidMacException with no message, never `false`; codes are compared in constant
time.
"""

from __future__ import annotations

from typing import Any

from strongroom.crypto import equal
from strongroom.errors import KMSInvalidMacException
from strongroom.services.caller import Caller
from strongroom.services.kms import key_specs
from strongroom.services.kms.key_specs import GENERATE_VERIFY_MAC
from strongroom.services.kms.records import KeyRecord
from strongroom.services.kms.service import (
    Kms,
    Operation,
    authorized_key,
    refuse_if_dry_run,
    require_usable,
)


def _mac(
    kms: Kms, record: KeyRecord, algorithm: str, message: bytes, operation: str, dry_run: bool
) -> bytes:
    key_specs.require_usage(record.arn, record.key_usage, GENERATE_VERIFY_MAC, operation)
    key_specs.require_algorithm(record.key_spec, record.key_usage, algorithm)
    refuse_if_dry_run(dry_run)
    hash_name = key_specs.MAC_HASHES[algorithm]
    return kms.keystore(record).mac(
        record.material_name, record.current_version, hash_name, message
    )


def generate_mac(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Message: bytes,
    MacAlgorithm: str,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """GenerateMac: the HMAC of up to 4096 bytes."""
    record = authorized_key(
        kms,
        caller,
        "kms:GenerateMac",
        KeyId,
        check=require_usable,
        context={"kms:MacAlgorithm": (MacAlgorithm,)},
    )
    mac = _mac(kms, record, MacAlgorithm, Message, "GenerateMac", DryRun)
    kms.usage.used(record, "GenerateMac")
    return {"Mac": mac, "MacAlgorithm": MacAlgorithm, "KeyId": record.arn}


def verify_mac(
    kms: Kms,
    caller: Caller,
    *,
    KeyId: str,
    Message: bytes,
    MacAlgorithm: str,
    Mac: bytes,
    GrantTokens: list[str] | None = None,
    DryRun: bool = False,
) -> dict[str, Any]:
    """VerifyMac: whether `Mac` is the HMAC of `Message` with the key."""
    record = authorized_key(
        kms,
        caller,
        "kms:VerifyMac",
        KeyId,
        check=require_usable,
        context={"kms:MacAlgorithm": (MacAlgorithm,)},
    )
    expected = _mac(kms, record, MacAlgorithm, Message, "VerifyMac", DryRun)
    if not equal(expected, Mac):
        raise KMSInvalidMacException("")
    kms.usage.used(record, "VerifyMac")
    return {"KeyId": record.arn, "MacValid": True, "MacAlgorithm": MacAlgorithm}


OPERATIONS: dict[str, Operation] = {"GenerateMac": generate_mac, "VerifyMac": verify_mac}
