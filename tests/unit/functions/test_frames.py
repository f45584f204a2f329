"""The result pipe's framing: frames split anywhere, nothing untrusted believed."""

from __future__ import annotations

from strongroom.functions import protocol

LIMITS = {protocol.STARTED: 0, protocol.RESULT: 10, protocol.ERROR: 10}


def test_frames_are_found_however_the_bytes_arrive() -> None:
    stream = protocol.encode_frame(protocol.STARTED) + protocol.encode_frame(
        protocol.RESULT, b'{"a": 1}'
    )
    reader = protocol.FrameReader(LIMITS)
    frames = [frame for byte in stream for frame in reader.feed(bytes([byte]))]
    assert frames == [(protocol.STARTED, b""), (protocol.RESULT, b'{"a": 1}')]
    assert not reader.corrupt


def test_an_unknown_tag_makes_the_stream_corrupt() -> None:
    reader = protocol.FrameReader(LIMITS)
    assert reader.feed(b"X\x00\x00\x00\x00" + protocol.encode_frame(protocol.STARTED)) == []
    assert reader.corrupt and reader.oversized is None
    assert reader.feed(protocol.encode_frame(protocol.STARTED)) == []


def test_a_frame_over_its_limit_is_refused_before_it_is_read() -> None:
    reader = protocol.FrameReader(LIMITS)
    assert reader.feed(b"R\x7f\xff\xff\xff") == []
    assert reader.corrupt and reader.oversized == protocol.RESULT
