"""The invocation's log stays bounded and cannot forge the server's log."""

from __future__ import annotations

import logging

import pytest

from strongroom.functions.output import InvocationLog


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "strongroom.functions"]


def test_lines_are_split_across_chunks_and_tagged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.functions")
    journal = InvocationLog("req-1")
    journal.feed(b"first li")
    journal.feed(b"ne\r\nsecond\nlast without newline")
    journal.close()
    assert messages(caplog) == [
        "[req-1] first line",
        "[req-1] second",
        "[req-1] last without newline",
    ]
    assert journal.tail() == "first line\nsecond\nlast without newline\n"


def test_control_characters_are_escaped_in_the_server_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.functions")
    journal = InvocationLog("req-1")
    journal.feed(b"\x1b[2Jforged\rINFO strongroom.api admin logged in\n")
    assert messages(caplog) == ["[req-1] \\x1b[2Jforged\\x0dINFO strongroom.api admin logged in"]


def test_a_long_line_is_cut_and_the_tail_keeps_four_kilobytes() -> None:
    journal = InvocationLog("req-1")
    journal.feed(b"y" * 100_000 + b"\nshort\n")
    journal.platform("END RequestId: req-1")
    tail = journal.tail()
    assert len(tail.encode()) == 4096
    assert tail.endswith("y [line cut at 16384 bytes]\nshort\nEND RequestId: req-1\n")


def test_the_tail_never_starts_inside_a_character() -> None:
    journal = InvocationLog("req-1")
    journal.feed("é".encode() * 5000 + b"\n")
    assert set(journal.tail().rstrip("\n")) == {"é"}


def test_past_a_megabyte_the_output_feeds_only_the_tail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="strongroom.functions")
    journal = InvocationLog("req-1")
    for _ in range(300):
        journal.feed(b"z" * 99 + b"\n" + b"w" * 9_900 + b"\n")
    journal.feed(b"the very end\n")
    logged = messages(caplog)
    assert sum(len(message) for message in logged) < 1024 * 1024 + 20_000
    assert logged[-1].endswith("the rest is not logged")
    assert journal.tail().endswith("the very end\n")
    assert len(journal.tail().encode()) <= 4096
