"""An invocation's log: the function's output line by line, and the platform's lines.

Each line goes to the server log (logger `strongroom.functions`) tagged with the request
id, control characters escaped there so output cannot forge a log record or a terminal
sequence, and to the tail that Invoke's LogType=Tail returns. Memory and work stay
bounded whatever the function writes: a line is cut at `MAX_LINE_BYTES`, the tail keeps
only the last `LOG_TAIL_BYTES`, and past `MAX_LOGGED_BYTES` the output is no longer
logged (one warning says so) nor split into lines: it only feeds the tail.
"""

from __future__ import annotations

import logging

from strongroom.functions.limits import LOG_TAIL_BYTES, MAX_LINE_BYTES, MAX_LOGGED_BYTES

log = logging.getLogger("strongroom.functions")

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F) if code != 0x09}


class InvocationLog:
    """Collects one invocation's log; feed it the output as it arrives."""

    def __init__(self, request_id: str) -> None:
        self._request_id = request_id
        self._partial = bytearray()
        self._cutting = False
        self._logged = 0
        self._silenced = False
        self._tail = bytearray()

    def feed(self, data: bytes) -> None:
        """Take a chunk of the function's output (stdout and stderr, interleaved)."""
        if self._silenced:
            self._keep(data)
            return
        start = 0
        while (newline := data.find(b"\n", start)) >= 0 and not self._silenced:
            self._extend(data[start:newline])
            self._end_line()
            start = newline + 1
        if self._silenced:
            self._keep(data[start:])
        else:
            self._extend(data[start:])

    def close(self) -> None:
        """The output has ended: a last line without a newline still counts."""
        if self._partial and not self._cutting:
            self._output(bytes(self._partial), cut=False)
        self._partial.clear()
        self._cutting = False
        if self._tail and not self._tail.endswith(b"\n"):
            self._keep(b"\n")

    def platform(self, line: str, level: int = logging.INFO) -> None:
        """A line the platform writes (START, END, REPORT, an error), always logged."""
        self._keep((line + "\n").encode())
        log.log(level, "[%s] %s", self._request_id, line.translate(_ESCAPES))

    def tail(self) -> str:
        """The last `LOG_TAIL_BYTES` of the log, a character cut in two left out."""
        return bytes(self._tail[-LOG_TAIL_BYTES:]).decode("utf-8", "ignore")

    def _extend(self, piece: bytes) -> None:
        if self._cutting or not piece:
            return
        room = MAX_LINE_BYTES - len(self._partial)
        if len(piece) <= room:
            self._partial += piece
            return
        self._partial += piece[:room]
        self._output(bytes(self._partial), cut=True)
        self._partial.clear()
        self._cutting = True

    def _end_line(self) -> None:
        if self._cutting:
            self._cutting = False
        else:
            self._output(bytes(self._partial), cut=False)
        self._partial.clear()

    def _output(self, raw: bytes, *, cut: bool) -> None:
        line = raw.decode("utf-8", "replace").removesuffix("\r")
        if cut:
            line += f" [line cut at {MAX_LINE_BYTES} bytes]"
        self._keep((line + "\n").encode())
        self._logged += len(raw)
        if self._logged > MAX_LOGGED_BYTES:
            self._silenced = True
            log.warning(
                "[%s] the function wrote more than %d bytes: the rest is not logged",
                self._request_id,
                MAX_LOGGED_BYTES,
            )
            return
        log.info("[%s] %s", self._request_id, line.translate(_ESCAPES))

    def _keep(self, data: bytes) -> None:
        self._tail += data
        if len(self._tail) > 2 * LOG_TAIL_BYTES:
            del self._tail[:-LOG_TAIL_BYTES]
