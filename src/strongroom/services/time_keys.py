"""Storage-path keys that sort by time: what the due indexes and creation-order indexes share.

A moment becomes its milliseconds since the epoch as 15 zero-padded digits, clamped to
what 15 digits hold, so path order is time order (and `time_key_desc` its reverse).
"""

from __future__ import annotations

DIGITS = 15
_LIMIT = 10**DIGITS - 1


def millis(moment: float) -> int:
    """`moment` in whole milliseconds, clamped to 0 .. 10**15 - 1."""
    return int(min(max(round(moment * 1000), 0), _LIMIT))


def time_key(moment: float) -> str:
    """A path segment that sorts as `moment` does."""
    return f"{millis(moment):0{DIGITS}d}"


def time_key_desc(moment: float) -> str:
    """A path segment that sorts the reverse of `moment`."""
    return f"{_LIMIT - millis(moment):0{DIGITS}d}"
