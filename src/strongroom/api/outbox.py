"""Answers written once per event-loop turn, after every request of that turn is answered.

A client waiting on its answer sleeps; each write that wakes it costs the writer a
cross-CPU wake-up, which on a virtual machine is a VM exit: on the 2-vCPU development VM,
about 20 µs of server CPU per answer once the server is the bottleneck (the client is then
always asleep). When the loop hands over several requests in one turn (many connections
under load, or one client's pipelined requests), answering all of them first and then
writing them back to back wakes a client thread that waits on several connections (a load
generator, an asynchronous client) once per turn, not once per answer; a client thread
with one connection gets its answer one loop iteration later, as it would. Decrypt under
32 connections went from 95 to 64 µs of server CPU per request, and its p99 latency fell
with it (bench/README.md, 2026-12-04). A turn with one request pays one `call_soon`.

A connection keeps its queued answers in order in its own `Pending`. Before anything else
is written on it, before it is closed and when its client half-closes (the transport may
then close itself before the turn ends), it writes them itself (`Outbox.flush_now`), so
answers keep the order of their requests and none is dropped, with one exception: over
TLS on uvloop, a client that drops the TCP connection's sending side without TLS's
close_notify (a truncated TLS stream), read in the same turn as requests that filled
uvloop's 256 KiB read buffer, gets uvloop's shutdown at once and may lose up to
`FLUSH_BYTES` of queued answers. A connection with `FLUSH_BYTES` queued writes them at once,
so a client that does not read its answers is still stopped by the transport's own
back-pressure (`pause_writing`) within the turn.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["FLUSH_BYTES", "Outbox", "Pending", "outbox_of"]

FLUSH_BYTES = 64 * 1024
"""Queued answers of one connection are written at once when they reach this size (the
default high-water mark of a plain TCP transport's write buffer, asyncio's and uvloop's;
their TLS transports' is 512 KiB)."""


class Pending:
    """One connection's answers not yet written, in order, and their size."""

    __slots__ = ("chunks", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0

    def take(self) -> bytes:
        """All of them as one piece (empty if none), leaving none."""
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        self.size = 0
        return data


class Outbox:
    """The answers queued during one turn of one event loop, written when it ends."""

    __slots__ = ("__weakref__", "_queued", "_scheduled")

    def __init__(self) -> None:
        self._queued: list[tuple[asyncio.Transport, Pending]] = []
        self._scheduled = False

    def queue(
        self,
        loop: asyncio.AbstractEventLoop,
        transport: asyncio.Transport,
        pending: Pending,
        data: bytes,
    ) -> None:
        """Add `data` to a connection's `pending` answers, written to `transport` when this
        turn of `loop` ends (or earlier: `flush_now`, `FLUSH_BYTES`)."""
        if not pending.chunks:
            self._queued.append((transport, pending))
            if not self._scheduled:
                self._scheduled = True
                loop.call_soon(self._write_all, loop)
        pending.chunks.append(data)
        pending.size += len(data)
        if pending.size >= FLUSH_BYTES:
            self.flush_now(transport, pending)

    @staticmethod
    def flush_now(transport: asyncio.Transport | None, pending: Pending) -> None:
        """Write a connection's queued answers now (it is about to write or close)."""
        if not pending.chunks:
            return
        data = pending.take()
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _write_all(self, loop: asyncio.AbstractEventLoop) -> None:
        queued, self._queued = self._queued, []
        self._scheduled = False
        for transport, pending in queued:
            try:
                self.flush_now(transport, pending)
            except Exception as error:  # one connection's failure must not strand the rest
                loop.call_exception_handler(
                    {"message": "writing queued answers failed", "exception": error}
                )


_OUTBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox] = (
    weakref.WeakKeyDictionary()
)


def outbox_of(loop: asyncio.AbstractEventLoop) -> Outbox:
    """The outbox of `loop` (one per event loop, made on first use, gone with the loop
    once its last turn has ended)."""
    outbox = _OUTBOXES.get(loop)
    if outbox is None:
        outbox = _OUTBOXES[loop] = Outbox()
    return outbox
