"""Property: deferred answers change nothing a client can see but timing (issue 10).

The connections `test_http1_property` generates (valid requests pipelined, maybe one that
ends the connection, then requests never to be answered; bytes split at random), with some
requests marked `X-Defer`: the app answers those with a `Deferred` that this test completes
later, at random points between the chunks fed, or only at the end. Whatever the timing,
every request is answered exactly once, in order, as sent, 100 Continue included; the end
is answered and the connection closes; nothing else is asked of the app or written; and
while an answer is owed nothing after it is written.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.api.test_http1_framing import (
    Connection,
    FakeTransport,
    RecordingApp,
    Response,
)
from tests.unit.api.test_http1_property import MAX_BODY, SPLITS, Sent, connection

from strongroom.api.asgi import Answer, Deferred
from strongroom.api.http1 import StrongroomHttpProtocol

DEFER = (b"x-defer", b"1")


class DeferringApp(RecordingApp):
    """Defers the requests marked `X-Defer`; `complete` finishes the oldest owed one."""

    def __init__(self, max_body: int) -> None:
        super().__init__(max_body)
        self.owed: list[tuple[asyncio.Future[Answer], Deferred]] = []

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
    ) -> Answer | Deferred:
        headers = list(headers)
        answer = super().answer(method, raw_path, query, headers, body, target, client, secure)
        if DEFER not in headers:
            return answer
        return Deferred(lambda: answer, self.internal_error)

    def run_deferred(
        self, deferred: Deferred, loop: asyncio.AbstractEventLoop
    ) -> asyncio.Future[Answer]:
        future: asyncio.Future[Answer] = loop.create_future()
        self.owed.append((future, deferred))
        return future

    def complete(self, loop: asyncio.AbstractEventLoop) -> None:
        """Finish the oldest owed answer and let the protocol write what follows it."""
        future, deferred = self.owed.pop(0)
        future.set_result(deferred.run())
        loop.run_until_complete(asyncio.sleep(0))  # the done callback runs on the loop
        loop.call_soon(loop.stop)  # and the turn it wrote in ends (the outbox)
        loop.run_forever()


class DeferringConnection(Connection):
    """`Connection` with a `DeferringApp` (its loop runs only when `complete` asks)."""

    def __init__(self, max_body: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = DeferringApp(max_body)
        config = SimpleNamespace(loaded_app=self.app, timeout_keep_alive=30.0)
        state = SimpleNamespace(connections=set())
        self.protocol = StrongroomHttpProtocol(config, state, _loop=self.loop)
        self.transport = FakeTransport()
        self.protocol.connection_made(self.transport)


def _deferred(sent: Sent) -> Sent:
    """`sent` with `X-Defer: 1` as its first header."""
    line, _, rest = sent.wire.partition(b"\r\n")
    wire = line + b"\r\nX-Defer: 1\r\n" + rest
    seen = None if sent.seen is None else sent.seen._replace(headers=[DEFER, *sent.seen.headers])
    return sent._replace(wire=wire, seen=seen)


@settings(max_examples=150, deadline=None, database=None)
@given(sent=connection(), data=st.data())
def test_deferred_answers_keep_every_answer_once_and_in_order(
    sent: list[Sent], data: st.DataObject
) -> None:
    marks = data.draw(st.lists(st.booleans(), min_size=len(sent), max_size=len(sent)))
    sent = [_deferred(one) if mark else one for one, mark in zip(sent, marks, strict=True)]
    stream = b"".join(one.wire for one in sent)
    cuts = {cut % max(1, len(stream)) for cut in data.draw(SPLITS, label="splits")}
    edges = [0, *sorted(cuts), len(stream)]
    chunks = [stream[a:b] for a, b in itertools.pairwise(edges) if a < b]
    expected = [one.seen for one in sent if one.seen is not None]
    statuses = [status for one in sent for status in one.statuses]
    ends = any(one.ends for one in sent)

    conn = DeferringConnection(MAX_BODY)
    app = conn.app
    assert isinstance(app, DeferringApp)
    try:
        for chunk in chunks:
            conn.feed([chunk])
            _check_prefix(conn.responses(), statuses)
            while app.owed and data.draw(st.booleans(), label="complete now"):
                app.complete(conn.loop)
                _check_prefix(conn.responses(), statuses)
        while app.owed:
            app.complete(conn.loop)
        assert app.seen == expected  # each once, in order, as sent; no other
        responses = conn.responses()
        assert [response.status for response in responses] == statuses
        finals = [response for response in responses if response.status != 100]
        for number, response in enumerate(finals, 1):
            closing = ends and number == len(finals)
            assert (response.headers.get(b"connection") == b"close") == closing
            if response.status == 200:  # which request the app answered
                assert response.body == b'{"n":%d}' % number
        assert conn.transport.closed == ends
    finally:
        conn.close()


def _check_prefix(responses: list[Response], statuses: list[int]) -> None:
    """What is written so far is the start of what must be written: never out of order."""
    assert [response.status for response in responses] == statuses[: len(responses)]
