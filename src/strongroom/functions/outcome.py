"""How an invocation ended, in Lambda's words: payload, error type and log lines.

Failures the platform reports itself (a timeout, running out of memory, a process that
ended without answering, a package that cannot be unpacked) have Lambda's service-side
shape, `{"errorType", "errorMessage"}` with a message "RequestId: <id> Error: ...", and
exit statuses worded as Lambda's Go platform words them ("exit status 3", "signal:
killed"). Their log lines and the REPORT line's `Status` follow Lambda's logs.
"""

from __future__ import annotations

import json
import math
import signal
from dataclasses import dataclass
from datetime import UTC, datetime

UNHANDLED = "Unhandled"

_SIGNALS: dict[int, str] = {
    signal.SIGHUP: "hangup",
    signal.SIGINT: "interrupt",
    signal.SIGQUIT: "quit",
    signal.SIGILL: "illegal instruction",
    signal.SIGTRAP: "trace/breakpoint trap",
    signal.SIGABRT: "aborted",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGKILL: "killed",
    signal.SIGUSR1: "user defined signal 1",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGUSR2: "user defined signal 2",
    signal.SIGPIPE: "broken pipe",
    signal.SIGALRM: "alarm clock",
    signal.SIGTERM: "terminated",
    signal.SIGXCPU: "CPU time limit exceeded",
    signal.SIGXFSZ: "file size limit exceeded",
}


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to Invoke, and what the platform logs about it."""

    payload: bytes
    function_error: str | None
    error_lines: tuple[str, ...] = ()
    """Lines the platform logs before END (the function logs its own exceptions)."""
    error_type: str | None = None
    """For the REPORT line: set when the platform, not the function, saw the failure."""
    status: str | None = None


def succeeded(payload: bytes) -> Outcome:
    """The handler returned; `payload` is its marshalled value."""
    return Outcome(payload, None)


def failed(document: bytes) -> Outcome:
    """The handler raised or could not be loaded; `document` is the runtime's."""
    return Outcome(document, UNHANDLED)


def timed_out(request_id: str, timeout_seconds: float) -> Outcome:
    """The function ran past its timeout and was stopped."""
    message = f"Task timed out after {timeout_seconds:.2f} seconds"
    return Outcome(
        _document("Sandbox.Timedout", f"RequestId: {request_id} Error: {message}"),
        UNHANDLED,
        (f"{_timestamp()} {request_id} {message}",),
        status="timeout",
    )


def out_of_memory(request_id: str) -> Outcome:
    """The function used more memory than its MemorySize and was killed."""
    return _platform_failure(
        request_id, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed"
    )


def exited(request_id: str, returncode: int) -> Outcome:
    """The process ended without answering (`returncode` as `Popen` reports it)."""
    if returncode == 0:
        reason = "Runtime exited without providing a reason"
    elif returncode < 0:
        name = _SIGNALS.get(-returncode, f"signal {-returncode}")
        reason = f"Runtime exited with error: signal: {name}"
    else:
        reason = f"Runtime exited with error: exit status {returncode}"
    return _platform_failure(request_id, "Runtime.ExitError", reason)


def response_too_large(limit: int) -> Outcome:
    """The function answered more than Lambda's response limit."""
    message = f"Response payload size exceeded maximum allowed payload size ({limit} bytes)."
    return Outcome(
        _document("Function.ResponseSizeTooLarge", message),
        UNHANDLED,
        (message,),
        error_type="Function.ResponseSizeTooLarge",
        status="error",
    )


def invalid_package(request_id: str, reason: str) -> Outcome:
    """The deployment package could not be unpacked; no process ran."""
    message = f"Lambda could not unzip the deployment package: {reason}"
    return _platform_failure(request_id, "InvalidZipFileException", message)


def start_line(request_id: str, version: str) -> str:
    """Lambda's START line."""
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    """Lambda's END line."""
    return f"END RequestId: {request_id}"


def report_line(
    request_id: str,
    outcome: Outcome,
    *,
    duration_ms: float,
    init_ms: float,
    memory_mb: int,
    max_memory_bytes: int,
) -> str:
    """Lambda's REPORT line, with Status and Error Type when the platform saw a failure."""
    fields = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration_ms:.2f} ms",
        f"Billed Duration: {math.ceil(duration_ms)} ms",
        f"Memory Size: {memory_mb} MB",
        f"Max Memory Used: {math.ceil(max_memory_bytes / (1024 * 1024))} MB",
        f"Init Duration: {init_ms:.2f} ms",
    ]
    if outcome.status is not None:
        fields.append(f"Status: {outcome.status}")
    if outcome.error_type is not None:
        fields.append(f"Error Type: {outcome.error_type}")
    return "\t".join(fields)


def _platform_failure(request_id: str, error_type: str, reason: str) -> Outcome:
    message = f"RequestId: {request_id} Error: {reason}"
    return Outcome(
        _document(error_type, message),
        UNHANDLED,
        (message, error_type),
        error_type=error_type,
        status="error",
    )


def _document(error_type: str, message: str) -> bytes:
    document = {"errorType": error_type, "errorMessage": message}
    return json.dumps(document, separators=(",", ":")).encode()


def _timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
