"""Ambiguous request framing: one 400, then the connection closes, and nothing in or after
the refused request is answered (issue 7). The protocol runs on a fake transport with an
app that records what it is asked; test_http1_property.py reuses these fakes."""

from __future__ import annotations

import asyncio
import itertools
import ssl
from collections.abc import Callable, Iterable
from types import SimpleNamespace
from typing import Any, NamedTuple, cast

import httptools
import pytest

from strongroom.api.asgi import Answer, StrongroomAsgi
from strongroom.api.http1 import StrongroomHttpProtocol, _parser_is_strict

MAX_BODY = 512


class Seen(NamedTuple):
    """One request as the app was asked to answer it."""

    method: str
    raw_path: bytes
    query: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    target: str | None


class RecordingApp(StrongroomAsgi):
    """Answers 200 at once, naming how many requests it has answered, and records each."""

    def __init__(self, max_body: int) -> None:
        super().__init__(cast(Any, None), cast(Any, None), max_body)
        self.seen: list[Seen] = []
        self.clients: list[str | None] = []
        self.secure: list[bool | None] = []

    def answer(
        self,
        method: str,
        raw_path: bytes,
        query: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        body: bytes,
        target: str | None,
        client: str | None = None,
        secure: bool | None = None,
    ) -> Answer:
        self.seen.append(Seen(method, raw_path, query, list(headers), body, target))
        self.clients.append(client)
        self.secure.append(secure)
        number = len(self.seen)
        return Answer(200, b"application/json", b'{"n":%d}' % number, f"id-{number}")


class FakeTransport(asyncio.Transport):
    """Collects what is written; writing after close is a failure."""

    def __init__(self, peer: Any = ("192.0.2.7", 40001), tls: bool = False) -> None:
        super().__init__()
        self.written = bytearray()
        self.writes = 0
        self.closed = False
        self.peer = peer
        self.extra = {"peername": peer, "sslcontext": ssl.create_default_context() if tls else None}

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed, "written after close"
        self.written += data
        self.writes += 1

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        found = self.extra.get(name)
        return default if found is None else found


class Response(NamedTuple):
    status: int
    headers: dict[bytes, bytes]
    body: bytes


class Connection:
    """One protocol instance on a fake transport (its loop runs only to end a turn: no
    timer fires)."""

    def __init__(
        self, max_body: int = MAX_BODY, peer: Any = ("192.0.2.7", 40001), tls: bool = False
    ) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = RecordingApp(max_body)
        config = SimpleNamespace(loaded_app=self.app, timeout_keep_alive=30.0)
        state = SimpleNamespace(connections=set())
        self.protocol = StrongroomHttpProtocol(config, state, _loop=self.loop)
        self.transport = FakeTransport(peer, tls)
        self.protocol.connection_made(self.transport)

    def feed(self, chunks: Iterable[bytes], turn_ends: Iterable[bool] | None = None) -> None:
        """Give the chunks to the protocol; a loop turn ends after each one (or after those
        whose `turn_ends` is true), and the answers of a turn are written when it ends."""
        ends = itertools.repeat(True) if turn_ends is None else turn_ends
        for chunk, end in zip(chunks, ends, strict=False):  # repeat() never ends
            self.protocol.data_received(chunk)
            if end:
                self.end_turn()

    def end_turn(self) -> None:
        """Run what the loop has ready (and no timer that is not due), then stop."""
        self.loop.call_soon(self.loop.stop)
        self.loop.run_forever()

    def responses(self) -> list[Response]:
        """The answers written, 100 Continue included, parsed back."""
        found, rest = [], bytes(self.transport.written)
        while rest:
            head, blank, rest = rest.partition(b"\r\n\r\n")
            assert blank, rest
            status_line, *lines = head.split(b"\r\n")
            headers = {}
            for line in lines:
                name, _, value = line.partition(b": ")
                headers[name.lower()] = value
            length = int(headers.get(b"content-length", b"0"))
            found.append(Response(int(status_line.split(b" ")[1]), headers, rest[:length]))
            rest = rest[length:]
        return found

    def close(self) -> None:
        self.protocol.connection_lost(None)
        self.loop.close()


def connection_test(test: Callable[[Connection], None], **kwargs: Any) -> None:
    connection = Connection(**kwargs)
    try:
        test(connection)
    finally:
        connection.close()


def chunk0(smuggled: bytes) -> bytes:
    """A chunked body ending at once, with `smuggled` after it."""
    return b"0\r\n\r\n" + smuggled


def _post(headers: bytes, body: bytes, line: bytes = b"POST /bad HTTP/1.1\r\n") -> bytes:
    return line + b"Host: x\r\n" + headers + b"\r\n" + body


def _with_length(head: bytes, smuggled: bytes, end: bytes = b"\r\n") -> bytes:
    """A head (request line and headers, no CRLF at its end) declaring `smuggled` as its
    body, to a parser that reads it as the head says."""
    return head + b"Content-Length: %d\r\n" % len(smuggled) + end + smuggled


def _te(*values: bytes, line: bytes = b"POST /bad HTTP/1.1\r\n") -> Callable[[bytes], bytes]:
    fields = b"".join(b"Transfer-Encoding: %s\r\n" % value for value in values)
    return lambda s: _post(fields, chunk0(s), line)


_HEAD = b"POST /bad HTTP/1.1\r\nHost: x\r\n"

AMBIGUOUS: dict[str, Callable[[bytes], bytes]] = {
    "content-length then transfer-encoding": lambda s: _post(
        b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(chunk0(s)), chunk0(s)
    ),
    "transfer-encoding then content-length": lambda s: _post(
        b"Transfer-Encoding: chunked\r\nContent-Length: %d\r\n" % len(chunk0(s)), chunk0(s)
    ),
    "two equal content-lengths": lambda s: _post(b"Content-Length: %d\r\n" % len(s) * 2, s),
    "two different content-lengths": lambda s: _post(
        b"Content-Length: 0\r\nContent-Length: %d\r\n" % len(s), s
    ),
    "comma-joined content-lengths": lambda s: _post(b"Content-Length: 0, %d\r\n" % len(s), s),
    "comma-joined equal content-lengths": lambda s: _post(b"Content-Length: 5, 5\r\n", s),
    "signed content-length": lambda s: _post(b"Content-Length: +%d\r\n" % len(s), s),
    "transfer-encoding gzip, chunked": _te(b"gzip, chunked"),
    "transfer-encoding chunked, gzip": _te(b"chunked, gzip"),
    "transfer-encoding identity": _te(b"identity"),
    "transfer-encoding xchunked": _te(b"xchunked"),
    "transfer-encoding chunked-false": _te(b"chunked-false"),
    "transfer-encoding empty": _te(b""),
    "two transfer-encodings chunked": _te(b"chunked", b"chunked"),
    "two transfer-encodings gzip then chunked": _te(b"gzip", b"chunked"),
    "transfer-encoding in HTTP/1.0": _te(b"chunked", line=b"POST /bad HTTP/1.0\r\n"),
    "folded header, space": lambda s: _with_length(_HEAD + b"X-A: a\r\n ", s),
    "folded header, tab": lambda s: _with_length(_HEAD + b"X-A: a\r\n\t", s),
    "folded first header": lambda s: _with_length(b"POST /bad HTTP/1.1\r\n Host: x\r\n", s),
    "bare LF after the request line": lambda s: _with_length(b"POST /bad HTTP/1.1\nHost: x\r\n", s),
    "bare LF after a header": lambda s: _with_length(b"POST /bad HTTP/1.1\r\nHost: x\n", s),
    "bare LF ending the head": lambda s: _with_length(_HEAD, s, end=b"\n"),
    "bare LFs throughout": lambda s: (
        b"POST /bad HTTP/1.1\nHost: x\nContent-Length: %d\n\n%s" % (len(s), s)
    ),
    "bare CR after a header": lambda s: _with_length(b"POST /bad HTTP/1.1\r\nHost: x\r", s),
    "bare LF after a chunk size": lambda s: _post(
        b"Transfer-Encoding: chunked\r\n", b"1\na\r\n" + chunk0(s)
    ),
    "chunk data without its CRLF": lambda s: _post(
        b"Transfer-Encoding: chunked\r\n", b"1\r\naXX" + chunk0(s)
    ),
    "NUL in a header value": lambda s: _with_length(_HEAD + b"X-A: a\x00b\r\n", s),
    "NUL in a header name": lambda s: _with_length(_HEAD + b"X-\x00A: b\r\n", s),
    "SOH in a header value": lambda s: _with_length(_HEAD + b"X-A: a\x01b\r\n", s),
    "ESC in a header value": lambda s: _with_length(_HEAD + b"X-A: a\x1bb\r\n", s),
    "DEL in a header value": lambda s: _with_length(_HEAD + b"X-A: a\x7fb\r\n", s),
    "VT in a header value": lambda s: _with_length(_HEAD + b"X-A: a\x0bb\r\n", s),
    "SOH in a header name": lambda s: _with_length(_HEAD + b"X-\x01A: b\r\n", s),
    "NUL in the target": lambda s: _with_length(b"POST /a\x00b HTTP/1.1\r\nHost: x\r\n", s),
    "space before the colon": lambda s: _with_length(_HEAD + b"Transfer-Encoding : chunked\r\n", s),
    "tab before the colon": lambda s: _with_length(_HEAD + b"X-A\t: b\r\n", s),
    "no header name": lambda s: _with_length(_HEAD + b": b\r\n", s),
}
"""Each builds a request around `smuggled`, which a parser reading it differently would
take for the next request."""

GOOD = b"POST /first HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nok"
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
AFTER = b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n"


def _whole(stream: bytes) -> list[bytes]:
    return [stream]


def _bytewise(stream: bytes) -> list[bytes]:
    return [stream[index : index + 1] for index in range(len(stream))]


@pytest.mark.parametrize("split", [_whole, _bytewise], ids=["whole", "bytewise"])
@pytest.mark.parametrize("build", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_ambiguous_framing_gets_one_400_and_nothing_after_it_is_answered(
    build: Callable[[bytes], bytes], split: Callable[[bytes], list[bytes]]
) -> None:
    def test(connection: Connection) -> None:
        connection.feed(split(GOOD + build(SMUGGLED) + AFTER))
        assert [seen.raw_path for seen in connection.app.seen] == [b"/first"]
        first, refusal = connection.responses()
        assert first.status == 200 and b"connection" not in first.headers
        assert refusal.status == 400 and refusal.headers[b"connection"] == b"close"
        assert b'"__type":"BadRequest"' in refusal.body.replace(b" ", b"")
        assert connection.transport.closed
        connection.feed([AFTER])  # the connection is done: nothing more is read
        assert len(connection.app.seen) == 1 and len(connection.responses()) == 2

    connection_test(test)


@pytest.mark.parametrize(
    ("fields", "body"),
    [
        (b"Transfer-Encoding: Chunked\r\n", b"2\r\nok\r\n0\r\n\r\n"),
        (b"Transfer-Encoding: chunked \r\n", b"2\r\nok\r\n0\r\n\r\n"),
        (b"Transfer-Encoding:\tchunked\r\n", b"2\r\nok\r\n0\r\n\r\n"),
        (b"Content-Length: 2 \r\n", b"ok"),
        (b"Content-Length:\t2\r\n", b"ok"),
    ],
)
def test_whitespace_around_and_the_case_of_a_framing_value_are_not_ambiguous(
    fields: bytes, body: bytes
) -> None:
    """RFC 9110: optional whitespace is not part of a value; coding names ignore case."""

    def test(connection: Connection) -> None:
        connection.feed([b"POST /x HTTP/1.1\r\nHost: x\r\n" + fields + b"\r\n" + body + AFTER])
        assert [(seen.raw_path, seen.body) for seen in connection.app.seen] == [
            (b"/x", b"ok"),
            (b"/after", b""),
        ]
        assert [response.status for response in connection.responses()] == [200, 200]
        assert not connection.transport.closed

    connection_test(test)


def test_an_ambiguous_request_asking_to_continue_gets_no_100() -> None:
    def test(connection: Connection) -> None:
        head = b"Expect: 100-continue\r\nTransfer-Encoding: gzip, chunked\r\n"
        connection.feed([_post(head, b"")])
        assert [response.status for response in connection.responses()] == [400]

    connection_test(test)


def test_a_refused_body_that_turns_malformed_gets_only_its_413() -> None:
    """Once the 413 is out, the rest of the body is dropped, whatever it holds."""

    def test(connection: Connection) -> None:
        connection.feed([_post(b"Transfer-Encoding: chunked\r\n", b"400\r\n" + b"x" * 1024)])
        assert [response.status for response in connection.responses()] == [413]
        connection.feed([b"\r\nzz\r\n" + AFTER])  # not a chunk size
        assert [response.status for response in connection.responses()] == [413]
        assert connection.transport.closed and not connection.app.seen

    connection_test(test, max_body=MAX_BODY)


@pytest.mark.parametrize(
    ("peer", "client"),
    [
        (("198.51.100.4", 50123), "198.51.100.4"),
        (("2001:db8::1", 50123, 0, 0), "2001:db8::1"),
        ("/run/strongroom.sock", None),
        (None, None),
    ],
)
def test_the_app_is_told_the_peer_address(peer: Any, client: str | None) -> None:
    def test(connection: Connection) -> None:
        connection.feed([GOOD, AFTER])
        assert connection.app.clients == [client, client]

    connection_test(test, peer=peer)


@pytest.mark.parametrize("tls", [True, False])
def test_the_app_is_told_whether_the_connection_is_tls(tls: bool) -> None:
    """aws:SecureTransport: the transport has an SSL context exactly when it is TLS."""

    def test(connection: Connection) -> None:
        connection.feed([GOOD, AFTER])
        assert connection.app.secure == [tls, tls]

    connection_test(test, tls=tls)


def test_the_parser_must_refuse_what_this_module_leaves_to_it() -> None:
    """http1 will not load on a parser that takes folded lines, bare LF or NUL."""
    assert _parser_is_strict()

    def lenient() -> httptools.HttpRequestParser:
        parser = httptools.HttpRequestParser(None)
        parser.set_dangerous_leniencies(lenient_headers=True)
        return parser

    assert not _parser_is_strict(lenient)
