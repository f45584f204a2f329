"""Seals: how the root key is protected at rest and recovered at start.

`ShamirSeal` splits it among operators; `DevKeySeal` keeps it in a file for dev mode only.
A seal never judges a candidate root key: the barrier does, by opening the keyring.
"""

from strongroom.seal.base import (
    ROOT_KEY_BYTES,
    AutoUnsealSeal,
    InvalidShareError,
    Seal,
    SealError,
)
from strongroom.seal.devkey import DevKeySeal
from strongroom.seal.shamir import (
    Progress,
    SealConfig,
    ShamirSeal,
    Unsealer,
    decode_share,
    encode_share,
)

__all__ = [
    "ROOT_KEY_BYTES",
    "AutoUnsealSeal",
    "DevKeySeal",
    "InvalidShareError",
    "Progress",
    "Seal",
    "SealConfig",
    "SealError",
    "ShamirSeal",
    "Unsealer",
    "decode_share",
    "encode_share",
]
