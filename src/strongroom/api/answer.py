"""What goes back for one request: an `Answer` now, or a `Deferred` one computed off the loop.

Most answers are computed on the event loop, in place. An operation that may wait on this
same server (Lambda's Invoke runs a function that calls back over HTTP) must not: it is
answered by a `Deferred`, whose `run()` the HTTP layer calls in a worker thread and whose
`Answer` it then sends in the request's turn.

Invariants: `Answer.headers` is either empty or header lines (`name: value\r\n`) that
`header_lines` rendered, so no value can end a header early (no CR, LF or other control
character survives); `Deferred.run` never raises.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import NamedTuple

__all__ = ["Answer", "Deferred", "header_lines"]

log = logging.getLogger("strongroom.api")


class Answer(NamedTuple):
    """What goes back for one request."""

    status: int
    content_type: bytes
    body: bytes
    request_id: str
    headers: bytes = b""
    """Further header lines, each `name: value\\r\\n`, made by `header_lines` (or empty)."""


class Deferred:
    """An answer that must be computed off the event loop (it may wait on this server)."""

    __slots__ = ("_failed", "_work")

    def __init__(self, work: Callable[[], Answer], failed: Callable[[], Answer]) -> None:
        """`work` computes the answer; `failed` is the answer when `work` raised."""
        self._work = work
        self._failed = failed

    def run(self) -> Answer:
        """The answer; never raises (an unexpected failure answers `failed()`)."""
        try:
            return self._work()
        except Exception:
            log.exception("internal error in a deferred answer")
            return self._failed()


_CONTROL = bytes(range(0x20)).replace(b"\t", b"") + b"\x7f"
_BLANKS = bytes.maketrans(_CONTROL, b" " * len(_CONTROL))


def header_lines(headers: Iterable[tuple[str, str]]) -> bytes:
    """`name: value\\r\\n` lines: each value as UTF-8 (what cannot be encoded becomes "?"),
    control characters turned into spaces, surrounding blanks trimmed."""
    lines = []
    for name, value in headers:
        raw = value.encode("utf-8", "replace").translate(_BLANKS).strip(b" \t")
        lines.append(name.encode("ascii") + b": " + raw + b"\r\n")
    return b"".join(lines)
