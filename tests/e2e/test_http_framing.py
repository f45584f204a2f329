"""Request smuggling against a real server: an ambiguously framed request gets one 400 and
the connection closes, so a request hidden in its body is never answered (issue 7)."""

from __future__ import annotations

import json
import socket
from typing import Any, NamedTuple

import pytest

HIDDEN = b"GET /sys/health HTTP/1.1\r\nHost: x\r\n\r\n"
"""A request a lenient parser would find after the body: answered 200 if ever parsed."""
ZERO_CHUNK = b"0\r\n\r\n"


class Response(NamedTuple):
    status: int
    headers: dict[bytes, bytes]
    body: bytes


def _exchange(server: Any, data: bytes) -> list[Response]:
    """Send `data` on one connection and read until the server closes it; the client never
    closes its side, so an end of stream is the server's doing."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):  # a timeout here: the server kept it open
            received += chunk
    responses = []
    while received:
        head, _, received = received.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        headers = dict(line.lower().split(b": ", 1) for line in lines)
        length = int(headers[b"content-length"])
        responses.append(Response(int(status_line.split()[1]), headers, received[:length]))
        received = received[length:]
    return responses


def _head(fields: bytes, line: bytes = b"POST / HTTP/1.1") -> bytes:
    return line + b"\r\nHost: x\r\n" + fields + b"\r\n"


AMBIGUOUS = {
    "content-length and transfer-encoding": _head(
        b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(ZERO_CHUNK + HIDDEN)
    )
    + ZERO_CHUNK
    + HIDDEN,
    "two content-lengths": _head(b"Content-Length: 0\r\nContent-Length: %d\r\n" % len(HIDDEN))
    + HIDDEN,
    "comma-joined content-lengths": _head(b"Content-Length: %d, 0\r\n" % len(HIDDEN)) + HIDDEN,
    "transfer-encoding gzip, chunked": _head(b"Transfer-Encoding: gzip, chunked\r\n")
    + ZERO_CHUNK
    + HIDDEN,
    "two transfer-encodings": _head(b"Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")
    + ZERO_CHUNK
    + HIDDEN,
    "transfer-encoding identity": _head(b"Transfer-Encoding: identity\r\n") + HIDDEN,
    "transfer-encoding in HTTP/1.0": _head(
        b"Transfer-Encoding: chunked\r\nConnection: keep-alive\r\n", b"POST / HTTP/1.0"
    )
    + ZERO_CHUNK
    + HIDDEN,
    "folded header": _head(b"X-A: a\r\n Content-Length: %d\r\n" % len(HIDDEN)) + HIDDEN,
    "bare LF": b"POST / HTTP/1.1\nHost: x\nContent-Length: %d\n\n" % len(HIDDEN) + HIDDEN,
    "NUL in a header": _head(b"X-A: a\x00b\r\nContent-Length: %d\r\n" % len(HIDDEN)) + HIDDEN,
    "space before the colon": _head(b"Transfer-Encoding : chunked\r\nContent-Length: 5\r\n")
    + ZERO_CHUNK
    + HIDDEN,
}


def test_a_hidden_request_is_answered_when_it_is_not_hidden(strongroom_server: Any) -> None:
    """The baseline: sent in the open after a body, the hidden request gets its 200."""
    plain = _head(b"Content-Length: 2\r\n") + b"{}"
    responses = _exchange(strongroom_server, plain + HIDDEN[:-2] + b"Connection: close\r\n\r\n")
    assert [response.status for response in responses][1:] == [200]
    assert b'"sealed":false' in responses[1].body


@pytest.mark.parametrize("request_bytes", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_ambiguous_framing_gets_one_400_then_the_connection_closes(
    strongroom_server: Any, request_bytes: bytes
) -> None:
    responses = _exchange(strongroom_server, request_bytes + HIDDEN)
    assert [response.status for response in responses] == [400]  # nothing hidden answered
    (refusal,) = responses
    assert refusal.headers[b"connection"] == b"close"
    assert refusal.headers[b"x-amzn-requestid"]
    assert json.loads(refusal.body)["__type"] == "BadRequest"


def test_requests_before_an_ambiguous_one_are_answered(strongroom_server: Any) -> None:
    bad = AMBIGUOUS["transfer-encoding gzip, chunked"]
    responses = _exchange(strongroom_server, HIDDEN + HIDDEN + bad + HIDDEN)
    assert [response.status for response in responses] == [200, 200, 400]
