"""One send per response: the coalescing transport under a real event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from strongroom.api.http1 import CoalescingTransport


class RecordingTransport:
    """What reached the socket, in order: ("write", bytes), ("eof",) or ("close",)."""

    def __init__(self) -> None:
        self.events: list[tuple[object, ...]] = []

    def write(self, data: bytes) -> None:
        self.events.append(("write", bytes(data)))

    def write_eof(self) -> None:
        self.events.append(("eof",))

    def close(self) -> None:
        self.events.append(("close",))

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


Steps = Callable[[CoalescingTransport, RecordingTransport], Awaitable[None]]


def _run(steps: Steps) -> list[tuple[object, ...]]:
    async def main() -> list[tuple[object, ...]]:
        sink = RecordingTransport()
        transport = CoalescingTransport(sink, asyncio.get_running_loop())
        await steps(transport, sink)
        await asyncio.sleep(0)
        return sink.events

    return asyncio.run(main())


def test_head_and_body_written_in_one_step_leave_as_one_send() -> None:
    async def steps(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        assert sink.events == []  # held until the next write or the end of the step
        transport.write(memoryview(b"body"))
        assert sink.events == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]

    assert _run(steps) == [("write", b"HTTP/1.1 200 OK\r\n\r\nbody")]


def test_a_lone_write_leaves_when_its_step_ends() -> None:
    async def steps(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        transport.write(bytearray(b"HTTP/1.1 100 Continue\r\n\r\n"))
        await asyncio.sleep(0)
        assert sink.events == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]

    assert _run(steps) == [("write", b"HTTP/1.1 100 Continue\r\n\r\n")]


def test_order_is_kept_across_steps_and_odd_numbers_of_writes() -> None:
    async def steps(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        for part in (b"a", b"b", b"c"):
            transport.write(part)
        await asyncio.sleep(0)
        transport.write(b"d")
        transport.write(b"e")

    events = _run(steps)
    assert b"".join(e[1] for e in events) == b"abcde"  # type: ignore[misc]
    assert events == [("write", b"ab"), ("write", b"c"), ("write", b"de")]


def test_close_and_eof_send_what_is_held_first() -> None:
    async def steps(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        transport.write(b"last words")
        transport.close()

    assert _run(steps) == [("write", b"last words"), ("close",)]

    async def eof(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        transport.write(b"x")
        transport.write_eof()

    assert _run(eof) == [("write", b"x"), ("eof",)]


def test_held_bytes_count_as_buffered_and_the_rest_is_the_real_transport() -> None:
    async def steps(transport: CoalescingTransport, sink: RecordingTransport) -> None:
        assert transport.get_write_buffer_size() == 7
        transport.write(b"12345")
        assert transport.get_write_buffer_size() == 12
        assert transport.get_extra_info("peername") == "info:peername"

    _run(steps)
