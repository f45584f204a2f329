"""Answers written once per event-loop turn, after every request of that turn is answered.

A client waiting on its answer sleeps; each write that wakes it costs the writer a
cross-CPU wake-up, which on a virtual machine is a VM exit: on the 2-vCPU development VM,
about 20 µs of server CPU per answer once the server is the bottleneck (the client is then
always asleep). When the loop hands over several requests in one turn (many connections
under load, or one client's pipelined requests), answering all of them first and then
writing them back to back wakes each client thread once, not once per answer: Decrypt
under 32 connections went from 95 to 62 µs of server CPU per request, and its p99 latency
fell with it (bench/README.md). A turn with one request pays one `call_soon`.

A connection keeps its own queued answers in order (`Outbox.queue`); before anything else
is written on it or it is closed, it writes them itself (`Outbox.flush_now`), so answers
keep the order of their requests whatever path writes next.
"""

from __future__ import annotations

import asyncio
import weakref

__all__ = ["Outbox", "outbox_of"]


class Outbox:
    """The answers queued during one turn of one event loop, written when it ends."""

    __slots__ = ("__weakref__", "_loop", "_queued", "_scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queued: list[tuple[asyncio.Transport, list[bytes]]] = []
        self._scheduled = False

    def queue(self, transport: asyncio.Transport, pending: list[bytes], data: bytes) -> None:
        """Add `data` to `pending`, the connection's own list of answers not yet written;
        the whole list is written to `transport` when this turn ends (or at `flush_now`)."""
        if not pending:
            self._queued.append((transport, pending))
            if not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self._write_all)
        pending.append(data)

    @staticmethod
    def flush_now(transport: asyncio.Transport | None, pending: list[bytes]) -> None:
        """Write a connection's queued answers now (it is about to write or close)."""
        if not pending:
            return
        data = pending[0] if len(pending) == 1 else b"".join(pending)
        pending.clear()
        if transport is not None and not transport.is_closing():
            transport.write(data)

    def _write_all(self) -> None:
        queued, self._queued = self._queued, []
        self._scheduled = False
        for transport, pending in queued:
            self.flush_now(transport, pending)


_OUTBOXES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Outbox] = (
    weakref.WeakKeyDictionary()
)


def outbox_of(loop: asyncio.AbstractEventLoop) -> Outbox:
    """The outbox of `loop` (one per event loop, made on first use)."""
    outbox = _OUTBOXES.get(loop)
    if outbox is None:
        outbox = _OUTBOXES[loop] = Outbox(loop)
    return outbox
