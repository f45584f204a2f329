"""Encrypt: plaintext in, AWS Encryption SDK message out, in constant memory.

Steps, in the spec's order: get materials from the materials manager, check them against
the policy and the data-key limit, derive the message keys, write the header and its tag,
write the frames, and for signed suites the footer. Plaintext is read a chunk of whole
frames at a time with one chunk of look-ahead, so the last frame is known to be the final
frame without seeking; a plaintext that is an exact multiple of the frame length ends with
a full final frame. Memory: two input chunks and one output chunk, whatever the size.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Callable, Iterable, Mapping
from typing import IO

from strongroom_envelope import footer, header_auth, randomness
from strongroom_envelope import header as header_format
from strongroom_envelope.body import FINAL_FRAME_OVERHEAD, FRAME_OVERHEAD, FrameEncoder
from strongroom_envelope.byte_source import readinto_of
from strongroom_envelope.commitment import CommitmentPolicy
from strongroom_envelope.errors import KeyringError, PolicyError
from strongroom_envelope.key_derivation import DerivedKeys, derive_keys
from strongroom_envelope.keyrings.base import Keyring
from strongroom_envelope.limits import (
    CHUNK_SIZE,
    DEFAULT_FRAME_LENGTH,
    DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    MAX_FRAME_LENGTH,
)
from strongroom_envelope.materials import EncryptionMaterials
from strongroom_envelope.materials_manager import (
    EncryptionRequest,
    MaterialsManager,
    as_materials_manager,
)
from strongroom_envelope.results import MessageInfo
from strongroom_envelope.signing import Signer
from strongroom_envelope.suites import AlgorithmSuite

__all__ = ["encrypt", "encrypt_stream"]

_REQUIRE = CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT


def encrypt(
    plaintext: bytes,
    keyring: Keyring | MaterialsManager,
    *,
    encryption_context: Mapping[str, str] | None = None,
    suite: AlgorithmSuite | None = None,
    frame_length: int = DEFAULT_FRAME_LENGTH,
    commitment_policy: CommitmentPolicy = _REQUIRE,
    max_encrypted_data_keys: int | None = DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    required_context_keys: Iterable[str] = (),
) -> bytes:
    """Encrypt `plaintext` in memory and return the message bytes."""
    out = io.BytesIO()
    encrypt_stream(
        io.BytesIO(plaintext),
        out,
        keyring,
        encryption_context=encryption_context,
        suite=suite,
        frame_length=frame_length,
        commitment_policy=commitment_policy,
        max_encrypted_data_keys=max_encrypted_data_keys,
        required_context_keys=required_context_keys,
        source_length=len(plaintext),
    )
    return out.getvalue()


def encrypt_stream(
    source: IO[bytes],
    destination: IO[bytes],
    keyring: Keyring | MaterialsManager,
    *,
    encryption_context: Mapping[str, str] | None = None,
    suite: AlgorithmSuite | None = None,
    frame_length: int = DEFAULT_FRAME_LENGTH,
    commitment_policy: CommitmentPolicy = _REQUIRE,
    max_encrypted_data_keys: int | None = DEFAULT_MAX_ENCRYPTED_DATA_KEYS,
    required_context_keys: Iterable[str] = (),
    source_length: int | None = None,
    progress: Callable[[int], object] | None = None,
) -> MessageInfo:
    """Encrypt everything `source` yields into `destination`; return the message's facts.

    `source_length`, if given, is a promise: reading more than that many bytes fails. For a
    regular file it is found by itself, so caching managers can count bytes per data key.
    `progress`, if given, is called with the plaintext bytes read so far.
    """
    if not 0 < frame_length <= MAX_FRAME_LENGTH:
        raise ValueError("frame_length must be between 1 and 2**32 - 1")
    request = EncryptionRequest(
        encryption_context=dict(encryption_context or {}),
        commitment_policy=commitment_policy,
        suite=suite,
        plaintext_length=source_length if source_length is not None else _remaining(source),
        required_context_keys=frozenset(required_context_keys),
    )
    materials = as_materials_manager(keyring).get_encryption_materials(request)
    _check(materials, request, max_encrypted_data_keys)
    assert materials.data_key is not None
    chosen = materials.suite
    message_id = randomness.random_bytes(chosen.message_id_length)
    keys = derive_keys(chosen, materials.data_key, message_id)
    signer = Signer(chosen, materials.signing_key) if materials.signing_key is not None else None
    writer = _Writer(destination, signer)
    writer.write(_header(materials, message_id, frame_length, keys))
    encoder = FrameEncoder(keys.encryption_key, message_id, frame_length)
    total = _frames(source, encoder, writer, source_length, progress)
    if signer is not None:
        foot = footer.encode(signer.sign())
        destination.write(foot)
        writer.written += len(foot)
    return MessageInfo(
        suite=chosen,
        message_id=message_id,
        encryption_context=materials.encryption_context,
        frame_length=frame_length,
        plaintext_length=total,
        message_length=writer.written,
    )


def _header(
    materials: EncryptionMaterials, message_id: bytes, frame_length: int, keys: DerivedKeys
) -> bytes:
    """The header and its tag; required context keys are authenticated, not stored."""
    required = materials.required_context_keys
    context = materials.encryption_context
    head = header_format.Header(
        materials.suite,
        message_id,
        {k: v for k, v in context.items() if k not in required},
        materials.encrypted_data_keys,
        frame_length,
        commit_key=keys.commit_key or b"",
    )
    body = header_format.encode(head)
    authenticate_only = {k: context[k] for k in required}
    return body + header_auth.encode(materials.suite, keys.encryption_key, body, authenticate_only)


def _check(
    materials: EncryptionMaterials, request: EncryptionRequest, max_edks: int | None
) -> None:
    request.commitment_policy.check_encrypt(materials.suite)
    if request.suite is not None and materials.suite != request.suite:
        raise PolicyError("the materials manager changed the requested algorithm suite")
    if materials.suite.signed != (materials.signing_key is not None):
        raise KeyringError("the materials manager gave no signing key for a signed suite")
    if materials.suite.signed != (materials.signing_key is not None):
        raise KeyringError("the materials manager gave no signing key for a signed suite")
    if max_edks is not None and len(materials.encrypted_data_keys) > max_edks:
        count = len(materials.encrypted_data_keys)
        raise PolicyError(f"{count} encrypted data keys exceed the limit of {max_edks}")


def _remaining(source: IO[bytes]) -> int | None:
    """Bytes left in `source` if it is a regular file or a seekable buffer, else None."""
    try:
        info = os.fstat(source.fileno())
        if stat.S_ISREG(info.st_mode):
            return max(0, info.st_size - source.tell())
        return None
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass
    try:
        if not source.seekable():
            return None
        here = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(here)
        return max(0, end - here)
    except (AttributeError, OSError, io.UnsupportedOperation):
        return None


class _Writer:
    """Writes message bytes, feeding the signature digest and counting."""

    def __init__(self, destination: IO[bytes], signer: Signer | None) -> None:
        self._write = destination.write
        self._digest = signer.digest if signer is not None else None
        self.written = 0

    def write(self, data: bytes | memoryview) -> None:
        if self._digest is not None:
            self._digest.update(data)
        self._write(data)
        self.written += len(data)


def _fill(readinto: Callable[[memoryview], int], view: memoryview) -> int:
    filled = 0
    while filled < len(view):
        got = readinto(view[filled:])
        if not got:
            break
        filled += got
    return filled


def _frames(
    source: IO[bytes],
    encoder: FrameEncoder,
    writer: _Writer,
    limit: int | None,
    progress: Callable[[int], object] | None,
) -> int:
    """Encrypt the whole source into frames; return the plaintext length."""
    f = encoder.frame_length
    count = max(1, CHUNK_SIZE // f)
    chunk = count * f
    readinto = readinto_of(source)
    current, ahead = memoryview(bytearray(chunk)), memoryview(bytearray(chunk))
    out = memoryview(bytearray(count * (f + FRAME_OVERHEAD) + FINAL_FRAME_OVERHEAD))
    filled = _fill(readinto, current)
    total = filled
    while True:
        if limit is not None and total > limit:
            raise PolicyError("the source is longer than the source_length promised")
        if progress is not None:
            progress(total)
        more = _fill(readinto, ahead) if filled == chunk else 0
        if more:
            writer.write(out[: encoder.regular(current, count, out)])
            current, ahead, filled = ahead, current, more
            total += more
            continue
        regular, rest = divmod(filled, f)
        if rest == 0 and regular:
            regular, rest = regular - 1, f
        used = encoder.regular(current, regular, out)
        used += encoder.final(current[regular * f : regular * f + rest], out[used:])
        writer.write(out[:used])
        return total
