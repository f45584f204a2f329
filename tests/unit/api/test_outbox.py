"""The answers of one event-loop turn are written when the turn ends, each connection's in
one write and in order, before anything else it writes and before it closes (`outbox`)."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from tests.unit.api.test_http1_framing import MAX_BODY, FakeTransport, RecordingApp

from strongroom.api.http1 import StrongroomHttpProtocol

GET = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
GET_CLOSE = b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
TOO_LARGE = b"POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % (MAX_BODY + 1)


class Loop:
    """Connections of one app on one event loop that runs only when a turn ends."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.app = RecordingApp(MAX_BODY)
        self.config = SimpleNamespace(loaded_app=self.app, timeout_keep_alive=30.0)
        self.state = SimpleNamespace(connections=set())

    def connect(self) -> tuple[StrongroomHttpProtocol, FakeTransport]:
        protocol = StrongroomHttpProtocol(self.config, self.state, _loop=self.loop)
        transport = FakeTransport()
        protocol.connection_made(transport)
        return protocol, transport

    def end_turn(self) -> None:
        self.loop.call_soon(self.loop.stop)
        self.loop.run_forever()

    def close(self) -> None:
        for protocol in list(self.state.connections):
            protocol.connection_lost(None)
        self.loop.close()


def _statuses(transport: FakeTransport) -> list[bytes]:
    return [line.split(b" ")[1] for line in transport.written.split(b"\r\n") if b"HTTP/1.1" in line]


def test_the_answers_of_a_turn_go_out_when_it_ends_one_write_per_connection() -> None:
    turn = Loop()
    try:
        first, first_transport = turn.connect()
        second, second_transport = turn.connect()
        first.data_received(GET + GET)  # pipelined: two answers
        second.data_received(GET)
        assert len(turn.app.seen) == 3  # all answered ...
        assert first_transport.writes == second_transport.writes == 0  # ... none written yet
        turn.end_turn()
        assert (first_transport.writes, second_transport.writes) == (1, 1)
        assert first_transport.written.count(b"HTTP/1.1 200 OK") == 2
        assert first_transport.written.index(b'{"n":1}') < first_transport.written.index(b'{"n":2}')
        assert b'{"n":3}' in second_transport.written
    finally:
        turn.close()


def test_queued_answers_go_out_before_a_closing_answer_and_the_close() -> None:
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        protocol.data_received(GET + GET_CLOSE + GET)  # nothing after the close is answered
        assert transport.closed and _statuses(transport) == [b"200", b"200"]
        assert transport.written.endswith(b'{"n":2}') and len(turn.app.seen) == 2
        turn.end_turn()  # nothing is left to write on the closed transport
        assert _statuses(transport) == [b"200", b"200"]
    finally:
        turn.close()


def test_queued_answers_go_out_before_an_error_written_at_once() -> None:
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        protocol.data_received(GET + TOO_LARGE)  # 413 is written at once, then the close
        assert _statuses(transport) == [b"200", b"413"]
    finally:
        turn.close()


def test_a_lost_connection_drops_its_queued_answers() -> None:
    turn = Loop()
    try:
        lost, lost_transport = turn.connect()
        kept, kept_transport = turn.connect()
        lost.data_received(GET)
        kept.data_received(GET)
        lost.connection_lost(None)
        lost_transport.closed = True  # a write now would fail the test
        turn.end_turn()
        assert lost_transport.writes == 0 and kept_transport.writes == 1
    finally:
        turn.close()
