"""Header authentication: the AES-GCM tag over the header body.

The tag is AES-GCM of an empty plaintext under the derived key, with AAD = header body ||
the serialized "authenticate-only" encryption context (pairs the caller required but the
header does not store; usually none). v2 stores only the 16-byte tag and uses a zero IV;
v1 stores the 12-byte IV (zeros when we write) before the tag. Verification failure is the
detail-free `MessageError`.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom_envelope import encryption_context as ec_format
from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.errors import MessageError
from strongroom_envelope.suites import IV_LENGTH, TAG_LENGTH, AlgorithmSuite

__all__ = ["encode", "read_and_verify"]

_ZERO_IV = bytes(IV_LENGTH)


def encode(
    suite: AlgorithmSuite, key: bytes, header_body: bytes, authenticate_only: Mapping[str, str]
) -> bytes:
    """The header authentication section for `header_body`."""
    aad = header_body + ec_format.serialize(authenticate_only)
    tag = AESGCM(key).encrypt(_ZERO_IV, b"", aad)
    return tag if suite.message_version == 2 else _ZERO_IV + tag


def read_and_verify(
    source: ByteSource,
    suite: AlgorithmSuite,
    key: bytes,
    header_body: bytes,
    authenticate_only: Mapping[str, str],
) -> bytes:
    """Read the authentication section, check its tag, and return its bytes."""
    section = source.read_exact(
        TAG_LENGTH if suite.message_version == 2 else IV_LENGTH + TAG_LENGTH
    )
    iv = _ZERO_IV if suite.message_version == 2 else section[:IV_LENGTH]
    aad = header_body + ec_format.serialize(authenticate_only)
    try:
        AESGCM(key).decrypt(iv, section[-TAG_LENGTH:], aad)
    except InvalidTag as exc:
        raise MessageError() from exc
    return section
