"""The HTTP/1.1 protocol on a real socket: limits, keep-alive, timeouts and shutdown."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from strongroom.api.http1 import MAX_HEADER_BYTES, REQUEST_TIMEOUTS, StrongroomHttpProtocol
from strongroom.app import build, dev_bootstrap
from strongroom.config import Config

HEALTH = b"GET /sys/health HTTP/1.1\r\nHost: x\r\n\r\n"


class Server:
    """A Strongroom dev app behind StrongroomHttpProtocol on a loopback port."""

    def __init__(self, tmp_path: Path, idle_timeout: float, max_body: int) -> None:
        config = Config(data_dir=tmp_path, dev=True, max_body_bytes=max_body).check()
        self.app = build(config)
        dev_bootstrap(self.app)
        self.state = SimpleNamespace(connections=set())
        self.uvicorn_config = SimpleNamespace(
            loaded_app=self.app.asgi, timeout_keep_alive=idle_timeout
        )
        self.port = 0

    def protocol(self) -> StrongroomHttpProtocol:
        return StrongroomHttpProtocol(self.uvicorn_config, self.state)

    async def connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection("127.0.0.1", self.port)


Scenario = Callable[[Server], Coroutine[Any, Any, None]]


def _run(tmp_path: Path, scenario: Scenario, idle: float = 30.0, max_body: int = 1024) -> None:
    async def main() -> None:
        server = Server(tmp_path, idle, max_body)
        listener = await asyncio.get_running_loop().create_server(server.protocol, "127.0.0.1", 0)
        server.port = listener.sockets[0].getsockname()[1]
        try:
            await asyncio.wait_for(scenario(server), timeout=20)
        finally:
            listener.close()
            server.app.storage.close()

    asyncio.run(main())


async def _close(*writers: asyncio.StreamWriter) -> None:
    for writer in writers:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, dict[bytes, bytes], bytes]:
    status = (await reader.readline()).strip()
    headers = {}
    while (line := await reader.readline()) != b"\r\n":
        name, _, value = line.partition(b":")
        headers[name.lower()] = value.strip()
    body = await reader.readexactly(int(headers[b"content-length"]))
    return status, headers, body


def test_keep_alive_serves_many_requests_on_one_connection(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        for _ in range(3):
            writer.write(HEALTH)
            status, headers, body = await _answer(reader)
            assert status == b"HTTP/1.1 200 OK" and b"connection" not in headers
            assert b'"sealed":false' in body
        await _close(writer)

    _run(tmp_path, scenario)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GET /sys/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        b"GET /sys/health HTTP/1.0\r\n\r\n",
        b"GET /sys/health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    ],
)
def test_connection_close_and_http_1_0_close_after_the_answer(
    tmp_path: Path, request_bytes: bytes
) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(request_bytes)
        status, headers, _ = await _answer(reader)
        assert status == b"HTTP/1.1 200 OK" and headers[b"connection"] == b"close"
        assert await reader.read() == b""  # closed by the server
        await _close(writer)

    _run(tmp_path, scenario)


def test_malformed_requests_get_400_and_the_connection_closes(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        for junk in (b"NOT HTTP AT ALL\r\n\r\n", b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"):
            reader, writer = await server.connect()
            writer.write(junk)
            status, headers, body = await _answer(reader)
            assert status == b"HTTP/1.1 400 Bad Request" and headers[b"connection"] == b"close"
            assert b"Traceback" not in body
            assert await reader.read() == b""
            await _close(writer)

    _run(tmp_path, scenario)


def test_oversized_headers_get_431(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(b"GET /sys/health HTTP/1.1\r\nHost: x\r\n")
        for index in range(MAX_HEADER_BYTES // 1000 + 2):
            writer.write(b"X-Filler-%d: %s\r\n" % (index, b"f" * 1000))
        writer.write(b"\r\n")
        status, headers, _ = await _answer(reader)
        assert headers[b"connection"] == b"close"
        assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
        assert await reader.read() == b""
        await _close(writer)

    _run(tmp_path, scenario)


def test_bodies_over_the_limit_get_413_at_once_declared_or_chunked(tmp_path: Path) -> None:
    """The 413 comes before the body ends; the connection closes once the rest is dropped."""

    async def scenario(server: Server) -> None:
        declared = b"POST /sys/unseal HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n"
        chunked = b"POST /sys/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        cases = (
            (declared, b"x" * 10, b"x" * 4990),
            (chunked, b"800\r\n" + b"x" * 2048 + b"\r\n", b"0\r\n\r\n"),
        )
        for head, first, rest in cases:
            reader, writer = await server.connect()
            writer.write(head + first)
            status, headers, payload = await _answer(reader)
            assert status == b"HTTP/1.1 413 Request Entity Too Large"
            assert headers[b"connection"] == b"close"
            assert b"RequestEntityTooLargeException" in payload
            writer.write(rest + b"GET /sys/health HTTP/1.1\r\nHost: x\r\n\r\n")
            assert await reader.read() == b""  # closed, and nothing sent after the 413
            await _close(writer)

    _run(tmp_path, scenario, max_body=1024)


def test_a_chunked_body_within_the_limit_is_read_whole(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(b"POST /sys/unseal HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        writer.write(b'4\r\n{"ke\r\n')
        writer.write(b'9\r\ny": "abc"\r\n1\r\n}\r\n0\r\n\r\n')
        status, _, body = await _answer(reader)
        # The whole JSON arrived (a part would not parse); an unsealed server just reports.
        assert status == b"HTTP/1.1 200 OK" and b'"sealed":false' in body, body
        await _close(writer)

    _run(tmp_path, scenario)


def test_an_idle_connection_is_closed_after_the_timeout(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(HEALTH)
        await _answer(reader)
        writer.write(b"GET /sys/health HTTP/1.1\r\n")  # half a request, then silence
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await reader.read() == b""  # closed by the server, not by this client
        assert loop.time() - started >= 0.2
        await _close(writer)

    _run(tmp_path, scenario, idle=0.3)


def test_shutdown_closes_idle_connections_and_answers_a_half_received_request_first(
    tmp_path: Path,
) -> None:
    async def scenario(server: Server) -> None:
        idle_reader, idle_writer = await server.connect()
        busy_reader, busy_writer = await server.connect()
        busy_writer.write(b"GET /sys/health HTTP/1.1\r\nHost: x\r\n")
        while not any(connection.receiving for connection in server.state.connections):
            await asyncio.sleep(0)
        for connection in list(server.state.connections):
            connection.shutdown()
        assert await idle_reader.read() == b""
        busy_writer.write(b"\r\n")
        status, headers, _ = await _answer(busy_reader)
        assert status == b"HTTP/1.1 200 OK" and headers[b"connection"] == b"close"
        assert await busy_reader.read() == b""
        while server.state.connections:  # what uvicorn waits for before it stops
            await asyncio.sleep(0)
        await _close(idle_writer, busy_writer)

    _run(tmp_path, scenario)


def test_one_header_that_never_ends_gets_431(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(b"GET /sys/health HTTP/1.1\r\nHost: x\r\nX-Endless: ")
        for _ in range(MAX_HEADER_BYTES // 4096 + 2):
            writer.write(b"a" * 4096)
            await writer.drain()
        status, headers, _ = await _answer(reader)
        assert status == b"HTTP/1.1 431 Request Header Fields Too Large"
        assert headers[b"connection"] == b"close"
        await _close(writer)

    _run(tmp_path, scenario)


def test_a_client_still_sending_a_refused_body_reads_its_413(tmp_path: Path) -> None:
    """The rest of the body is read and dropped: closing under it would reset the answer."""

    async def scenario(server: Server) -> None:
        size = 4 * 1024 * 1024
        reader, writer = await server.connect()
        writer.write(b"POST /sys/unseal HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size)
        for _ in range(size // 65536):
            writer.write(b"x" * 65536)
            await writer.drain()
        status, headers, payload = await _answer(reader)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        assert headers[b"connection"] == b"close"
        assert b"RequestEntityTooLargeException" in payload
        assert await reader.read() == b""
        await _close(writer)

    _run(tmp_path, scenario, max_body=1024)


def test_upgrade_requests_get_one_400(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(
            b"GET /sys/health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
        )
        status, headers, _ = await _answer(reader)
        assert status == b"HTTP/1.1 400 Bad Request" and headers[b"connection"] == b"close"
        assert await reader.read() == b""  # nothing after the one answer
        await _close(writer)

    _run(tmp_path, scenario)


def test_absolute_form_targets_are_answered(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        for target in (b"http://x/sys/health", b"http://x"):
            writer.write(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target)
            status, _, body = await _answer(reader)
            assert status in (b"HTTP/1.1 200 OK", b"HTTP/1.1 404 Not Found"), body
            assert b"Internal" not in body
        await _close(writer)

    _run(tmp_path, scenario)


def test_a_slow_client_that_keeps_sending_is_not_cut_off(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        request = b"GET /sys/health HTTP/1.1\r\nHost: x\r\n\r\n"
        for byte in request:  # one byte every 50 ms: twice the idle timeout in all
            writer.write(bytes([byte]))
            await asyncio.sleep(0.05)
        status, _, _ = await _answer(reader)
        assert status == b"HTTP/1.1 200 OK"
        await _close(writer)

    _run(tmp_path, scenario, idle=0.3)


async def _trickle(writer: asyncio.StreamWriter) -> None:
    """A byte every 20 ms: never idle, never done."""
    with contextlib.suppress(ConnectionError):
        while not writer.is_closing():
            writer.write(b"a")
            await writer.drain()
            await asyncio.sleep(0.02)


def test_a_request_trickling_in_forever_gets_408(tmp_path: Path) -> None:
    idle = 0.05

    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(b"GET /sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        loop = asyncio.get_running_loop()
        started = loop.time()
        sender = asyncio.create_task(_trickle(writer))
        status, headers, _ = await _answer(reader)
        assert status == b"HTTP/1.1 408 Request Timeout" and headers[b"connection"] == b"close"
        assert loop.time() - started >= REQUEST_TIMEOUTS * idle * 0.9
        assert await reader.read() == b""
        await _close(writer)
        await sender

    _run(tmp_path, scenario, idle=idle)


def test_a_refused_body_trickling_in_gets_its_413_and_nothing_more(tmp_path: Path) -> None:
    async def scenario(server: Server) -> None:
        reader, writer = await server.connect()
        writer.write(b"POST /sys/unseal HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\n")
        status, _, _ = await _answer(reader)
        assert status == b"HTTP/1.1 413 Request Entity Too Large"
        sender = asyncio.create_task(_trickle(writer))
        assert await reader.read() == b""  # closed at the deadline, with no second answer
        await _close(writer)
        await sender

    _run(tmp_path, scenario, idle=0.05, max_body=1024)
