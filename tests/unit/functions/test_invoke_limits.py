"""Timeout and MemorySize are enforced from the server, and a dying process is reported.

Wall times are bounded loosely (the timeout plus interpreter start and a wide margin),
never measured: speed is `bench/`'s business.
"""

from __future__ import annotations

import json
import re
import time

from tests.unit.functions.packages import REQUEST_ID, invocation, live_members

from strongroom.functions import invoke

HANG = """
import os, subprocess, time

def lambda_handler(event, context):
    sleeper = subprocess.Popen(["sleep", "300"])
    print("group", os.getpgrp(), "sleeper's group", os.getpgid(sleeper.pid), flush=True)
    while True:
        time.sleep(1)
"""


def _members_after_kill(group: int) -> list[int]:
    """The group's live processes, once SIGKILL (asynchronous in the kernel) has landed.

    invoke returns after the output pipe's end of file, so every member holding it has
    closed its files; the wait covers only the kernel's last step of its exit.
    """
    give_up = time.monotonic() + 5.0
    while (members := live_members(group)) and time.monotonic() < give_up:
        time.sleep(0.01)
    return members


def report_of(log_tail: str) -> str:
    return next(line for line in log_tail.splitlines() if line.startswith("REPORT "))


def test_a_function_past_its_timeout_is_killed_with_its_whole_process_group() -> None:
    began = time.monotonic()
    result = invoke(invocation(HANG, timeout_seconds=1.0))
    elapsed = time.monotonic() - began
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {REQUEST_ID} Error: Task timed out after 1.00 seconds",
    }
    found = re.search(r"group (\d+) sleeper's group (\d+)", result.log_tail)
    assert found is not None
    group = int(found[1])
    assert int(found[2]) == group
    assert _members_after_kill(group) == []
    assert re.search(rf"Z {REQUEST_ID} Task timed out after 1\.00 seconds\n", result.log_tail)
    assert "\tStatus: timeout" in report_of(result.log_tail)
    assert 1.0 <= elapsed < 1.0 + 10.0
    assert result.duration_ms >= 1000


def max_memory_used_mb(log_tail: str) -> int:
    found = re.search(r"\tMax Memory Used: (\d+) MB", report_of(log_tail))
    assert found is not None
    return int(found[1])


def test_a_function_that_outgrows_its_memory_is_killed_as_out_of_memory() -> None:
    """512 MiB held in 8 MiB steps: far below the address-space backstop, so only the
    server's measurement of resident memory can stop it."""
    result = invoke(
        invocation(
            """
            def lambda_handler(event, context):
                held = [b"x" * (8 * 1024 * 1024) for _ in range(64)]
                return len(held)
            """,
            memory_mb=128,
        )
    )
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.OutOfMemory",
        "errorMessage": f"RequestId: {REQUEST_ID} Error: Runtime exited with error: signal: killed",
    }
    assert "\tStatus: error\tError Type: Runtime.OutOfMemory" in report_of(result.log_tail)
    assert 128 < max_memory_used_mb(result.log_tail) < 512


def test_one_huge_allocation_fails_at_once_and_is_reported_as_out_of_memory() -> None:
    """8 GiB at once: the address-space backstop refuses it before a page is touched."""
    result = invoke(
        invocation(
            "def lambda_handler(event, context):\n    return len(b'x' * (8 * 1024**3))\n",
            memory_mb=128,
        )
    )
    assert json.loads(result.payload)["errorType"] == "Runtime.OutOfMemory"
    assert max_memory_used_mb(result.log_tail) < 128


def test_a_boto3_function_with_threads_runs_in_128_megabytes() -> None:
    result = invoke(
        invocation(
            """
            from concurrent.futures import ThreadPoolExecutor
            import boto3

            def lambda_handler(event, context):
                client = boto3.client(
                    "secretsmanager", region_name="us-east-1", endpoint_url="http://127.0.0.1:9"
                )
                with ThreadPoolExecutor(16) as pool:
                    sizes = list(pool.map(lambda n: len(bytearray(1_000_000)), range(64)))
                return {"operation": client.meta.method_to_api_mapping["get_secret_value"],
                        "total": sum(sizes)}
            """,
            memory_mb=128,
        )
    )
    assert result.function_error is None, result.payload
    assert json.loads(result.payload) == {"operation": "GetSecretValue", "total": 64_000_000}


def test_an_exit_mid_handler_is_a_runtime_exit_error() -> None:
    result = invoke(
        invocation(
            """
            import os

            def lambda_handler(event, context):
                print("leaving")
                os._exit(3)
            """
        )
    )
    assert result.function_error == "Unhandled"
    assert json.loads(result.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": f"RequestId: {REQUEST_ID} Error: Runtime exited with error: exit status 3",
    }
    assert "leaving\n" in result.log_tail
    assert "\tError Type: Runtime.ExitError" in report_of(result.log_tail)


def test_system_exit_and_a_signal_end_the_process_as_they_end_lambdas_runtime() -> None:
    exited = invoke(
        invocation("import sys\ndef lambda_handler(event, context):\n    sys.exit(5)\n")
    )
    assert json.loads(exited.payload)["errorMessage"].endswith("exit status 5")
    crashed = invoke(
        invocation(
            "import os, signal\n"
            "def lambda_handler(event, context):\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
        )
    )
    assert json.loads(crashed.payload) == {
        "errorType": "Runtime.ExitError",
        "errorMessage": (
            f"RequestId: {REQUEST_ID} Error: Runtime exited with error: signal: segmentation fault"
        ),
    }


def test_a_hang_while_importing_counts_against_the_init_limit_not_forever() -> None:
    result = invoke(
        invocation("import time\ntime.sleep(600)\n", timeout_seconds=1.0),
    )
    assert json.loads(result.payload)["errorType"] == "Sandbox.Timedout"


def test_a_server_larger_than_the_functions_memory_does_not_count_against_it() -> None:
    """Between fork and exec the child is a copy of the server, as resident as the server:
    that copy is not the function's memory. Here the calling process holds 400 MiB."""
    held = bytearray(400 * 1024 * 1024)
    for offset in range(0, len(held), 4096):
        held[offset] = 1  # resident, page by page
    results = [
        invoke(invocation("def lambda_handler(event, context):\n    return 7\n", memory_mb=128))
        for _ in range(5)
    ]
    del held
    assert [(r.function_error, r.payload) for r in results] == [(None, b"7")] * 5
    assert all(max_memory_used_mb(r.log_tail) < 128 for r in results)
