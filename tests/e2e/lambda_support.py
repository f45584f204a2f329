"""Functions and helpers for the Lambda end-to-end tests.

`PROBE` is one handler, written as one writes them for AWS Lambda, whose event says what
to do: answer what it sees (event, context, environment, boto3's version), fail, sleep,
touch a file (to observe `Event` invocations), call Strongroom with the credentials it was
given, or print many lines. `zipped` packs handler sources as a deployment package.
"""

from __future__ import annotations

import io
import subprocess
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.e2e.harness import ServerProcess

ROLE = "arn:aws:iam::123456789012:role/lambda-rotation"
HANDLER = "lambda_function.lambda_handler"

PROBE = """
import json
import os
import time

import boto3

SEEN = (
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_EXECUTION_ENV",
    "AWS_ENDPOINT_URL", "SECRETS_MANAGER_ENDPOINT", "STAGE", "MARKER_DIR",
)


def lambda_handler(event, context):
    action = event.get("action")
    print("probe handling", action)
    if action == "fail":
        raise ValueError("failed on purpose")
    if action == "sleep":
        time.sleep(event["seconds"])
    if action == "touch":
        with open(os.path.join(os.environ["MARKER_DIR"], event["name"]), "w") as marker:
            marker.write(context.aws_request_id)
    if action == "chatter":
        for number in range(event["lines"]):
            print(f"line {number:05d}")
    answer = {
        "event": event,
        "version": VERSION,
        "boto3": boto3.__version__,
        "context": {
            "function_name": context.function_name,
            "function_version": context.function_version,
            "invoked_function_arn": context.invoked_function_arn,
            "memory_limit_in_mb": str(context.memory_limit_in_mb),
            "aws_request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
        },
        "env": {name: os.environ.get(name) for name in SEEN},
        "has_session_token": bool(os.environ.get("AWS_SESSION_TOKEN")),
    }
    if action == "call-strongroom":
        client = boto3.client("secretsmanager")
        password = client.get_random_password(PasswordLength=24)["RandomPassword"]
        answer["password_length"] = len(password)
        answer["credentials"] = [
            os.environ["AWS_ACCESS_KEY_ID"],
            os.environ["AWS_SECRET_ACCESS_KEY"],
            os.environ["AWS_SESSION_TOKEN"],
        ]
    return answer
"""


def probe_source(version: int = 1) -> str:
    """The probe handler, answering `version` (to tell code updates apart)."""
    return f"VERSION = {version}\n{PROBE}"


def zipped(files: dict[str, str], *, stored: bool = False) -> bytes:
    """A deployment package holding `files` (name -> source); `stored` leaves them
    uncompressed (so their text is in the zip's bytes as is)."""
    buffer = io.BytesIO()
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, source in files.items():
            archive.writestr(name, source)
    return buffer.getvalue()


def probe_zip(version: int = 1, *, stored: bool = False, extra: str = "") -> bytes:
    """The probe as a package (with `extra` appended to its source)."""
    return zipped({"lambda_function.py": probe_source(version) + extra}, stored=stored)


def unique(prefix: str) -> str:
    """A function name no other test uses."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def create_probe(client: Any, name: str, **params: Any) -> dict[str, Any]:
    """CreateFunction with the probe (python3.12), `params` added or overriding."""
    request: dict[str, Any] = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Handler": HANDLER,
        "Role": ROLE,
        "Code": {"ZipFile": probe_zip()},
    }
    request.update(params)
    return client.create_function(**request)  # type: ignore[no-any-return]


def error_of(call: Any, **params: Any) -> tuple[str, int, str]:
    """(code, HTTP status, message) of a call that must fail."""
    try:
        call(**params)
    except ClientError as error:
        response = error.response
        return (
            response["Error"]["Code"],
            response["ResponseMetadata"]["HTTPStatusCode"],
            response["Error"].get("Message", ""),
        )
    raise AssertionError("the call succeeded")


def aws_lambda(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`aws lambda ARGS --output json` against `server`, configured only by its env."""
    return subprocess.run(
        ["aws", "lambda", *args, "--output", "json"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def wait_for_file(path: Path, seconds: float = 30.0) -> bool:
    """Whether `path` exists within `seconds` (polled: an asynchronous invocation)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            return True
        time.sleep(0.05)
    return path.exists()
