"""Keyrings: the master keys that wrap and unwrap data keys."""

from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.keyrings.raw_aes import RawAesKeyring

__all__ = ["Keyring", "RawAesKeyring"]
