"""HTTP/1.1 connections, parsed by httptools, answered by `StrongroomAsgi.answer` in place.

uvicorn still runs the server (sockets, TLS, workers, signals, lifespan, graceful
shutdown); this is the protocol it is given for each connection. Every Strongroom answer is
computed synchronously, so a request needs no ASGI task, no message dicts and no awaits:
when its last byte is parsed it is answered, head and body in one write: about 15 µs of
CPU per request less than uvicorn's ASGI protocol (bench/kms_load.py).

What a connection does:
- Keep-alive as an HTTP/1.1 request asks (HTTP/1.0 connections close after one answer);
  pipelined requests are answered in order, each as soon as it is complete.
- A body over the limit, declared or chunked, gets 413 at once; the rest of it is read and
  dropped (up to `_DISCARD_LIMIT`) so the client, still sending, gets to read the 413, and
  then the connection closes. `Expect: 100-continue` is answered at once.
- A request line and headers over `MAX_HEADER_BYTES` get 431, including one header that
  never ends; a malformed request or an Upgrade gets 400. All three close.
- A connection with no bytes received for `timeout_keep_alive` seconds is closed, partly
  sent requests included; a request still incomplete `REQUEST_TIMEOUTS` timeouts after its
  first byte gets 408 (a trickle of bytes cannot hold a connection); a connection that has
  not taken its answers a timeout after closing is aborted. While the client does not
  read its answers, reading pauses.
- On shutdown, idle connections close at once, one with a request half received after
  its answer.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

import httptools

from strongroom.api.asgi import Answer, StrongroomAsgi

__all__ = ["MAX_HEADER_BYTES", "REQUEST_TIMEOUTS", "StrongroomHttpProtocol"]

log = logging.getLogger("strongroom.api")

MAX_HEADER_BYTES = 64 * 1024
"""Request line plus headers; AWS SDK requests send about 1 KiB."""

REQUEST_TIMEOUTS = 12
"""A request must arrive whole within this many keep-alive timeouts (60 s by default)."""
_DISCARD_LIMIT = 16 * 1024 * 1024
"""After a 413, up to this much more of the body is read and dropped before closing."""
_REASONS = {status.value: status.phrase.encode("ascii") for status in HTTPStatus}
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


_HEAD = (
    b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nx-amzn-requestid: %s\r\n%s\r\n"
)


def _head(answer: Answer, length: int, close: bool) -> bytes:
    return _HEAD % (
        answer.status,
        _REASONS.get(answer.status, b""),
        answer.content_type,
        length,
        answer.request_id.encode("ascii"),
        b"connection: close\r\n" if close else b"",
    )


def _strongroom_app(app: Any) -> StrongroomAsgi:
    """The StrongroomAsgi under whatever middleware uvicorn wrapped around it."""
    while not isinstance(app, StrongroomAsgi):
        inner = getattr(app, "app", None)
        if inner is None:
            raise TypeError(f"{type(app).__name__} is not a Strongroom application")
        app = inner
    return app


class StrongroomHttpProtocol(asyncio.Protocol):
    """One client connection (uvicorn's `http` protocol class)."""

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: Any = None,
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._app = _strongroom_app(config.loaded_app)
        self._loop = _loop or asyncio.get_event_loop()
        self._connections: set[Any] = server_state.connections
        self._idle_timeout = float(config.timeout_keep_alive)
        self._request_deadline = REQUEST_TIMEOUTS * self._idle_timeout
        self._request_started = 0.0
        self._max_body = self._app.max_body_bytes
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._last_data = 0.0
        self._closing = False  # close once the request being received is answered
        self._done = False  # answered for the last time: ignore whatever else arrives
        self._in_head = True  # the next bytes are a request line and headers
        self._head_ended = False  # some head ended in the chunk being parsed
        self._head_pending = 0  # bytes of a head that has not ended yet (at least)
        self._oversized = False
        self._in_request = False
        self._refused = False  # answered 413: the rest of the body is read and dropped
        self._url = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._header_bytes = 0
        self._body: list[bytes] = []
        self._body_bytes = 0
        self._target: str | None = None
        self._declared = 0
        self._expect_continue = False

    @property
    def receiving(self) -> bool:
        """Whether part of a request has arrived and is not answered yet."""
        return self._in_request

    # --- asyncio.Protocol -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        self._connections.add(self)
        self._last_data = self._loop.time()
        self._timer = self._loop.call_later(self._idle_timeout, self._close_if_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._transport = None

    def data_received(self, data: bytes) -> None:
        if self._done:
            return
        self._last_data = self._loop.time()
        was_in_head, self._head_ended = self._in_head, False
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if not self._done:
                self._fail(400, "Upgrade is not supported.")
            self._close()
        except httptools.HttpParserCallbackError:  # a bug of ours, not the client's
            log.exception("internal error while parsing a request")
            self._send(self._app.internal_error(), close=True)
        except httptools.HttpParserError:
            self._fail(400, "Malformed HTTP request.")
        else:
            # httptools reports a header only once it is whole: count the bytes of a head
            # that goes on and on here (a chunk in which no head ended is all head).
            if self._head_ended:
                self._head_pending = 0
            elif was_in_head and self._in_head:
                self._head_pending += len(data)
            if self._oversized or self._head_pending > MAX_HEADER_BYTES:
                self._fail(431, "Request header fields are too large.")

    def eof_received(self) -> bool | None:
        return None  # the transport closes itself

    def pause_writing(self) -> None:
        """The client reads its answers too slowly: stop reading its requests."""
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None:
            self._transport.resume_reading()

    # --- uvicorn's server ------------------------------------------------------------

    def shutdown(self) -> None:
        """Close now if idle, else once the request being received is answered."""
        if self._in_request:
            self._closing = True
        else:
            self._close()

    # --- httptools callbacks ------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._in_request = True
        self._request_started = self._loop.time()
        self._in_head = True
        self._refused = False
        self._url = b""
        self._headers = []
        self._header_bytes = 0
        self._body = []
        self._body_bytes = 0
        self._target = None
        self._declared = 0
        self._expect_continue = False

    def on_url(self, url: bytes) -> None:
        self._header_bytes += len(url)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._oversized = True
        elif not self._oversized:
            self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if not self._in_head:
            return  # a chunked body's trailer: not a header of the request
        self._header_bytes += len(name) + len(value)
        if self._header_bytes > MAX_HEADER_BYTES:
            self._oversized = True
        if self._oversized:
            return
        name = name.lower()
        self._headers.append((name, value))
        if name == b"x-amz-target":
            self._target = value.decode("latin-1")
        elif name == b"content-length":
            short = value.isdigit() and len(value) <= 18
            self._declared = int(value) if short else self._max_body + 1
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_ended = True
        if self._done or self._oversized:
            return  # data_received answers 431 once this chunk is parsed
        if self._parser.should_upgrade():
            self._fail(400, "Upgrade is not supported.")
        elif self._declared > self._max_body:
            self._refuse()
        elif self._expect_continue and self._transport is not None and self._http_1_1():
            self._transport.write(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._done or self._oversized:
            return
        self._body_bytes += len(body)
        if self._refused:
            if self._body_bytes > _DISCARD_LIMIT:
                self._close()
            return
        if self._body_bytes > self._max_body:
            self._refuse()
            return
        self._body.append(body)

    def on_message_complete(self) -> None:
        self._in_request = False
        self._in_head = True
        if self._refused:
            self._close()  # its 413 said so
            return
        if self._done or self._oversized:
            return
        keep_alive = self._parser.should_keep_alive() and self._http_1_1() and not self._closing
        method = self._parser.get_method().decode("ascii")
        try:
            url = httptools.parse_url(self._url)
        except httptools.HttpParserInvalidURLError:
            self._fail(400, "Malformed request target.")
            return
        raw_path, query = url.path or b"/", url.query or b""
        body = self._body[0] if len(self._body) == 1 else b"".join(self._body)
        try:
            answer = self._app.answer(method, raw_path, query, self._headers, body, self._target)
        except Exception:  # answer never raises; this keeps a bug from killing the connection
            log.exception("internal error answering %s %r", method, raw_path)
            answer = self._app.internal_error()
        self._send(answer, head_only=method == "HEAD", close=not keep_alive)

    # --- helpers ----------------------------------------------------------------------

    def _http_1_1(self) -> bool:
        return self._parser.get_http_version() == "1.1"

    def _send(
        self, answer: Answer, *, head_only: bool = False, close: bool = False, linger: bool = False
    ) -> None:
        """Write one answer; with `close`, close after it (with `linger`, once the rest of
        the request has been read and dropped, so the client gets to read the answer)."""
        transport = self._transport
        if transport is None or self._done:
            return
        head = _head(answer, len(answer.body), close)
        transport.write(head if head_only else head + answer.body)
        if close and not linger:
            self._close()

    def _refuse(self) -> None:
        """413 now; the rest of the body is read and dropped (up to a limit), then close.

        A client still sending its body would otherwise get a reset instead of the answer.
        """
        self._refused = True
        self._body = []
        linger = self._declared <= _DISCARD_LIMIT
        self._send(self._app.too_large(), close=True, linger=linger)

    def _fail(self, status: int, message: str) -> None:
        self._send(self._app.error(status, "BadRequest", message), close=True)

    def _close(self) -> None:
        self._done = True
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()

    def _close_if_idle(self) -> None:
        transport = self._transport
        if transport is None:
            return
        now = self._loop.time()
        idle = now - self._last_data
        late = self._in_request and now - self._request_started >= self._request_deadline
        if idle < self._idle_timeout and not late:
            self._timer = self._loop.call_later(self._idle_timeout - idle, self._close_if_idle)
            return
        if transport.is_closing():
            transport.abort()  # its answers were not read within a whole timeout
            return
        if late and not self._refused:  # bytes keep coming, too slowly to make a request
            self._fail(408, "The request took too long to arrive.")
        else:
            self._close()
        self._last_data = now
        self._timer = self._loop.call_later(self._idle_timeout, self._close_if_idle)
