"""Property: whatever requests arrive, split however, each is answered once as sent or the
connection stops (issue 7).

A generated connection is a run of valid requests (bodies by Content-Length or chunked,
pipelined, some asking to continue), then maybe one that ends it (ambiguous framing: 400;
a body over the limit: 413; `Connection: close` or HTTP/1.0: answered, then close), then
more requests that must never be answered. The bytes are split at random points into
`data_received` calls. Every request before the end is answered exactly once, in order, as
exactly the request sent (method, target, headers, body, X-Amz-Target); the end gets its one
answer and the connection closes; nothing else is answered or written. Loop turns end after
chunks drawn at random, and the client may half-close at the end: every answer is still
written, in order.
"""

from __future__ import annotations

import itertools
import string
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.api.test_http1_framing import AMBIGUOUS, Connection, Seen

MAX_BODY = 64  # small bodies keep generation quick; chunking and splitting still vary

# Strategies are built once: building them inside each draw was most of the run time.
TOKEN = st.text(string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~", min_size=1, max_size=6)
VALUE = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from("\t\x80\xe9\xff"),
    max_size=24,
).map(lambda text: text.strip(" \t").encode("latin-1"))
FIELDS = st.lists(st.tuples(TOKEN, VALUE), max_size=3)
SEGMENTS = st.lists(
    st.text(string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:@", max_size=8), max_size=3
)
QUERY = st.one_of(st.just(b""), st.text("abc=&%20xyz", max_size=8).map(str.encode))
METHOD = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
AMZ_TARGET = st.one_of(st.none(), st.sampled_from(["TrentService.Encrypt", "a.b"]))
BODY = st.binary(max_size=MAX_BODY)
TOO_LARGE = st.binary(min_size=MAX_BODY + 1, max_size=MAX_BODY * 2)
CUTS = st.lists(st.integers(1, MAX_BODY * 2), max_size=4)
ORDER = st.lists(st.integers(0, 9), max_size=12)
PICK = st.integers(0, 2)
SPLITS = st.lists(st.integers(1, 1 << 16), max_size=12)


class Sent(NamedTuple):
    """One request on the wire and what must come of it."""

    wire: bytes
    seen: Seen | None  # what the app must be asked; None: it must not be asked
    statuses: tuple[int, ...]  # the answers it gets, 100 Continue included
    ends: bool  # the connection closes after it


@st.composite
def chunked(draw: st.DrawFn, body: bytes) -> bytes:
    """`body` in chunks of random sizes (hex in either case, maybe with leading zeros and
    extensions), maybe with a trailer."""
    cuts = sorted({cut for cut in draw(CUTS) if cut < len(body)})
    out = b""
    for a, b in itertools.pairwise([0, *cuts, len(body)]):
        if a < b:
            size = (b"%x", b"%X", b"00%x")[draw(PICK)] % (b - a)
            extension = (b"", b";a=b", b';name="v"')[draw(PICK)]
            out += size + extension + b"\r\n" + body[a:b] + b"\r\n"
    return out + b"0\r\n" + (b"", b"X-Trailer: t\r\n")[draw(PICK) % 2] + b"\r\n"


@st.composite
def request(draw: st.DrawFn, ending: str = "keep-alive") -> Sent:
    """A valid request; `ending` is keep-alive, close (Connection: close), http/1.0 or
    too-large (a body over the limit)."""
    method = draw(METHOD)
    path = b"/" + "/".join(draw(SEGMENTS)).encode()
    query = draw(QUERY)
    body = draw(TOO_LARGE if ending == "too-large" else BODY)
    version = b"HTTP/1.0" if ending == "http/1.0" else b"HTTP/1.1"
    headers: list[tuple[bytes, bytes]] = [(b"Host", b"strongroom.test")]
    amz_target = draw(AMZ_TARGET)
    if amz_target is not None:
        headers.append((b"X-Amz-Target", amz_target.encode()))
    for index, (name, value) in enumerate(draw(FIELDS)):
        headers.append((b"X-Gen-%d-%s" % (index, name.encode()), value))
    framing = "chunked" if version == b"HTTP/1.1" and draw(PICK) else "length"
    if framing == "length" and (body or draw(PICK)):
        headers.append(((b"Content-Length", b"content-length")[draw(PICK) % 2], b"%d" % len(body)))
    if framing == "chunked":
        headers.append((b"Transfer-Encoding", (b"chunked", b"Chunked")[draw(PICK) % 2]))
    expect = version == b"HTTP/1.1" and ending != "too-large" and draw(PICK) == 0
    if expect:
        headers.append((b"Expect", b"100-continue"))
    if ending == "close":
        headers.append((b"Connection", b"close"))
    order = draw(ORDER) + [0] * len(headers)
    headers = [field for _, field in sorted(zip(order, headers, strict=False), key=lambda p: p[0])]
    head = b"%s %s%s %s\r\n" % (method.encode(), path, b"?" + query if query else b"", version)
    head += b"".join(name + b": " + value + b"\r\n" for name, value in headers) + b"\r\n"
    wire = head + (draw(chunked(body)) if framing == "chunked" else body)
    if ending == "too-large":
        return Sent(wire, None, (413,), ends=True)
    lowered = [(name.lower(), value) for name, value in headers]
    seen = Seen(method, path, query, lowered, body, amz_target)
    return Sent(wire, seen, (100, 200) if expect else (200,), ends=ending != "keep-alive")


@st.composite
def ambiguous(draw: st.DrawFn, kind: str | None = None) -> Sent:
    """An ambiguous request of `kind` (any, when None) hiding a valid one."""
    smuggled = draw(request())
    build = AMBIGUOUS[kind if kind is not None else draw(KIND)]
    return Sent(build(smuggled.wire), None, (400,), ends=True)


@st.composite
def connection(draw: st.DrawFn, kind: str | None = None) -> list[Sent]:
    """Valid requests, then maybe one that ends the connection, then some never answered.

    With `kind`, the end is always an ambiguous request of that kind."""
    sent = draw(REQUESTS)
    last = "ambiguous" if kind is not None else draw(ENDING)
    if last == "ambiguous":
        sent.append(draw(ambiguous(kind)))
    elif last != "none":
        sent.append(draw(request(ending=last)))
    if last != "none":  # never answered: the connection has ended
        after = draw(AFTER)
        sent += [Sent(extra.wire, None, (), ends=False) for extra in after]
    return sent


REQUESTS = st.lists(request(), max_size=5)
ENDING = st.sampled_from(["none", "too-large", "close", "http/1.0", "ambiguous"])
KIND = st.sampled_from(sorted(AMBIGUOUS))
AFTER = st.lists(request() | ambiguous(), max_size=2)


def _check(sent: list[Sent], data: st.DataObject) -> None:
    stream = b"".join(request.wire for request in sent)
    cuts = {cut % max(1, len(stream)) for cut in data.draw(SPLITS, label="splits")}
    edges = [0, *sorted(cuts), len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(edges) if a < b]
    expected = [request.seen for request in sent if request.seen is not None]
    statuses = [status for request in sent for status in request.statuses]
    ends = any(request.ends for request in sent)

    # uvloop may read several chunks, and the client's half-close, in one turn
    turn_ends = data.draw(st.lists(st.booleans(), min_size=len(chunks), max_size=len(chunks)))
    half_close = data.draw(st.booleans(), label="half-close")

    conn = Connection(max_body=MAX_BODY)
    try:
        conn.feed(chunks, turn_ends)
        if half_close and not conn.transport.closed and not conn.protocol.eof_received():
            conn.transport.close()  # as uvloop does when eof_received returns nothing
        conn.end_turn()
        assert conn.app.seen == expected  # each once, in order, as sent; no other
        responses = conn.responses()
        assert [response.status for response in responses] == statuses
        finals = [response for response in responses if response.status != 100]
        for number, response in enumerate(finals, 1):
            closing = ends and number == len(finals)
            assert (response.headers.get(b"connection") == b"close") == closing
            if response.status == 200:  # which request the app answered
                assert response.body == b'{"n":%d}' % number
        assert conn.transport.closed == (ends or half_close)
    finally:
        conn.close()


@settings(max_examples=120, deadline=None, database=None)
@given(sent=connection(), data=st.data())
def test_each_request_is_answered_once_as_sent_or_the_connection_ends(
    sent: list[Sent], data: st.DataObject
) -> None:
    _check(sent, data)


@pytest.mark.parametrize("kind", sorted(AMBIGUOUS))
@settings(max_examples=6, deadline=None, database=None)
@given(data=st.data())
def test_every_kind_of_ambiguous_request_ends_the_connection_wherever_it_comes(
    kind: str, data: st.DataObject
) -> None:
    """Each kind, after random valid requests and before others, split at random."""
    _check(data.draw(connection(kind), label="sent"), data)
