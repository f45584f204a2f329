"""The ASGI application: routes, body limits, request ids. The only HTTP in Strongroom.

    POST /  with X-Amz-Target  -> AWS JSON 1.1 services (api.aws.dispatch)
    /sys/*                     -> operator API (api.sys.routes)
    POST /moto-api/reset       -> dev mode only: wipe all service state

Bodies over `max_body_bytes` are refused before they are read in full.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from strongroom.api.aws.dispatch import AwsDispatcher
from strongroom.api.aws.json_protocol import encode_error
from strongroom.api.sys.routes import SysRoutes
from strongroom.errors import RequestTooLargeError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_TOO_LARGE = encode_error(RequestTooLargeError.code, "Request body is too large.")


class _RequestIds:
    """Unique request ids in UUID form without a syscall per request: a random per-process
    prefix and a counter."""

    def __init__(self) -> None:
        p = os.urandom(10).hex()
        self._prefix = f"{p[:8]}-{p[8:12]}-4{p[12:15]}-8{p[15:18]}-"
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFFFF:012x}"


class StrongroomAsgi:
    """The whole HTTP surface of one Strongroom process."""

    def __init__(
        self,
        aws: AwsDispatcher,
        sys_routes: SysRoutes,
        max_body_bytes: int,
        on_startup: Callable[[], Awaitable[None]] | None = None,
        on_shutdown: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._aws = aws
        self._sys = sys_routes
        self._max_body = max_body_bytes
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self._ids = _RequestIds()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                if self._on_startup is not None:
                    await self._on_startup()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self._on_shutdown is not None:
                    await self._on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = self._ids.next()
        headers = scope["headers"]
        target = None
        declared = 0
        for name, value in headers:
            if name == b"x-amz-target":
                target = value.decode("latin-1")
            elif name == b"content-length":
                declared = int(value) if value.isdigit() else 0
        if declared > self._max_body:
            await _respond(send, 413, _TOO_LARGE, request_id)
            return
        body = await self._read_body(receive)
        if body is None:
            await _respond(send, 413, _TOO_LARGE, request_id)
            return
        method = scope["method"]
        path = scope["path"]
        raw_path = scope.get("raw_path")
        raw = raw_path.decode("utf-8", "surrogateescape") if raw_path else path
        query = scope["query_string"]
        if target is not None and method == "POST":
            response = self._aws.handle(target, method, raw, query, headers, body, request_id)
            await _respond(send, response.status, response.body, request_id)
            return
        status, payload = self._sys.handle(method, path, raw, query, headers, body, request_id)
        await _respond(send, status, payload, request_id, b"application/json")

    async def _read_body(self, receive: Receive) -> bytes | None:
        message = await receive()
        body = message.get("body", b"")
        if len(body) > self._max_body:
            return None
        if not message.get("more_body"):
            return body  # type: ignore[no-any-return]
        parts = [body]
        size = len(body)
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max_body:
                return None
            parts.append(chunk)
            if not message.get("more_body"):
                return b"".join(parts)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    request_id: str,
    content_type: bytes = b"application/x-amz-json-1.1",
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"x-amzn-requestid", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
