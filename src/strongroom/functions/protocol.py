"""The pipes between the server and a function's process, and how they are framed.

Request pipe (server to child): one line of JSON describing the invocation, then the
event's bytes, then end of file. Result pipe (child to server): frames, each a one-byte
tag, a four-byte big-endian length and that many bytes:

- `STARTED` (empty): the handler is loaded and about to be called; its timeout starts.
- `RESULT`: the handler's return value, marshalled as Lambda's runtime does.
- `ERROR`: Lambda's error document (JSON) for a handler that raised or could not load.
- `OUT_OF_MEMORY` (empty): the handler hit the address-space backstop (MemoryError).

The child runs untrusted code in its own process, so the reader trusts nothing: an
unknown tag or a frame over its bound marks the stream corrupt and it reads no more.
Standard library only: the child imports this module.
"""

from __future__ import annotations

import os
import struct

BOOTSTRAP = "strongroom.functions.bootstrap"
"""The module the child process runs (`python -m`), as its command line shows."""

STARTED = b"S"
RESULT = b"R"
ERROR = b"E"
OUT_OF_MEMORY = b"M"

_HEADER = struct.Struct(">cI")


def encode_frame(tag: bytes, body: bytes = b"") -> bytes:
    """One frame: tag, length, body."""
    return _HEADER.pack(tag, len(body)) + body


def write_frame(fd: int, tag: bytes, body: bytes = b"") -> None:
    """Write one whole frame to `fd` (blocking)."""
    view = memoryview(encode_frame(tag, body))
    while view:
        view = view[os.write(fd, view) :]


class FrameReader:
    """Splits the result pipe's bytes into frames, bounding each by its tag's limit."""

    def __init__(self, limits: dict[bytes, int]) -> None:
        """`limits` maps every accepted tag to the largest body it may carry."""
        self._limits = limits
        self._buffer = bytearray()
        self.corrupt = False
        self.oversized: bytes | None = None
        """The tag of a frame refused for its size (the child said too much)."""

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        """Take `data`; return the frames it completes, in order."""
        if self.corrupt:
            return []
        self._buffer += data
        frames: list[tuple[bytes, bytes]] = []
        while len(self._buffer) >= _HEADER.size:
            tag, length = _HEADER.unpack_from(self._buffer)
            limit = self._limits.get(tag)
            if limit is None or length > limit:
                self.corrupt = True
                self.oversized = tag if limit is not None else None
                self._buffer.clear()
                break
            end = _HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append((tag, bytes(self._buffer[_HEADER.size : end])))
            del self._buffer[:end]
        return frames
