"""Where KMS key material lives and runs."""

from strongroom.keystores.base import (
    KeyStore,
    MaterialForm,
    MaterialMissing,
    PreparedKey,
    PrivateKeyHandle,
)
from strongroom.keystores.software import SoftwareKeyStore

__all__ = [
    "KeyStore",
    "MaterialForm",
    "MaterialMissing",
    "PreparedKey",
    "PrivateKeyHandle",
    "SoftwareKeyStore",
]
