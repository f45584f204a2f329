"""Derive a message's AES-GCM key (and commit key) from its plaintext data key.

v2 committing suites: one HKDF-SHA512 extract with the 32-byte message id as salt, then
expand with info = suite id || "DERIVEKEY" for the encryption key and info = "COMMITKEY"
for the 32-byte commit key stored in the header. v1 HKDF suites: salt of zeros, info =
suite id || message id. v1 NO_KDF suites use the data key itself.
"""

from __future__ import annotations

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF, HKDFExpand

from strongroom_envelope.suites import AlgorithmSuite

__all__ = ["DerivedKeys", "derive_keys"]

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class DerivedKeys:
    """The per-message encryption key and, for committing suites, the commit key."""

    __slots__ = ("commit_key", "encryption_key")

    def __init__(self, encryption_key: bytes, commit_key: bytes | None) -> None:
        self.encryption_key = encryption_key
        self.commit_key = commit_key


def derive_keys(suite: AlgorithmSuite, data_key: bytes, message_id: bytes) -> DerivedKeys:
    """Derive the keys of one message; the caller checked the data key's length."""
    if len(data_key) != suite.key_length:
        raise ValueError("data key length does not match the algorithm suite")
    if suite.kdf_hash is None:
        return DerivedKeys(data_key, None)
    algorithm = _HASHES[suite.kdf_hash]
    if not suite.committing:
        hkdf = HKDF(algorithm(), suite.key_length, None, suite.id_bytes + message_id)
        return DerivedKeys(hkdf.derive(data_key), None)
    extract = hmac.HMAC(message_id, algorithm())
    extract.update(data_key)
    prk = extract.finalize()
    key = HKDFExpand(algorithm(), suite.key_length, suite.id_bytes + b"DERIVEKEY").derive(prk)
    commit = HKDFExpand(algorithm(), suite.suite_data_length, b"COMMITKEY").derive(prk)
    return DerivedKeys(key, commit)
