"""Buffered, exact reads over a binary stream, for parsing messages in constant memory.

The buffer holds one read chunk; it grows only when a single item (a frame, the header)
needs more, and such an item is read exactly, so large frames are never copied twice.
Parsers read `buf` between `pos` and `end` directly for speed and advance `pos`. When a
digest is attached, every consumed byte is fed to it exactly once, in order (signed suites).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import IO, Any, Protocol

from strongroom_envelope.errors import MessageError

__all__ = ["ByteSource", "readinto_of"]


class _Digest(Protocol):
    def update(self, data: Any, /) -> None: ...


def readinto_of(raw: IO[bytes]) -> Callable[[memoryview], int]:
    """`raw.readinto`, or an equivalent built on `raw.read` for streams without it."""
    readinto = getattr(raw, "readinto", None)
    if readinto is not None:
        return readinto  # type: ignore[no-any-return]

    def read_into(view: memoryview) -> int:
        data = raw.read(len(view))
        view[: len(data)] = data
        return len(data)

    return read_into


class ByteSource:
    """A read buffer over `raw` with a running position."""

    def __init__(self, raw: IO[bytes], chunk_size: int = 1 << 20) -> None:
        self._readinto = readinto_of(raw)
        self._chunk = chunk_size
        self.buf = bytearray(chunk_size)
        self.view = memoryview(self.buf)
        self.pos = 0
        self.end = 0
        self.eof = False
        self._base = 0
        self._digest: _Digest | None = None
        self._hashed = 0

    @property
    def offset(self) -> int:
        """Bytes consumed from the stream so far."""
        return self._base + self.pos

    def attach_digest(self, digest: _Digest) -> None:
        """Feed every byte consumed from now on to `digest`."""
        self._digest = digest
        self._hashed = self.pos

    def detach_digest(self) -> None:
        """Feed the digest what was consumed so far, then stop feeding it."""
        self.flush_digest()
        self._digest = None

    def flush_digest(self) -> None:
        """Feed the digest the bytes consumed since the last feed."""
        if self._digest is not None and self._hashed < self.pos:
            self._digest.update(self.view[self._hashed : self.pos])
        self._hashed = self.pos

    def ensure(self, count: int) -> bool:
        """Make `count` bytes available at `pos`; False if the stream ends first."""
        if self.end - self.pos >= count:
            return True
        if self.pos + count > len(self.buf):
            self._compact(count)
        # Read a chunk ahead; but an item larger than a chunk is read exactly, so that
        # consuming it empties the buffer and large frames are never moved.
        limit = min(len(self.buf), self.pos + max(count, self._chunk))
        while self.end - self.pos < count and not self.eof:
            got = self._readinto(self.view[self.end : limit])
            if not got:
                self.eof = True
            else:
                self.end += got
        return self.end - self.pos >= count

    def read_exact(self, count: int) -> bytes:
        """The next `count` bytes; a short stream is a malformed message."""
        if not self.ensure(count):
            raise MessageError()
        data = bytes(self.view[self.pos : self.pos + count])
        self.pos += count
        return data

    def at_end(self) -> bool:
        """Whether the stream has no byte left."""
        return not self.ensure(1)

    def _compact(self, count: int) -> None:
        self.flush_digest()
        tail = self.end - self.pos
        if count > len(self.buf):
            new = bytearray(count)
            new[:tail] = self.buf[self.pos : self.end]
            self.buf = new
            self.view = memoryview(new)
        elif tail:
            self.buf[:tail] = self.buf[self.pos : self.end]
        self._base += self.pos
        self.pos, self.end, self._hashed = 0, tail, 0
