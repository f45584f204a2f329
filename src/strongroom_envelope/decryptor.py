"""Decrypt: AWS Encryption SDK message in, plaintext out, releasing only authentic bytes.

Steps, in the spec's order: parse the header (refusing too many data keys or oversized
frames before any key is used), check the commitment policy, get decryption materials,
check the key commitment, verify the header tag, then decrypt frame by frame. A regular
frame's plaintext is written once its tag verifies. The final frame's plaintext is held
until the rest of the message checks out: the footer signature of signed suites, and no
trailing bytes. A failure anywhere raises before that last plaintext is released.
"""

from __future__ import annotations

import hmac
import io
from collections.abc import Callable, Mapping
from typing import IO

from strongroom_envelope import footer, header_auth
from strongroom_envelope import header as header_format
from strongroom_envelope.body import FrameDecoder
from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.commitment import CommitmentPolicy
from strongroom_envelope.errors import (
    EncryptionContextError,
    MessageError,
    NoDecryptableKeyError,
    PolicyError,
)
from strongroom_envelope.key_derivation import derive_keys
from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.limits import (
    CHUNK_SIZE,
    DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    DEFAULT_MAX_FRAME_LENGTH,
)
from strongroom_envelope.materials import DecryptionMaterials
from strongroom_envelope.materials_manager import (
    DecryptionRequest,
    MaterialsManager,
    as_materials_manager,
)
from strongroom_envelope.results import Decrypted, MessageInfo
from strongroom_envelope.signing import Verifier

__all__ = ["decrypt", "decrypt_stream"]

_REQUIRE = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT


def decrypt(
    message: bytes,
    keyring: Keyring | MaterialsManager,
    *,
    encryption_context: Mapping[str, str] | None = None,
    commitment_policy: CommitmentPolicy = _REQUIRE,
    max_encrypted_data_keys: int | None = DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
    allow_signed: bool = True,
) -> Decrypted:
    """Decrypt a message held in memory."""
    out = io.BytesIO()
    info = decrypt_stream(
        io.BytesIO(message),
        out,
        keyring,
        encryption_context=encryption_context,
        commitment_policy=commitment_policy,
        max_encrypted_data_keys=max_encrypted_data_keys,
        max_frame_length=max_frame_length,
        allow_signed=allow_signed,
    )
    return Decrypted(out.getvalue(), info)


def decrypt_stream(
    source: IO[bytes],
    destination: IO[bytes],
    keyring: Keyring | MaterialsManager,
    *,
    encryption_context: Mapping[str, str] | None = None,
    commitment_policy: CommitmentPolicy = _REQUIRE,
    max_encrypted_data_keys: int | None = DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    max_frame_length: int = DEFAULT_MAX_FRAME_LENGTH,
    allow_signed: bool = True,
    progress: Callable[[int], object] | None = None,
) -> MessageInfo:
    """Decrypt the message `source` yields into `destination`; return its facts.

    `encryption_context`, if given, is the context the caller expects: pairs the message
    stores must match it, and pairs it does not store are authenticated (they were required
    but not stored at encryption). `allow_signed=False` refuses signed suites right after
    the header, for callers that must never see plaintext before the whole message is
    verified. `progress`, if given, is called with the message bytes read so far.
    """
    src = ByteSource(source, CHUNK_SIZE)
    head, body = header_format.decode(
        src, max_encrypted_data_keys=max_encrypted_data_keys, max_frame_length=max_frame_length
    )
    suite = head.suite
    commitment_policy.check_decrypt(suite)
    if suite.signed and not allow_signed:
        raise PolicyError(f"signed algorithm suites are not allowed here ({suite.name})")
    materials = _materials(head, keyring, commitment_policy, encryption_context)
    assert materials.data_key is not None
    keys = derive_keys(suite, materials.data_key, head.message_id)
    if keys.commit_key is not None and not hmac.compare_digest(keys.commit_key, head.commit_key):
        raise MessageError()
    auth = _verify_header(src, head, body, keys.encryption_key, materials)
    verifier = None
    if suite.signed:
        if materials.verification_key is None:
            raise MessageError()
        verifier = Verifier(suite, materials.verification_key)
        verifier.digest.update(body + auth)
        src.attach_digest(verifier.digest)
    sink = _Sink(destination, src, progress)
    decoder = FrameDecoder(keys.encryption_key, head.message_id, head.frame_length, CHUNK_SIZE)
    if head.content_type == header_format.FRAMED:
        held = decoder.framed(src, sink)
    else:
        held = decoder.non_framed(src, max_frame_length)
    signature = b""
    if verifier is not None:
        src.detach_digest()
        signature = footer.decode(src)
    if not src.at_end():
        raise MessageError()
    if verifier is not None:
        verifier.verify(signature)
    sink(held)
    return MessageInfo(
        suite=suite,
        message_id=head.message_id,
        encryption_context=materials.encryption_context,
        frame_length=head.frame_length,
        plaintext_length=sink.written,
        message_length=src.offset,
    )


def _materials(
    head: header_format.Header,
    keyring: Keyring | MaterialsManager,
    policy: CommitmentPolicy,
    expected: Mapping[str, str] | None,
) -> DecryptionMaterials:
    """Ask the materials manager for the data key, explaining context-caused failures."""
    request = DecryptionRequest(
        suite=head.suite,
        encrypted_data_keys=head.encrypted_data_keys,
        encryption_context=head.encryption_context,
        commitment_policy=policy,
        reproduced_context=expected,
    )
    try:
        materials = as_materials_manager(keyring).decrypt_materials(request)
    except NoDecryptableKeyError as exc:
        extra = sorted(set(expected or {}) - set(head.encryption_context))
        if not extra:
            raise
        raise EncryptionContextError(
            "no data key could be decrypted under the given encryption context, which has "
            f"pairs the message does not store ({', '.join(extra)}): leave out any that are "
            "not part of its context"
        ) from exc
    if materials.suite != head.suite or materials.data_key is None:
        raise MessageError()
    return materials


def _verify_header(
    src: ByteSource,
    head: header_format.Header,
    body: bytes,
    key: bytes,
    materials: DecryptionMaterials,
) -> bytes:
    """Check the header tag (with any authenticate-only context); return the auth bytes."""
    authenticate_only = {
        k: materials.encryption_context[k] for k in materials.required_context_keys
    }
    try:
        return header_auth.read_and_verify(src, head.suite, key, body, authenticate_only)
    except MessageError:
        if authenticate_only:
            raise EncryptionContextError(
                "the message does not authenticate with the given encryption context: the "
                "context differs from the one it was encrypted with, or it was tampered with"
            ) from None
        raise


class _Sink:
    """Writes released plaintext, counting it and reporting progress."""

    def __init__(
        self, destination: IO[bytes], source: ByteSource, progress: Callable[[int], object] | None
    ) -> None:
        self._write = destination.write
        self._source = source
        self._progress = progress
        self.written = 0

    def __call__(self, data: memoryview) -> None:
        self._write(data)
        self.written += len(data)
        if self._progress is not None:
            self._progress(self._source.offset)
