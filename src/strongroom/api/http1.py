"""HTTP/1.1 connections: uvicorn's httptools protocol, one send per response.

uvicorn writes a response's head when the app sends `http.response.start` and its body on
`http.response.body`: two sends, two wake-ups of the client, for every request. Here each
connection's transport is wrapped so that writes made in one event-loop step leave as one:
a write is held, the next write in the same step goes out joined with it, and whatever is
still held when the step ends is sent then (a `call_soon` callback). So bytes leave in the
order written, no later than the step that wrote them, and a close or EOF sends what is
held first. Everything else is uvicorn's own code.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["CoalescingTransport", "OneSendHttpProtocol"]


class CoalescingTransport:
    """A transport that sends the writes of one event-loop step together."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Send `data` with what is held, or hold it until the next write or the step's end."""
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self._flush)
        else:
            self._held = None
            self._transport.write(held + data)

    def _flush(self) -> None:
        held = self._held
        if held is not None:
            self._held = None
            self._transport.write(held)

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def get_write_buffer_size(self) -> int:
        held = self._held
        return self._transport.get_write_buffer_size() + (0 if held is None else len(held))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneSendHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
