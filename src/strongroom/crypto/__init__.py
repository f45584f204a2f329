"""Every cryptographic primitive Strongroom uses, and nothing else calls `cryptography`."""

from strongroom.crypto.aead import Aead, AuthenticationFailed
from strongroom.crypto.compare import equal
from strongroom.crypto.kdf import HkdfExpander, hkdf_sha256
from strongroom.crypto.message_auth import hmac_sha256
from strongroom.crypto.random import RandomBytes, random_bytes, system_random

__all__ = [
    "Aead",
    "AuthenticationFailed",
    "HkdfExpander",
    "RandomBytes",
    "equal",
    "hkdf_sha256",
    "hmac_sha256",
    "random_bytes",
    "system_random",
]
