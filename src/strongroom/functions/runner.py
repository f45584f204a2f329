"""Runs one invocation in a process of its own and answers as Lambda's Invoke does.

Each invocation gets a fresh interpreter (`sys.executable -P -m
strongroom.functions.bootstrap`) in a new session, so in a process group of its own,
with no file descriptor of the server's but the two pipes it is handed, in a private
directory (mode 0700) holding the unpacked package, deleted afterwards. Its environment
is `environment.py`'s. From the server side, `supervise.py` enforces the timeout and
MemorySize and collects output and frames. Whatever the function does, `invoke` returns
an `InvocationResult`; it raises only when the server itself cannot start a process.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from strongroom.functions import outcome
from strongroom.functions.environment import function_environment
from strongroom.functions.invocation import Invocation, InvocationResult
from strongroom.functions.limits import MAX_RESPONSE_BYTES, OPEN_FILES, address_space_bytes
from strongroom.functions.output import InvocationLog
from strongroom.functions.protocol import BOOTSTRAP
from strongroom.functions.supervise import Run, supervise
from strongroom.functions.unpack import PackageError, unpack

log = logging.getLogger("strongroom.functions")


def invoke(invocation: Invocation) -> InvocationResult:
    """Run `invocation` to its end in its own process; blocking."""
    journal = InvocationLog(invocation.request_id)
    journal.platform(outcome.start_line(invocation.request_id, invocation.function_version))
    root = Path(tempfile.mkdtemp(prefix="strongroom-function-"))
    began = time.monotonic()
    try:
        if invocation.code is not None:
            unpack(invocation.code, root)
        run = _run(invocation, root, journal)
    except PackageError as error:
        ended = outcome.invalid_package(invocation.request_id, str(error))
        run = Run(spawned=began, ended=time.monotonic())
    else:
        ended = _judge(run, invocation)
    finally:
        _remove(root)
    return _answer(invocation, journal, ended, run)


def _run(invocation: Invocation, root: Path, journal: InvocationLog) -> Run:
    request_read, request_write = os.pipe()
    result_read, result_write = os.pipe()
    output_read, output_write = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-P", "-m", BOOTSTRAP, str(request_read), str(result_write)],
            stdin=subprocess.DEVNULL,
            stdout=output_write,
            stderr=subprocess.STDOUT,
            cwd=root,
            env=function_environment(
                invocation.environment, task_root=str(root), handler=invocation.handler
            ),
            close_fds=True,
            pass_fds=(request_read, result_write),
            start_new_session=True,
        )
    except BaseException:
        for fd in (request_write, result_read, output_read):
            os.close(fd)
        raise
    finally:
        for fd in (request_read, result_write, output_write):
            os.close(fd)
    return supervise(
        process,
        _request(invocation, root),
        request_fd=request_write,
        result_fd=result_read,
        output_fd=output_read,
        memory_bytes=invocation.memory_mb * 1024 * 1024,
        timeout_seconds=invocation.timeout_seconds,
        journal=journal,
    )


def _request(invocation: Invocation, root: Path) -> bytes:
    """The request pipe's content: the description line, then the event."""
    variables = invocation.environment
    today = time.strftime("%Y/%m/%d", time.gmtime())
    stream = f"{today}/[{invocation.function_version}]{invocation.request_id.replace('-', '')}"
    description = {
        "handler": invocation.handler,
        "taskRoot": str(root) if invocation.code is not None else None,
        "sysPath": None if invocation.code is not None else [os.path.abspath(p) for p in sys.path],
        "requestId": invocation.request_id,
        "functionName": invocation.function_name,
        "functionVersion": invocation.function_version,
        "functionArn": invocation.function_arn,
        "memoryMb": invocation.memory_mb,
        "timeoutSeconds": invocation.timeout_seconds,
        "logGroupName": variables.get(
            "AWS_LAMBDA_LOG_GROUP_NAME", f"/aws/lambda/{invocation.function_name}"
        ),
        "logStreamName": variables.get("AWS_LAMBDA_LOG_STREAM_NAME", stream),
        "addressSpaceBytes": address_space_bytes(invocation.memory_mb),
        "openFiles": OPEN_FILES,
        "maxResponseBytes": MAX_RESPONSE_BYTES,
    }
    return json.dumps(description).encode() + b"\n" + invocation.event


def _judge(run: Run, invocation: Invocation) -> outcome.Outcome:
    """The outcome of a run: an answer wins over how the process ended."""
    request_id = invocation.request_id
    if run.result is not None:
        return outcome.succeeded(run.result)
    if run.error is not None and _is_document(run.error):
        return outcome.failed(run.error)
    if run.oversized:
        return outcome.response_too_large(MAX_RESPONSE_BYTES)
    if run.out_of_memory:
        return outcome.out_of_memory(request_id)
    if run.timed_out:
        return outcome.timed_out(request_id, invocation.timeout_seconds)
    return outcome.exited(request_id, run.returncode if run.returncode is not None else 0)


def _is_document(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except ValueError:
        return False


def _answer(
    invocation: Invocation, journal: InvocationLog, ended: outcome.Outcome, run: Run
) -> InvocationResult:
    request_id = invocation.request_id
    for line in ended.error_lines:
        journal.platform(line, logging.WARNING)
    duration_ms = (run.ended - (run.started or run.spawned)) * 1000
    init_ms = ((run.started or run.ended) - run.spawned) * 1000
    journal.platform(outcome.end_line(request_id))
    journal.platform(
        outcome.report_line(
            request_id,
            ended,
            duration_ms=duration_ms,
            init_ms=init_ms,
            memory_mb=invocation.memory_mb,
            max_memory_bytes=run.peak_rss,
        )
    )
    return InvocationResult(
        payload=ended.payload,
        function_error=ended.function_error,
        duration_ms=duration_ms,
        log_tail=journal.tail(),
    )


def _remove(root: Path) -> None:
    """Delete the private directory, whatever modes the function left inside it."""
    if root.is_symlink() or not root.is_dir():
        log.warning("function directory %s was replaced; left alone", root)
        return
    with contextlib.suppress(OSError):
        os.chmod(root, 0o700)
    for directory, subdirectories, _ in os.walk(root):
        for name in subdirectories:
            path = os.path.join(directory, name)
            with contextlib.suppress(OSError):
                if stat.S_ISDIR(os.lstat(path).st_mode):
                    os.chmod(path, 0o700)
    shutil.rmtree(root, ignore_errors=True)
    if root.exists():
        log.warning("function directory %s could not be deleted", root)
