"""The message body: encode framed content, decode framed and (v1) non-framed content.

Regular frame: sequence number (4) | IV (12) | ciphertext (frame length) | tag (16).
Final frame: FFFFFFFF | sequence number (4) | IV (12) | content length (4) | ciphertext |
tag (16). Frames count from 1; the IV is the sequence number, zero-padded to 12 bytes; the
AAD is message id || "AWSKMSEncryptionClient Frame" (or "... Final Frame") || sequence
number (4) || plaintext length (8). v1 non-framed body: IV | length (8) | ciphertext | tag,
with "AWSKMSEncryptionClient Single Block" and sequence number 1.
The decoder checks each sequence number and IV before the tag, so truncated, reordered,
duplicated or altered frames all fail, and it writes plaintext only after its tag verified.
These loops are the hot path: they work in place on shared buffers, one call per frame.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from strongroom_envelope.byte_source import ByteSource
from strongroom_envelope.errors import MessageError, PolicyError

__all__ = ["FINAL_FRAME_OVERHEAD", "FRAME_OVERHEAD", "FrameDecoder", "FrameEncoder"]

FRAME_OVERHEAD = 4 + 12 + 16
FINAL_FRAME_OVERHEAD = 4 + 4 + 12 + 4 + 16
_END = 0xFFFFFFFF
_END_BYTES = b"\xff\xff\xff\xff"
_PAD = bytes(8)
_REGULAR = b"AWSKMSEncryptionClient Frame"
_FINAL = b"AWSKMSEncryptionClient Final Frame"
_SINGLE = b"AWSKMSEncryptionClient Single Block"
_MAX_NON_FRAMED = 2**36 - 32
# Pre-compiled layouts for the per-frame hot loops.
_UINT32 = struct.Struct(">I")
_FRAME_HEAD = struct.Struct(">I8xI")  # sequence number, then the IV: 8 zero bytes + it


class FrameEncoder:
    """Encrypts plaintext into consecutive frames of one message."""

    def __init__(self, key: bytes, message_id: bytes, frame_length: int) -> None:
        self._encrypt = AESGCM(key).encrypt_into
        self._regular = message_id + _REGULAR
        self._final = message_id + _FINAL
        self._length = struct.pack(">Q", frame_length)
        self.frame_length = frame_length
        self.sequence = 1

    def regular(self, plain: memoryview, count: int, out: memoryview) -> int:
        """Encrypt the first `count` frames of `plain` into `out`; return bytes written."""
        first = self.sequence
        if first + count >= _END:
            raise PolicyError("the message has too many frames: use a larger frame length")
        f = self.frame_length
        step = f + FRAME_OVERHEAD
        encrypt, put_uint32, put_head = self._encrypt, _UINT32.pack_into, _FRAME_HEAD.pack_into
        # One nonce and one AAD buffer, updated in place: no allocation per frame.
        nonce = bytearray(12)
        aad = bytearray(self._regular + bytes(4) + self._length)
        at = len(self._regular)
        i = o = 0
        for seq in range(first, first + count):
            put_uint32(nonce, 8, seq)
            put_uint32(aad, at, seq)
            put_head(out, o, seq, seq)
            encrypt(nonce, plain[i : i + f], aad, out[o + 16 : o + step])
            i += f
            o += step
        self.sequence += count
        return o

    def final(self, plain: memoryview, out: memoryview) -> int:
        """Encrypt `plain` (at most one frame) as the final frame; return bytes written."""
        seq_bytes = struct.pack(">I", self.sequence)
        nonce = _PAD + seq_bytes
        size = len(plain)
        out[0:24] = _END_BYTES + seq_bytes + nonce + struct.pack(">I", size)
        aad = self._final + seq_bytes + struct.pack(">Q", size)
        self._encrypt(nonce, plain, aad, out[24 : 24 + size + 16])
        return size + FINAL_FRAME_OVERHEAD


class FrameDecoder:
    """Authenticates and decrypts the body of one message from a ByteSource."""

    def __init__(self, key: bytes, message_id: bytes, frame_length: int, capacity: int) -> None:
        self._decrypt = AESGCM(key).decrypt_into
        self._message_id = message_id
        self.frame_length = frame_length
        self.out = bytearray(max(capacity, frame_length))
        self._out_view = memoryview(self.out)

    def framed(self, source: ByteSource, write: Callable[[memoryview], object]) -> memoryview:
        """Decrypt every frame; write plaintext as it verifies, except the final frame's.

        Returns the plaintext not yet written (ending with the final frame's), which the
        caller releases only once it has checked the rest of the message.
        """
        f = self.frame_length
        step = f + FRAME_OVERHEAD
        decrypt, head, put_uint32 = self._decrypt, _FRAME_HEAD.pack, _UINT32.pack_into
        aad = bytearray(self._message_id + _REGULAR + bytes(4) + struct.pack(">Q", f))
        at = len(self._message_id + _REGULAR)
        out, capacity = self._out_view, len(self.out)
        o = 0
        seq = 1
        while True:
            if not source.ensure(step) and not source.ensure(4):
                raise MessageError()
            pos, end, buf, view = source.pos, source.end, source.buf, source.view
            # Every whole frame in the buffer, with no attribute access per frame.
            while end - pos >= step and buf.startswith(head(seq, seq), pos):
                if o + f > capacity:
                    write(out[:o])
                    o = 0
                put_uint32(aad, at, seq)
                try:
                    decrypt(
                        view[pos + 4 : pos + 16], view[pos + 16 : pos + step], aad, out[o : o + f]
                    )
                except InvalidTag as exc:
                    raise MessageError() from exc
                pos += step
                o += f
                seq += 1
            source.pos = pos
            if seq == _END:
                raise MessageError()
            if end - pos >= 4 and buf.startswith(_END_BYTES, pos):
                break
            # Not a whole expected frame: a partial one to read more of, or a bad one.
            if end - pos >= step or source.eof:
                raise MessageError()
        if not source.ensure(24):
            raise MessageError()
        size = struct.unpack_from(">I", source.view, source.pos + 20)[0]
        if size > f:
            raise MessageError()
        if o + size > capacity:
            write(out[:o])
            o = 0
        return out[: o + self._final_frame(source, seq, o, size)]

    def _final_frame(self, source: ByteSource, seq: int, o: int, size: int) -> int:
        seq_bytes = struct.pack(">I", seq)
        nonce = _PAD + seq_bytes
        if source.view[source.pos + 4 : source.pos + 20] != seq_bytes + nonce:
            raise MessageError()
        if not source.ensure(24 + size + 16):
            raise MessageError()
        pos, view = source.pos, source.view
        aad = self._message_id + _FINAL + seq_bytes + struct.pack(">Q", size)
        try:
            self._decrypt(
                nonce, view[pos + 24 : pos + 40 + size], aad, self._out_view[o : o + size]
            )
        except InvalidTag as exc:
            raise MessageError() from exc
        source.pos = pos + 40 + size
        return size

    def non_framed(self, source: ByteSource, max_length: int) -> memoryview:
        """Decrypt a v1 non-framed body, all in memory, and return its plaintext."""
        head = source.read_exact(12 + 8)
        (size,) = struct.unpack(">Q", head[12:])
        if head[:12] != _PAD + b"\x00\x00\x00\x01" or size > _MAX_NON_FRAMED:
            raise MessageError()
        if size > max_length:
            raise PolicyError(
                f"the non-framed message body of {size} bytes exceeds the limit of {max_length}"
            )
        if not source.ensure(size + 16):
            raise MessageError()
        if size > len(self.out):
            self.out = bytearray(size)
            self._out_view = memoryview(self.out)
        aad = self._message_id + _SINGLE + struct.pack(">IQ", 1, size)
        pos = source.pos
        try:
            self._decrypt(head[:12], source.view[pos : pos + size + 16], aad, self._out_view[:size])
        except InvalidTag as exc:
            raise MessageError() from exc
        source.pos = pos + size + 16
        return self._out_view[:size]
