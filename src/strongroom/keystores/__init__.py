"""Where KMS key material lives and runs."""

from strongroom.keystores.base import KeyStore
from strongroom.keystores.software import SoftwareKeyStore

__all__ = ["KeyStore", "SoftwareKeyStore"]
