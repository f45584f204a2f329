"""What a function sees: its own environment, a private directory, boto3, AWS's context."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sys
import textwrap
from pathlib import Path

import pytest
from tests.unit.functions.packages import FUNCTION_ARN, FUNCTION_NAME, REQUEST_ID, invocation

import strongroom
from strongroom.functions import invoke

REPORT_ENVIRONMENT = """
import os

def lambda_handler(event, context):
    return dict(os.environ)
"""


def test_the_server_environment_never_reaches_the_function(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRONGROOM_SECRET_KEY", "server-only")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASERVERONLY")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "server-only")
    monkeypatch.setenv("HOME", "/root/of/the/server")
    monkeypatch.setenv("LC_TIME", "C")
    variables = {
        "AWS_ACCESS_KEY_ID": "ASIAFUNCTION",
        "SECRETS_MANAGER_ENDPOINT": "https://127.0.0.1:8200",
        "LANG": "C.UTF-8",
    }
    result = invoke(invocation(REPORT_ENVIRONMENT, environment=variables))
    environment = json.loads(result.payload)
    task_root = environment.pop("LAMBDA_TASK_ROOT")
    assert environment.pop("_HANDLER") == "lambda_function.lambda_handler"
    assert environment.pop("PYTHONPATH") == str(Path(strongroom.__file__).resolve().parents[1])
    from_server = {
        name: value
        for name, value in os.environ.items()
        if name == "PATH" or name.startswith("LC_")
    }
    assert from_server["LC_TIME"] == "C"
    assert environment == {**from_server, **variables}
    assert task_root.startswith("/")


def test_the_functions_own_pythonpath_follows_the_runtimes() -> None:
    result = invoke(invocation(REPORT_ENVIRONMENT, environment={"PYTHONPATH": "/opt/python"}))
    runtime = str(Path(strongroom.__file__).resolve().parents[1])
    assert json.loads(result.payload)["PYTHONPATH"] == f"{runtime}:/opt/python"


def test_the_package_runs_in_a_private_directory_deleted_afterwards() -> None:
    result = invoke(
        invocation(
            """
            import os, stat, sys

            def lambda_handler(event, context):
                os.mkdir("locked")
                open("locked/file", "w").close()
                os.chmod("locked", 0)
                return {
                    "cwd": os.getcwd(),
                    "task_root": os.environ["LAMBDA_TASK_ROOT"],
                    "mode": stat.S_IMODE(os.stat(".").st_mode),
                    "first_on_path": sys.path[0],
                    "files": sorted(os.listdir(".")),
                }
            """
        )
    )
    seen = json.loads(result.payload)
    assert seen["cwd"] == seen["task_root"] == seen["first_on_path"]
    assert seen["mode"] == 0o700
    assert seen["files"] == ["lambda_function.py", "locked"]
    assert not os.path.exists(seen["cwd"])


def test_the_context_has_the_attributes_of_aws_context() -> None:
    result = invoke(
        invocation(
            """
            import time

            def lambda_handler(event, context):
                first = context.get_remaining_time_in_millis()
                time.sleep(0.05)
                second = context.get_remaining_time_in_millis()
                return {
                    "function_name": context.function_name,
                    "function_version": context.function_version,
                    "invoked_function_arn": context.invoked_function_arn,
                    "memory_limit_in_mb": context.memory_limit_in_mb,
                    "aws_request_id": context.aws_request_id,
                    "log_group_name": context.log_group_name,
                    "log_stream_name": context.log_stream_name,
                    "identity": [context.identity.cognito_identity_id,
                                 context.identity.cognito_identity_pool_id],
                    "client_context": context.client_context,
                    "remaining": [first, second],
                }
            """,
            memory_mb=256,
            timeout_seconds=30.0,
        )
    )
    seen = json.loads(result.payload)
    first, second = seen.pop("remaining")
    assert 0 < second < first <= 30_000
    assert first - second >= 50
    stream = seen.pop("log_stream_name")
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\]" + REQUEST_ID.replace("-", ""), stream)
    assert seen == {
        "function_name": FUNCTION_NAME,
        "function_version": "$LATEST",
        "invoked_function_arn": FUNCTION_ARN,
        "memory_limit_in_mb": "256",
        "aws_request_id": REQUEST_ID,
        "log_group_name": f"/aws/lambda/{FUNCTION_NAME}",
        "identity": [None, None],
        "client_context": None,
    }


def test_the_log_names_follow_the_environment_the_caller_composed() -> None:
    names = {
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/custom",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2025/01/01/[$LATEST]abc",
    }
    result = invoke(
        invocation(
            "def lambda_handler(event, context):\n"
            "    return [context.log_group_name, context.log_stream_name]\n",
            environment=names,
        )
    )
    assert json.loads(result.payload) == list(names.values())


def test_boto3_is_importable_without_being_in_the_package() -> None:
    result = invoke(
        invocation(
            """
            import os
            import boto3, botocore

            def lambda_handler(event, context):
                return [boto3.__version__, botocore.__file__, os.getcwd()]
            """
        )
    )
    version, location, task_root = json.loads(result.payload)
    assert version == importlib.metadata.version("boto3")
    assert not location.startswith(task_root)


def test_a_built_in_is_imported_from_the_servers_own_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A built-in (code None) sees the server's sys.path: a directory the server has
    on its path (here, put there by the test) serves the module, and the strongroom
    package is the server's own."""
    package = tmp_path / "strongroom_probe_builtins"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "single_user.py").write_text(
        textwrap.dedent(
            """
            import os, sys
            import boto3
            import strongroom.functions.invocation

            def lambda_handler(event, context):
                return {
                    "invocation_module": strongroom.functions.invocation.__file__,
                    "path": sys.path,
                    "cwd_is_private": os.getcwd() == os.environ["LAMBDA_TASK_ROOT"],
                    "event": event,
                }
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    result = invoke(
        invocation(
            "",
            handler="strongroom_probe_builtins.single_user.lambda_handler",
            code=None,
        )
    )
    assert result.function_error is None, result.payload
    seen = json.loads(result.payload)
    import strongroom.functions.invocation as server_module

    assert seen["invocation_module"] == server_module.__file__
    assert seen["path"] == [os.path.abspath(entry) for entry in sys.path]
    assert seen["cwd_is_private"] is True
    assert seen["event"] == {"Step": "createSecret"}


def test_no_descriptor_of_the_server_reaches_the_function(tmp_path: Path) -> None:
    """Only stdin, stdout, stderr and the runtime's own result pipe are open (plus the
    descriptor that lists them), though the server holds a file open meanwhile."""
    with open(tmp_path / "server-file", "w") as held:
        result = invoke(
            invocation(
                """
                import os

                def lambda_handler(event, context):
                    return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
                """
            )
        )
        assert not held.closed
    descriptors = json.loads(result.payload)
    assert descriptors[:3] == [0, 1, 2]
    assert len(descriptors) == 5
