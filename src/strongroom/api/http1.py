"""HTTP/1.1 connections, parsed by httptools, answered by `StrongroomAsgi.answer` in place.

uvicorn still runs the server (sockets, TLS, workers, signals, lifespan, graceful
shutdown); this is the protocol it is given for each connection. Almost every Strongroom
answer is computed synchronously, so a request needs no ASGI task, no message dicts and no
awaits: when its last byte is parsed it is answered, head and body as one piece: about
15 µs of CPU per request less than uvicorn's ASGI protocol (bench/kms_load.py). The piece
is written when the event loop's turn ends, with the other answers of that turn
(`outbox`): a client thread waiting on several connections is woken once per turn, not
once per answer.

Deferred answers: an operation that may wait on this same server (Lambda's Invoke runs a
function that calls back over HTTP) is answered with a `Deferred`, run in the app's worker
threads (`run_deferred`) while the loop serves everyone else. Until its answer is written
the connection is "waiting": reading pauses; whatever the parser still finishes in bytes
already received (pipelined requests, a 100 Continue, an error answer, a close) is queued
and done in order after it, so answers keep the order of their requests; the idle and
request timeouts do not run (the client is waiting on us); a shutdown closes the
connection after that answer; a client that half-closes still gets it over plain TCP (with
TLS, uvloop's and asyncio's TLS layers close a half-closed connection whatever the protocol
asks, so the deferred answer is lost). The fast path pays
for this with one test of `_waiting` and one `isinstance`.

What a connection does:
- Keep-alive as an HTTP/1.1 request asks (HTTP/1.0 connections close after one answer);
  pipelined requests are answered in order, each as soon as it is complete (or, behind a
  deferred answer, as soon as that one is written), and written when the turn ends.
- A body over the limit, declared or chunked, gets 413 at once; the rest of it is read and
  dropped (up to `_DISCARD_LIMIT`) so the client, still sending, gets to read the 413, and
  then the connection closes. `Expect: 100-continue` is answered at once.
- A request line and headers over `MAX_HEADER_BYTES` get 431, including one header that
  never ends; a malformed request or an Upgrade gets 400. All three close.
- A request whose framing two parsers could read differently (request smuggling) gets 400
  and the connection closes: neither it nor anything sent after it is answered. Refused
  here, whatever the parser: Content-Length with Transfer-Encoding; two Content-Length
  headers, equal or not; a Content-Length that is not one decimal number ("5, 5", "+5");
  a Transfer-Encoding other than `chunked` alone ("gzip, chunked", "identity", "xchunked",
  "", two such headers), and any in a request that is not HTTP/1.1 (RFC 9112 6.1).
  Refused by llhttp, which this module will not load without (`_parser_is_strict`:
  httptools >= 0.6.3): line folding; a bare LF or CR for CRLF, in the request line, the
  headers or the chunked framing; a NUL or other control character (HTAB aside) in a
  header name or value or in the target; whitespace or nothing before a header's colon.
  Coding names ignore case and whitespace around a value is not part of it (RFC 9110):
  `Chunked` and ` chunked ` are `chunked`, and `Content-Length: 5 ` is 5.
- The peer's IP address (None for a Unix socket) is given to `answer` as `client`.
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
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from typing import Any

import httptools

from strongroom.api.asgi import Answer, Deferred, StrongroomAsgi
from strongroom.api.outbox import Outbox, Pending, outbox_of

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
    b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\nx-amzn-requestid: %s\r\n%s%s\r\n"
)


def _head(answer: Answer, length: int, close: bool) -> bytes:
    return _HEAD % (
        answer.status,
        _REASONS.get(answer.status, b""),
        answer.content_type,
        length,
        answer.request_id.encode("ascii"),
        answer.headers,
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


class _Ambiguous(Exception):
    """Raised in a parser callback: the request's framing is ambiguous (400, then close)."""


_TWO_FRAMINGS = "A request may have one Content-Length or one Transfer-Encoding, not two."
_CODING = "Transfer-Encoding must be chunked alone."
_LENGTH = "Content-Length must be one decimal number."
_NOT_1_1 = "Transfer-Encoding needs HTTP/1.1."
_UNFRAMED, _LENGTH_FRAMED, _CHUNKED = 0, 1, 2

_NOTED = frozenset((b"x-amz-target", b"content-length", b"transfer-encoding", b"expect"))
"""The headers `on_header` looks at (lowercase)."""

_MUST_REFUSE = (
    b"GET / HTTP/1.1\nHost: x\r\n\r\n",  # bare LF ending the request line
    b"GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n",  # bare LF ending a header
    b"GET / HTTP/1.1\r\nHost: x\r\n\n",  # bare LF ending the head
    b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n",  # bare CR
    b"GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n",  # obsolete line folding
    b"GET / HTTP/1.1\r\nX : a\r\n\r\n",  # whitespace before the colon
    b"GET / HTTP/1.1\r\n: a\r\n\r\n",  # no name
    b"GET / HTTP/1.1\r\nX: a\x00b\r\n\r\n",  # NUL in a value
    b"GET / HTTP/1.1\r\nX\x01: a\r\n\r\n",  # a control character in a name
    b"GET /\ta HTTP/1.1\r\n\r\n",  # a control character in the target
)


def _parser_is_strict(
    parser: Callable[[], Any] = lambda: httptools.HttpRequestParser(None),
) -> bool:
    """Whether the parser refuses the ambiguities this module leaves to it (httptools
    before 0.6.3 accepts line folding, bare LF and whitespace before the colon)."""
    for request in _MUST_REFUSE:
        try:
            parser().feed_data(request)
        except httptools.HttpParserError:
            continue
        return False
    return True


if not _parser_is_strict():
    raise ImportError("httptools >= 0.6.3 is required: this one accepts ambiguous requests")


class StrongroomHttpProtocol(asyncio.Protocol):
    """One client connection (uvicorn's `http` protocol class).

    Slots keep attribute access fast on the hot path: past 29 attributes a plain instance
    loses CPython's shared-key dict, and every request got about 7% slower.
    """

    __slots__ = (
        "_app",
        "_body",
        "_body_bytes",
        "_client",
        "_closing",
        "_connections",
        "_declared",
        "_done",
        "_eof",
        "_expect_continue",
        "_framing",
        "_head_ended",
        "_head_pending",
        "_header_bytes",
        "_headers",
        "_idle_timeout",
        "_in_head",
        "_in_request",
        "_last_data",
        "_limit",
        "_loop",
        "_max_body",
        "_out",
        "_outbox",
        "_oversized",
        "_parser",
        "_refused",
        "_request_deadline",
        "_request_started",
        "_secure",
        "_target",
        "_timer",
        "_transport",
        "_url",
        "_waiting",
        "_write_paused",
    )

    def __init__(
        self,
        config: Any,
        server_state: Any,
        app_state: Any = None,
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._app = _strongroom_app(config.loaded_app)
        self._loop = _loop or asyncio.get_event_loop()
        self._outbox = outbox_of(self._loop)
        self._out = Pending()  # answers queued in the outbox, not yet written
        self._connections: set[Any] = server_state.connections
        self._idle_timeout = float(config.timeout_keep_alive)
        self._request_deadline = REQUEST_TIMEOUTS * self._idle_timeout
        self._request_started = 0.0
        self._max_body = self._app.max_body_bytes
        self._limit = self._max_body  # this request's body limit (see `body_limit`)
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
        self._framing = _UNFRAMED  # which of Content-Length, Transfer-Encoding was sent
        self._expect_continue = False
        self._client: str | None = None  # the peer's IP address, when it has one
        self._secure = False  # whether the connection is TLS (aws:SecureTransport)
        # A deferred answer is being computed: what must follow it, in order (else None).
        self._waiting: list[Callable[[], None]] | None = None
        self._write_paused = False  # the client is not reading its answers
        self._eof = False  # the client half-closed while an answer was deferred

    @property
    def receiving(self) -> bool:
        """Whether part of a request has arrived and is not answered yet."""
        return self._in_request

    # --- asyncio.Protocol -----------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self._client = peer[0] if isinstance(peer, tuple) and peer else None
        self._secure = transport.get_extra_info("sslcontext") is not None
        self._connections.add(self)
        self._last_data = self._loop.time()
        self._timer = self._loop.call_later(self._idle_timeout, self._close_if_idle)

    def connection_lost(self, exc: Exception | None) -> None:
        self._connections.discard(self)
        self._out.take()  # never written: the connection is gone
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
        except httptools.HttpParserCallbackError as exc:
            if isinstance(exc.__context__, _Ambiguous):
                self._fail(400, str(exc.__context__))
            else:  # a bug of ours, not the client's
                log.exception("internal error while parsing a request")
                self._send(self._app.internal_error(), close=True)
                self._close()
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
        Outbox.flush_now(self._transport, self._out)  # the transport may close itself next
        if self._waiting is None:
            return None  # the transport closes itself
        self._eof = True  # keep it open for the answers still owed, then close
        return True

    def pause_writing(self) -> None:
        """The client reads its answers too slowly: stop reading its requests."""
        self._write_paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._write_paused = False
        if self._transport is not None and self._waiting is None:
            self._transport.resume_reading()

    # --- uvicorn's server ------------------------------------------------------------

    def shutdown(self) -> None:
        """Close now if idle, else once the request being received (or the deferred
        answer being computed) is answered."""
        if self._in_request or self._waiting is not None:
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
        self._limit = self._max_body
        self._framing = _UNFRAMED
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
        if name not in _NOTED:
            return  # most headers: one set lookup
        if name == b"x-amz-target":
            self._target = value.decode("latin-1")
        elif name == b"content-length":
            if self._framing:
                raise _Ambiguous(_TWO_FRAMINGS)
            self._framing = _LENGTH_FRAMED
            if not value.isdigit():
                value = value.strip(b" \t")
                if not value.isdigit():
                    raise _Ambiguous(_LENGTH)
            self._declared = int(value) if len(value) <= 18 else self._max_body + 1
        elif name == b"transfer-encoding":
            if self._framing:
                raise _Ambiguous(_TWO_FRAMINGS)
            self._framing = _CHUNKED
            if value != b"chunked" and value.strip(b" \t").lower() != b"chunked":
                raise _Ambiguous(_CODING)
        elif name == b"expect" and value.lower() == b"100-continue":
            self._expect_continue = True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_ended = True
        if self._done or self._oversized:
            return  # data_received answers 431 once this chunk is parsed
        if self._framing == _CHUNKED and not self._http_1_1():
            raise _Ambiguous(_NOT_1_1)  # RFC 9112 6.1: its framing is faulty
        if self._parser.should_upgrade():
            self._fail(400, "Upgrade is not supported.")
            return
        if self._target is None:  # only a REST route may take more (code uploads)
            self._limit = self._app.body_limit(self._url)
        if self._declared > self._limit:
            self._refuse()
        elif self._expect_continue and self._transport is not None and self._http_1_1():
            if self._waiting is not None:  # after the answers owed before it
                self._waiting.append(partial(self._write_raw, _CONTINUE))
            else:
                self._write_raw(_CONTINUE)

    def on_body(self, body: bytes) -> None:
        if self._done or self._oversized:
            return
        self._body_bytes += len(body)
        if self._refused:
            if self._body_bytes > _DISCARD_LIMIT:
                self._close()
            return
        if self._body_bytes > self._limit:
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
        if self._waiting is not None:  # behind a deferred answer: answered after it
            request = (method, raw_path, query, self._headers, body, self._target, keep_alive)
            self._waiting.append(partial(self._respond, *request))
            if not keep_alive:
                self._done = True  # nothing after this request is answered
            return
        self._respond(method, raw_path, query, self._headers, body, self._target, keep_alive)

    def _respond(
        self,
        method: str,
        raw_path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        target: str | None,
        keep_alive: bool,
    ) -> None:
        """Answer one complete request now, or start its deferred answer."""
        try:
            answer = self._app.answer(
                method,
                raw_path,
                query,
                headers,
                body,
                target,
                client=self._client,
                secure=self._secure,
            )
        except Exception:  # answer never raises; this keeps a bug from killing the connection
            log.exception("internal error answering %s %r", method, raw_path)
            answer = self._app.internal_error()
        if isinstance(answer, Deferred):
            self._defer(answer, method == "HEAD", not keep_alive)
            return
        transport = self._transport  # `_write`, inline: this is every request's path
        if transport is None:
            return
        close = not keep_alive or self._closing
        head = _head(answer, len(answer.body), close)
        data = head if method == "HEAD" else head + answer.body
        self._outbox.queue(self._loop, transport, self._out, data)
        if close:
            self._close()

    # --- deferred answers ---------------------------------------------------------------

    def _defer(self, deferred: Deferred, head_only: bool, close: bool) -> None:
        """Compute `deferred` off the loop; until it is written, the connection waits."""
        self._waiting = []
        if close:
            self._done = True  # nothing after this answer is answered
        if self._transport is not None:
            self._transport.pause_reading()
        future = self._app.run_deferred(deferred, self._loop)
        future.add_done_callback(partial(self._deferred_done, head_only=head_only, close=close))

    def _deferred_done(
        self, future: asyncio.Future[Answer], *, head_only: bool, close: bool
    ) -> None:
        """Write the deferred answer, then what waited behind it, in order."""
        if future.cancelled():  # the loop is closing: nothing more will be written
            return
        try:
            answer = future.result()
        except Exception:  # run() never raises; this keeps a bug from killing the connection
            log.exception("internal error in a deferred answer")
            answer = self._app.internal_error()
        waiting, self._waiting = self._waiting or [], None
        now = self._loop.time()
        self._last_data = now  # the timeouts restart: the client could not send meanwhile
        if self._in_request:
            self._request_started = now
        self._write(answer, head_only, close or self._closing, False)
        for index, step in enumerate(waiting):
            transport = self._transport
            if transport is None or transport.is_closing():
                return  # closed after an answer: nothing else goes out
            step()
            if self._waiting is not None:  # deferred again: the rest wait behind it
                self._waiting.extend(waiting[index + 1 :])
                return
        if self._eof:
            self._close()
        elif self._transport is not None and not self._write_paused:
            self._transport.resume_reading()

    # --- helpers ----------------------------------------------------------------------

    def _http_1_1(self) -> bool:
        return self._parser.get_http_version() == "1.1"

    def _send(
        self, answer: Answer, *, head_only: bool = False, close: bool = False, linger: bool = False
    ) -> None:
        """Write one answer (behind any deferred one); with `close`, close after it (with
        `linger`, once the rest of the request has been read and dropped, so the client
        gets to read the answer)."""
        if self._transport is None or self._done or self._refused:
            return  # a closing answer went out: never a second one
        if self._waiting is not None:
            self._waiting.append(partial(self._write, answer, head_only, close, linger))
            if close and not linger:
                self._done = True  # nothing after this answer is answered
            return
        self._write(answer, head_only, close, linger)

    def _write(self, answer: Answer, head_only: bool, close: bool, linger: bool) -> None:
        transport = self._transport
        if transport is None:
            return
        head = _head(answer, len(answer.body), close)
        Outbox.flush_now(transport, self._out)
        transport.write(head if head_only else head + answer.body)
        if close and not linger:
            self._close()

    def _write_raw(self, data: bytes) -> None:
        if self._transport is not None:
            Outbox.flush_now(self._transport, self._out)
            self._transport.write(data)

    def _refuse(self) -> None:
        """413 now; the rest of the body is read and dropped (up to a limit), then close.

        A client still sending its body would otherwise get a reset instead of the answer.
        """
        self._body = []
        linger = self._declared <= _DISCARD_LIMIT
        self._send(self._app.too_large(), close=True, linger=linger)
        self._refused = True

    def _fail(self, status: int, message: str) -> None:
        """Answer with an error, unless a closing answer went out already, and close."""
        self._send(self._app.error(status, "BadRequest", message), close=True)
        self._close()

    def _close(self) -> None:
        self._done = True
        if self._waiting is not None:  # after the answers owed
            self._waiting.append(self._close)
            return
        if self._transport is not None and not self._transport.is_closing():
            Outbox.flush_now(self._transport, self._out)
            self._transport.close()

    def _close_if_idle(self) -> None:
        transport = self._transport
        if transport is None:
            return
        if self._waiting is not None:  # not idle: we owe the client an answer
            self._timer = self._loop.call_later(self._idle_timeout, self._close_if_idle)
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
