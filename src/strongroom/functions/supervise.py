"""Watches a function's process from the server: its deadline, its memory, its pipes.

One loop per invocation, woken by a pipe or every `POLL_SECONDS`: it writes the request
to the child, feeds the output to the invocation's log and the result pipe's frames to
the `Run`. It stops when the child answers, exits, passes its deadline (`INIT_SECONDS`
until the handler starts, then the function's timeout) or holds more resident memory
than MemorySize. Then the whole process group is killed, before the child is reaped, so
its group id cannot be reused in between; the pipes are drained for at most
`GRACE_SECONDS` (a descendant that left the group may hold them open); and the child is
reaped. Only the server's clock decides: the child's word is taken for nothing but its
answer.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass

from strongroom.functions import protocol
from strongroom.functions.limits import (
    GRACE_SECONDS,
    INIT_SECONDS,
    MAX_RESPONSE_BYTES,
    POLL_SECONDS,
    tree_rss_bytes,
)
from strongroom.functions.output import InvocationLog

_READ_SIZE = 1 << 16
_FRAME_LIMITS = {
    protocol.STARTED: 0,
    protocol.RESULT: MAX_RESPONSE_BYTES,
    protocol.ERROR: MAX_RESPONSE_BYTES,
    protocol.OUT_OF_MEMORY: 0,
}


@dataclass(slots=True)
class Run:
    """What the server saw of one process (times are `time.monotonic()`)."""

    spawned: float
    started: float | None = None
    ended: float = 0.0
    result: bytes | None = None
    error: bytes | None = None
    out_of_memory: bool = False
    timed_out: bool = False
    oversized: bool = False
    answered: bool = False
    returncode: int | None = None
    peak_rss: int = 0


def supervise(
    process: subprocess.Popen[bytes],
    request: bytes,
    *,
    request_fd: int,
    result_fd: int,
    output_fd: int,
    memory_bytes: int,
    timeout_seconds: float,
    journal: InvocationLog,
) -> Run:
    """Run `process` to its end; the three descriptors are closed on return."""
    run = Run(spawned=time.monotonic())
    pipes = _Pipes(request, request_fd, result_fd, output_fd, journal)
    try:
        _watch(process.pid, run, pipes, memory_bytes, timeout_seconds)
        run.ended = time.monotonic()
        _kill_group(process.pid)
        drained_by = time.monotonic() + GRACE_SECONDS
        while pipes.open and (left := drained_by - time.monotonic()) > 0:
            pipes.pump(left, run)
    finally:
        _kill_group(process.pid)
        # Not the kernel's peak (ru_maxrss): it includes the moments between fork and
        # exec, when the child is a copy of this server, as large as the server is.
        run.returncode, _ = _reap(process)
        pipes.close()
        journal.close()
    return run


def _watch(pid: int, run: Run, pipes: _Pipes, memory_bytes: int, timeout_seconds: float) -> None:
    """Until the child answers or exits, or passes its deadline or its memory."""
    deadline = run.spawned + INIT_SECONDS
    handler_timed = False
    booted = False  # memory counts from the exec of the bootstrap on (see `_is_bootstrap`)
    while not run.answered and not _has_exited(pid):
        now = time.monotonic()
        if now >= deadline:
            run.timed_out = True
            return
        booted = booted or _is_bootstrap(pid)
        rss = tree_rss_bytes(pid) if booted else 0
        run.peak_rss = max(run.peak_rss, rss)
        if rss > memory_bytes:
            run.out_of_memory = True
            return
        pipes.pump(min(POLL_SECONDS, deadline - now), run)
        if run.started is not None and not handler_timed:
            deadline, handler_timed = run.started + timeout_seconds, True


def _is_bootstrap(pid: int) -> bool:
    """Whether the child runs the bootstrap yet. Before its exec it is a copy of this
    server, whose resident memory (shared pages counted) is the server's, not the
    function's: counting it would kill functions of a large server at birth."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return protocol.BOOTSTRAP.encode() in cmdline.read()
    except OSError:
        return False


def _has_exited(pid: int) -> bool:
    """Whether the child has ended, without reaping it (its pid stays reserved)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:  # reaped by someone else: it has ended all the same
        return True


def _reap(process: subprocess.Popen[bytes]) -> tuple[int, int]:
    """Wait for the killed child: its return code (as `Popen`'s) and peak resident bytes."""
    try:
        _, status, usage = os.wait4(process.pid, 0)
    except ChildProcessError:  # reaped by someone else: how it ended is unknown
        process.returncode = 0
        return 0, 0
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss * 1024


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _Pipes:
    """The three pipes of one child, multiplexed."""

    def __init__(
        self,
        request: bytes,
        request_fd: int,
        result_fd: int,
        output_fd: int,
        journal: InvocationLog,
    ) -> None:
        self._pending = memoryview(request)
        self._request_fd = request_fd
        self._result_fd = result_fd
        self._output_fd = output_fd
        self._journal = journal
        self._frames = protocol.FrameReader(_FRAME_LIMITS)
        self._selector = selectors.DefaultSelector()
        self._fds = {request_fd, result_fd, output_fd}
        for fd in self._fds:
            os.set_blocking(fd, False)
        self._selector.register(request_fd, selectors.EVENT_WRITE)
        self._selector.register(result_fd, selectors.EVENT_READ)
        self._selector.register(output_fd, selectors.EVENT_READ)

    @property
    def open(self) -> bool:
        """Whether the result or output pipe may still carry something."""
        return bool(self._fds - {self._request_fd})

    def pump(self, timeout: float, run: Run) -> None:
        """Move what is ready, waiting at most `timeout` seconds for something to be."""
        if not self._fds:
            time.sleep(timeout)
            return
        for key, _ in self._selector.select(timeout):
            if key.fd == self._request_fd:
                self._write_request()
                continue
            try:
                data = os.read(key.fd, _READ_SIZE)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                self._finish(key.fd)
            elif key.fd == self._output_fd:
                self._journal.feed(data)
            else:
                self._take(data, run)

    def close(self) -> None:
        """Close every descriptor still open."""
        for fd in list(self._fds):
            self._finish(fd)
        self._selector.close()

    def _write_request(self) -> None:
        try:
            written = os.write(self._request_fd, self._pending)
        except BlockingIOError:
            return
        except OSError:
            written = len(self._pending)
        self._pending = self._pending[written:]
        if not self._pending:
            self._finish(self._request_fd)

    def _take(self, data: bytes, run: Run) -> None:
        for tag, body in self._frames.feed(data):
            if run.answered:
                return
            if tag == protocol.STARTED:
                run.started = run.started or time.monotonic()
            elif tag == protocol.RESULT:
                run.result, run.answered = body, True
            elif tag == protocol.ERROR:
                run.error, run.answered = body, True
            elif tag == protocol.OUT_OF_MEMORY:
                run.out_of_memory, run.answered = True, True
        if self._frames.oversized in (protocol.RESULT, protocol.ERROR) and not run.answered:
            run.oversized, run.answered = True, True

    def _finish(self, fd: int) -> None:
        if fd in self._fds:
            self._fds.discard(fd)
            self._selector.unregister(fd)
            os.close(fd)
