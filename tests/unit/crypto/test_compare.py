"""The constant-time comparison every secret check uses."""

from __future__ import annotations

import pytest

from strongroom.crypto import equal


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (b"", b"", True),
        (b"share", b"share", True),
        (b"share", b"shard", False),
        (b"share", b"shares", False),  # lengths differ
        (b"\x00" * 32, b"\x00" * 31 + b"\x01", False),
    ],
)
def test_equal_says_whether_the_bytes_are_the_same(a: bytes, b: bytes, same: bool) -> None:
    assert equal(a, b) is same
