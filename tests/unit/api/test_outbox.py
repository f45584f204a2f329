"""The answers of one event-loop turn are written when the turn ends, each connection's in
one write and in order, before anything else it writes and before it closes (`outbox`)."""

from __future__ import annotations

import asyncio
import gc
from types import SimpleNamespace

from tests.unit.api.test_http1_framing import MAX_BODY, FakeTransport, RecordingApp

from strongroom.api.http1 import StrongroomHttpProtocol
from strongroom.api.outbox import _OUTBOXES, FLUSH_BYTES

GET = b"GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
GET_CLOSE = b"GET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
EXPECTING = b"POST /d HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"
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
        lost.connection_lost(None)  # the transport object stays open: only the drop keeps
        turn.end_turn()  # its answer from being written
        assert lost_transport.writes == 0 and kept_transport.writes == 1
    finally:
        turn.close()


def test_an_answer_is_written_before_a_half_close_read_in_the_same_turn() -> None:
    """uvloop reads a request and the client's FIN (or, with TLS, its close_notify) in one
    turn, and closes the transport itself when `eof_received` returns nothing."""
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        protocol.data_received(GET)
        if not protocol.eof_received():
            transport.close()
        turn.end_turn()
        assert _statuses(transport) == [b"200"]
    finally:
        turn.close()


def test_a_100_continue_follows_the_answers_queued_before_it() -> None:
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        protocol.data_received(GET + EXPECTING)  # its body has not come yet
        assert _statuses(transport) == [b"200", b"100"]
        protocol.data_received(b"abcd")
        turn.end_turn()
        assert _statuses(transport) == [b"200", b"100", b"200"]
    finally:
        turn.close()


def test_a_client_not_reading_is_stopped_within_the_turn() -> None:
    """Queued answers are written once they reach FLUSH_BYTES, so the transport's own
    back-pressure (pause_writing, then reading paused) works within one turn."""
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        many = GET * (2 * FLUSH_BYTES // 64)  # each answer is over 64 bytes
        protocol.data_received(many)
        assert transport.writes >= 2  # written during the turn, each write at the cap
        assert len(transport.written) >= FLUSH_BYTES
        turn.end_turn()
        assert len(_statuses(transport)) == len(turn.app.seen) == 2 * FLUSH_BYTES // 64
    finally:
        turn.close()


class FailingTransport(FakeTransport):
    def write(self, data: bytes | bytearray | memoryview) -> None:
        raise RuntimeError("the handle is gone")


def test_a_failing_write_strands_no_other_connection() -> None:
    turn = Loop()
    reported: list[dict[str, object]] = []
    turn.loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        failing = StrongroomHttpProtocol(turn.config, turn.state, _loop=turn.loop)
        failing.connection_made(FailingTransport())
        good, good_transport = turn.connect()
        failing.data_received(GET)
        good.data_received(GET)
        turn.end_turn()
        assert good_transport.writes == 1 and len(reported) == 1
        good.data_received(GET)  # a later turn is written too
        turn.end_turn()
        assert good_transport.writes == 2
    finally:
        turn.close()


def test_an_outbox_goes_with_its_loop() -> None:
    loops = [Loop() for _ in range(3)]
    for turn in loops:
        protocol, _ = turn.connect()
        protocol.data_received(GET)
        turn.close()  # closed before its turn ended: the answer is still queued
    before = len(_OUTBOXES)
    del loops, protocol, turn
    gc.collect()
    assert len(_OUTBOXES) <= before - 3


def test_answers_are_batched_again_after_a_write_at_the_cap() -> None:
    turn = Loop()
    try:
        protocol, transport = turn.connect()
        protocol.data_received(GET * (2 * FLUSH_BYTES // 64))
        turn.end_turn()
        writes = transport.writes
        protocol.data_received(GET + GET)
        assert transport.writes == writes  # queued, not written at once
        turn.end_turn()
        assert transport.writes == writes + 1
    finally:
        turn.close()
