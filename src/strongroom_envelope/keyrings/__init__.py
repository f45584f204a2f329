"""Keyrings: the master keys that wrap and unwrap data keys."""

from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.keyrings.kms import KmsDiscoveryKeyring, KmsKeyring
from strongroom_envelope.keyrings.multi import MultiKeyring
from strongroom_envelope.keyrings.raw_aes import RawAesKeyring
from strongroom_envelope.keyrings.raw_rsa import RawRsaKeyring, RsaPadding

__all__ = [
    "Keyring",
    "KmsDiscoveryKeyring",
    "KmsKeyring",
    "MultiKeyring",
    "RawAesKeyring",
    "RawRsaKeyring",
    "RsaPadding",
]
