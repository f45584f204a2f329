"""The function's side of an invocation: load the handler, call it once, report back.

Run by `runner.py` as `python -P -m strongroom.functions.bootstrap REQUEST_FD RESULT_FD`
in a fresh process, in the function's private directory. It reads the invocation from
the request pipe, lowers its own limits before any function code runs (address space,
open files, no core files), sets `sys.path` (the package first, or the server's path for
a built-in), installs the root log handler AWS's runtime installs, and calls the handler
with the event and a context. The outcome goes to the result pipe as frames
(`protocol.py`), never to stdout, and the process ends at once with `os._exit(0)`, as a
Lambda sandbox is frozen once it has answered. A `SystemExit` from the function is not
caught: the process exits and the server reports how.

Standard library and this package's child-side modules only: it never imports the server.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import json
import logging
import math
import os
import resource
import signal
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn

from strongroom.functions import faults, protocol
from strongroom.functions.context import LambdaContext
from strongroom.functions.limits import INIT_SECONDS
from strongroom.functions.marshalling import marshal, unmarshal

Handler = Callable[[Any, Any], Any]

_PR_SET_PDEATHSIG = 1
_DEADLINE_GRACE_SECONDS = 5

_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s"


def main(argv: list[str]) -> NoReturn:
    """Run one invocation; `argv` holds the request and result pipes' descriptors."""
    request_fd, result_fd = int(argv[1]), int(argv[2])
    _die_with_the_server()
    os.set_inheritable(result_fd, False)
    sys.argv = argv[:1]
    request, event = _read_request(request_fd)
    _lower_limits(request)
    _deadline(request)
    _set_path(request)
    request_id = str(request["requestId"])
    _set_up_output(request_id)
    try:
        handler = load_handler(str(request["handler"]))
    except MemoryError:
        _finish(result_fd, protocol.OUT_OF_MEMORY)
    except faults.Fault as fault:
        _fail(result_fd, fault.document(""), request)
    except Exception as error:
        _fail(result_fd, faults.exception_document(error, "", __file__), request)
    protocol.write_frame(result_fd, protocol.STARTED)
    context = _context(request)
    try:
        payload = marshal(handler(unmarshal(event), context))
    except MemoryError:
        _finish(result_fd, protocol.OUT_OF_MEMORY)
    except faults.Fault as fault:
        _fail(result_fd, fault.document(request_id), request)
    except Exception as error:
        _fail(result_fd, faults.exception_document(error, request_id, __file__), request)
    if len(payload) > int(request["maxResponseBytes"]):
        document = faults.response_too_large(int(request["maxResponseBytes"]))
        _finish(result_fd, protocol.ERROR, json.dumps(document).encode())
    _finish(result_fd, protocol.RESULT, payload)


def load_handler(handler: str) -> Handler:
    """The function named by AWS's Handler string, with AWS's faults when it cannot be."""
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as error:
        raise faults.Fault(
            faults.MALFORMED_HANDLER_NAME, f"Bad handler '{handler}': {error}"
        ) from None
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise faults.Fault(
            faults.BUILT_IN_MODULE_CONFLICT,
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise faults.Fault(
            faults.IMPORT_MODULE_ERROR, f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise faults.Fault(
            faults.USER_CODE_SYNTAX_ERROR,
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from None
    try:
        found: Handler = getattr(module, function_name)
    except AttributeError:
        raise faults.Fault(
            faults.HANDLER_NOT_FOUND,
            f"Handler '{function_name}' missing on module '{module_name}'",
        ) from None
    return found


def _read_request(fd: int) -> tuple[dict[str, Any], bytes]:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    os.close(fd)
    header, _, event = b"".join(chunks).partition(b"\n")
    request: dict[str, Any] = json.loads(header)
    return request, event


def _die_with_the_server() -> None:
    """Be killed when the server's supervising thread dies (a crash, `kill -9`), so no
    function outlives the server that watches its timeout (Linux; elsewhere the deadline
    below still ends it)."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the server died before the request was set up
        os._exit(1)


def _deadline(request: dict[str, Any]) -> None:
    """Our own end, should the server's watch be gone: the init limit and the timeout
    after now, plus a grace; SIGALRM's default action ends the process."""
    seconds = float(request["timeoutSeconds"]) + INIT_SECONDS + _DEADLINE_GRACE_SECONDS
    signal.alarm(math.ceil(seconds))


def _lower_limits(request: dict[str, Any]) -> None:
    _lower(resource.RLIMIT_AS, int(request["addressSpaceBytes"]))
    _lower(resource.RLIMIT_NOFILE, int(request["openFiles"]))
    _lower(resource.RLIMIT_CORE, 0)


def _lower(limit: int, value: int) -> None:
    """Set soft and hard `limit` to `value`, or to the hard limit if that is lower."""
    _, hard = resource.getrlimit(limit)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(limit, (value, value))


def _set_path(request: dict[str, Any]) -> None:
    if request["taskRoot"] is not None:
        sys.path.insert(0, str(request["taskRoot"]))
        sys.dont_write_bytecode = True  # the package stays as deployed, as Lambda's read-only one
    else:
        sys.path[:] = [str(entry) for entry in request["sysPath"]]


def _set_up_output(request_id: str) -> None:
    """Line-buffered output and AWS's root log handler, so `logger.info` lines appear."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(line_buffering=True)
    formatter = logging.Formatter(_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)

    def add_request_id(record: logging.LogRecord) -> bool:
        record.__dict__["aws_request_id"] = request_id
        return True

    handler.addFilter(add_request_id)
    logging.getLogger().addHandler(handler)


def _context(request: dict[str, Any]) -> LambdaContext:
    timeout_ms = int(float(request["timeoutSeconds"]) * 1000)
    return LambdaContext(
        request_id=str(request["requestId"]),
        function_name=str(request["functionName"]),
        function_version=str(request["functionVersion"]),
        function_arn=str(request["functionArn"]),
        memory_mb=int(request["memoryMb"]),
        log_group_name=str(request["logGroupName"]),
        log_stream_name=str(request["logStreamName"]),
        deadline_ms=int(time.time() * 1000) + timeout_ms,
    )


def _fail(fd: int, document: dict[str, Any], request: dict[str, Any]) -> NoReturn:
    """Log the error as the runtime does, then report its document."""
    with contextlib.suppress(Exception):
        sys.stdout.write("\n".join(faults.log_lines(document)) + "\n")
    body = json.dumps(document, ensure_ascii=False).encode("utf-8", "replace")
    if len(body) > int(request["maxResponseBytes"]):
        body = json.dumps(faults.response_too_large(int(request["maxResponseBytes"]))).encode()
    _finish(fd, protocol.ERROR, body)


def _finish(fd: int, tag: bytes, body: bytes = b"") -> NoReturn:
    """Flush the function's output, send the last frame, and end the process now."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # the function may have closed or replaced it
            stream.flush()
    protocol.write_frame(fd, tag, body)
    os._exit(0)


if __name__ == "__main__":
    main(sys.argv)
