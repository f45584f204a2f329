"""The application: routes, body limits, request ids, the worker threads of blocking calls.

    POST /  with X-Amz-Target  -> AWS JSON 1.1 services (api.aws.dispatch)
    /<api version>/...         -> REST-JSON services: Lambda's /2015-03-31/functions/...
    POST / with a form body,   -> AWS query services: IAM, STS (api.aws.dispatch)
    or GET /?Action=...
    /sys/*                     -> operator API (api.sys.routes)
    POST /moto-api/reset       -> dev mode only: wipe all service state

`answer` is the whole of it, synchronous: a request read in full in, an `Answer` out, or
a `Deferred` for an operation that must not run on the event loop (it may wait on this
same server): its `run()` goes to `run_deferred`, a bounded pool of worker threads. The
server's HTTP/1.1 protocol (`http1`) calls `answer` directly; the ASGI interface around it
serves the lifespan (start-up and shut-down hooks) and any other ASGI server. Bodies over
`max_body_bytes` are refused before they are read in full.

Invariant: an X-Amz-Target request never pays for the other routes (it is the first
test); the REST test is one set lookup, then the query test (path `/`, then the content
type or the query), before the operator routes.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote

from strongroom.api.answer import Answer, Deferred
from strongroom.api.aws import errors as wire_errors
from strongroom.api.aws.dispatch import AwsDispatcher
from strongroom.api.aws.json_protocol import encode_error
from strongroom.api.aws.query_protocol import FORM
from strongroom.api.sys.routes import SysRoutes
from strongroom.crypto import RandomBytes, system_random
from strongroom.errors import RequestTooLargeError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

__all__ = ["BLOCKING_THREADS", "Answer", "Deferred", "StrongroomAsgi"]

_TOO_LARGE = encode_error(RequestTooLargeError.code, "Request body is too large.")
_AWS_JSON = b"application/x-amz-json-1.1"

BLOCKING_THREADS = 16
"""Worker threads for blocking operations (Lambda invocations), per process: more wait."""


class _RequestIds:
    """Unique request ids in UUID form without a syscall per request: a random per-process
    prefix (drawn once from `random`) and a counter."""

    def __init__(self, random: RandomBytes) -> None:
        p = random(10).hex()
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
        random: RandomBytes = system_random,
        blocking_threads: int = BLOCKING_THREADS,
        large_bodies: tuple[bytes, int] | None = None,
    ) -> None:
        """`large_bodies`: (path prefix, limit) of the code-upload routes whose bodies may
        exceed `max_body_bytes` (Lambda's, when code uploads are allowed)."""
        self._aws = aws
        self._sys = sys_routes
        self._max_body = max_body_bytes
        self._large = large_bodies
        self._on_startup = on_startup
        self._on_shutdown = on_shutdown
        self._ids = _RequestIds(random)
        self._blocking = ThreadPoolExecutor(blocking_threads, "strongroom-blocking")

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
                self._blocking.shutdown(wait=False)  # connections have closed by now
                await send({"type": "lifespan.shutdown.complete"})
                return

    @property
    def max_body_bytes(self) -> int:
        """Request bodies larger than this are refused (413) before they are read in full."""
        return self._max_body

    def body_limit(self, raw_path: bytes) -> int:
        """The body limit for a request to `raw_path` without X-Amz-Target: the large one
        only for the code uploads, `<prefix>` (CreateFunction) and `<prefix>/<name>/code`
        (UpdateFunctionCode)."""
        large = self._large
        if large is None:
            return self._max_body
        prefix, limit = large
        path = raw_path.partition(b"?")[0].rstrip(b"/")
        if path == prefix or (
            path.startswith(prefix + b"/")
            and path.endswith(b"/code")
            and path.count(b"/") == prefix.count(b"/") + 2
        ):
            return max(limit, self._max_body)
        return self._max_body

    def answer(
        self,
        method: str,
        raw_path: bytes,
        query: bytes,
        headers: Sequence[tuple[bytes, bytes]],
        body: bytes,
        target: str | None,
        client: str | None = None,
        secure: bool | None = None,
    ) -> Answer | Deferred:
        """The whole answer to one request whose body was read in full; never raises.

        `headers` are (lowercase name, value) pairs as sent; `target` is X-Amz-Target;
        `client` is the peer's address, when known (operator calls are rate-limited by it,
        policies read it as aws:SourceIp); `secure` whether it came over TLS.
        A `Deferred` answer is computed by `run_deferred`, off the event loop.
        """
        request_id = self._ids.next()
        raw = raw_path.decode("utf-8", "surrogateescape")
        if target is not None and method == "POST":
            return self._aws.handle(
                target, method, raw, query, headers, body, request_id, (client, secure)
            )
        if self._aws.serves_rest(raw):
            return self._aws.handle_rest(
                method, raw, query, headers, body, request_id, (client, secure)
            )
        if raw == "/" and self._aws.serves_query and _is_query(method, query, headers):
            return self._aws.handle_query(
                method, raw, query, headers, body, request_id, (client, secure)
            )
        path = unquote(raw) if "%" in raw else raw
        status, payload = self._sys.handle(
            method, path, raw, query, headers, body, request_id, client
        )
        return Answer(status, b"application/json", payload, request_id)

    def run_deferred(
        self, deferred: Deferred, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Answer]:
        """`deferred.run()` in a worker thread; the future completes on `loop`. Once the
        pool is shut down (the lifespan ended), the answer is a 503 at once."""
        try:
            return loop.run_in_executor(self._blocking, deferred.run)
        except RuntimeError:  # cannot schedule new futures after shutdown
            future: asyncio.Future[Answer] = loop.create_future()
            future.set_result(self.error(503, "ServiceUnavailableException", "Shutting down."))
            return future

    def too_large(self) -> Answer:
        """The answer to a request whose body is over the limit."""
        return Answer(413, _AWS_JSON, _TOO_LARGE, self._ids.next())

    def error(self, status: int, code: str, message: str) -> Answer:
        """An error found before routing (by the HTTP layer), with its own request id."""
        return Answer(status, _AWS_JSON, encode_error(code, message), self._ids.next())

    def internal_error(self) -> Answer:
        """The answer when answering failed: it names only a request id."""
        request_id = self._ids.next()
        status, code, message = wire_errors.internal_error(None, request_id)
        return Answer(status, _AWS_JSON, encode_error(code, message), request_id)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        target = None
        declared = 0
        for name, value in headers:
            if name == b"x-amz-target":
                target = value.decode("latin-1")
            elif name == b"content-length":
                short = value.isdigit() and len(value) <= 18  # int() refuses 4300+ digits
                declared = int(value) if short else self._max_body + 1 if value.isdigit() else 0
        raw_path = scope.get("raw_path") or scope["path"].encode("utf-8", "surrogateescape")
        limit = self._max_body if target is not None else self.body_limit(raw_path)
        body = None if declared > limit else await self._read_body(receive, limit)
        if body is None:
            await _respond(send, self.too_large())
            return
        query = scope["query_string"]
        client = scope.get("client")
        peer = client[0] if client else None
        secure = scope.get("scheme") == "https"
        answer = self.answer(scope["method"], raw_path, query, headers, body, target, peer, secure)
        if isinstance(answer, Deferred):
            answer = await self.run_deferred(answer, asyncio.get_running_loop())
        await _respond(send, answer)

    async def _read_body(self, receive: Receive, limit: int) -> bytes | None:
        message = await receive()
        body = message.get("body", b"")
        if len(body) > limit:
            return None
        if not message.get("more_body"):
            return body  # type: ignore[no-any-return]
        parts = [body]
        size = len(body)
        while True:
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            parts.append(chunk)
            if not message.get("more_body"):
                return b"".join(parts)


def _is_query(method: str, query: bytes, headers: Sequence[tuple[bytes, bytes]]) -> bool:
    """An AWS query request: a form POSTed, or a GET naming an Action."""
    if method == "POST":
        for name, value in headers:
            if name == b"content-type":
                return value[: len(FORM)].lower() == FORM
        return False
    return method == "GET" and (query.startswith(b"Action=") or b"&Action=" in query)


async def _respond(send: Send, answer: Answer) -> None:
    headers = [
        (b"content-type", answer.content_type),
        (b"content-length", str(len(answer.body)).encode()),
        (b"x-amzn-requestid", answer.request_id.encode()),
    ]
    if answer.headers:
        for line in answer.headers.split(b"\r\n")[:-1]:
            name, _, value = line.partition(b": ")
            headers.append((name.lower(), value))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
