"""RotateSecret end to end: AWS's rules, and an immediate rotation by a function deployed
with boto3 or with the unchanged AWS CLI.

One private dev server for the module (its clock is never moved), made the scheduler's
leader first, so RotateSecret's wake-up starts a rotation at once. Every refused call is
followed by a check that DescribeSecret answers exactly as before.
"""

from __future__ import annotations

import json
import subprocess
import time
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.function_roles import ensure_role
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of
from tests.e2e.rotation_functions import GENERIC, zipped
from tests.e2e.rotation_support import (
    ROLE,
    SERVICE_PRINCIPAL,
    STEPS,
    CallLog,
    current_value,
    day_end,
    deploy,
    describe_raw,
    lead,
    new_secret,
    stages,
    unique,
    wait_idle,
    wait_rotated,
)

NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."
MISSING_FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:no-such-function"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A private dev server for this module, leading its scheduler."""
    place = tmp_path_factory.mktemp("rotation-api")
    started = ServerProcess(place / "data", stderr_path=place / "server.log").start()
    lead(started)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def call_log(tmp_path_factory: pytest.TempPathFactory) -> CallLog:
    """Where the module's function writes its calls."""
    return CallLog(tmp_path_factory.mktemp("rotation-api-calls") / "calls.log")


@pytest.fixture(scope="module")
def function(server: ServerProcess, call_log: CallLog) -> str:
    """The module's rotation function (GENERIC), deployed with boto3."""
    return deploy(server, env={"CALL_LOG": str(call_log.path)})


@pytest.fixture
def sm(server: ServerProcess) -> Any:
    return server.client("secretsmanager")


@pytest.fixture(scope="module")
def rotated(server: ServerProcess, function: str) -> str:
    """A secret rotated once by `function`, every 7 days (its ARN)."""
    sm = server.client("secretsmanager")
    arn, _ = new_secret(sm, "configured")
    rotation = sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 7}
    )
    wait_rotated(server, arn, rotation["VersionId"])
    return arn


# --- AWS's rules ---------------------------------------------------------------------------


def test_no_function_given_or_stored_is_refused(server: ServerProcess, sm: Any) -> None:
    arn, _ = new_secret(sm, "no-function")
    before = describe_raw(server, arn)
    error = error_of(sm.rotate_secret, SecretId=arn, RotationRules={"AutomaticallyAfterDays": 7})
    assert (error["Code"], error["Status"]) == ("InvalidRequestException", 400)
    assert describe_raw(server, arn) == before


def test_a_function_that_does_not_exist_is_refused(server: ServerProcess, sm: Any) -> None:
    arn, _ = new_secret(sm, "missing-function")
    before = describe_raw(server, arn)
    error = error_of(
        sm.rotate_secret,
        SecretId=arn,
        RotationLambdaARN=MISSING_FUNCTION,
        RotationRules={"AutomaticallyAfterDays": 7},
    )
    assert (error["Code"], error["Status"]) == ("ResourceNotFoundException", 400)
    assert describe_raw(server, arn) == before
    assert "RotationEnabled" not in before


def test_a_function_secrets_manager_may_not_invoke_is_refused(
    server: ServerProcess, sm: Any, call_log: CallLog
) -> None:
    # AWS checks the function's resource policy when rotation is configured ("access
    # denied when trying to configure rotation"), before anything is stored or started.
    ungranted = deploy(server, env={"CALL_LOG": str(call_log.path)}, grant=False)
    arn, _ = new_secret(sm, "not-granted")
    before = describe_raw(server, arn)
    error = error_of(
        sm.rotate_secret,
        SecretId=arn,
        RotationLambdaARN=ungranted,
        RotationRules={"AutomaticallyAfterDays": 7},
    )
    assert error["Code"] == "AccessDeniedException"
    assert describe_raw(server, arn) == before


@pytest.mark.parametrize(
    ("rules", "code"),
    [
        ({"ScheduleExpression": "rate(1 hours)"}, "InvalidParameterException"),
        (
            {"AutomaticallyAfterDays": 7, "ScheduleExpression": "rate(10 days)"},
            "InvalidParameterException",
        ),
        ({"ScheduleExpression": "rate(4 hours)", "Duration": "5h"}, "InvalidParameterException"),
        ({"ScheduleExpression": "cron(0 */2 * * ? *)"}, "InvalidParameterException"),
        (
            {"ScheduleExpression": "cron(0 22 * * ? *)", "Duration": "4h"},
            "InvalidParameterException",
        ),
        ({"AutomaticallyAfterDays": 1001}, "ValidationException"),
    ],
    ids=["rate-1-hour", "days-and-expression", "window-over-rate", "cron-2h", "past-day", "1001"],
)
def test_an_invalid_schedule_is_refused_and_changes_nothing(
    server: ServerProcess, sm: Any, rotated: str, rules: dict[str, Any], code: str
) -> None:
    other = deploy(server)  # a valid function that must not replace the stored one
    before = describe_raw(server, rotated)
    error = error_of(
        sm.rotate_secret, SecretId=rotated, RotationLambdaARN=other, RotationRules=rules
    )
    assert (error["Code"], error["Status"]) == (code, 400)
    error = error_of(
        sm.rotate_secret,
        SecretId=rotated,
        RotationLambdaARN=other,
        RotationRules=rules,
        RotateImmediately=False,
    )
    assert error["Code"] == code
    assert describe_raw(server, rotated) == before


def test_pending_on_another_version_refuses_a_new_rotation(
    server: ServerProcess, sm: Any, function: str
) -> None:
    arn, _ = new_secret(sm, "pending-left")
    sm.put_secret_value(SecretId=arn, SecretString="half-done", VersionStages=["AWSPENDING"])
    before = describe_raw(server, arn)
    error = error_of(
        sm.rotate_secret,
        SecretId=arn,
        RotationLambdaARN=function,
        RotationRules={"AutomaticallyAfterDays": 7},
    )
    assert (error["Code"], error["Message"]) == ("InvalidRequestException", NOT_COMPLETE)
    assert describe_raw(server, arn) == before


def test_a_secret_scheduled_for_deletion_is_not_rotated(
    server: ServerProcess, sm: Any, function: str, call_log: CallLog
) -> None:
    arn, _ = new_secret(sm, "deleted")
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    before = describe_raw(server, arn)
    error = error_of(sm.rotate_secret, SecretId=arn, RotationLambdaARN=function)
    assert (error["Code"], error["Status"]) == ("InvalidRequestException", 400)
    assert "marked for deletion" in error["Message"]
    assert describe_raw(server, arn) == before
    assert call_log.steps(arn) == []


# --- an immediate rotation -----------------------------------------------------------------


def test_an_immediate_rotation_moves_the_labels_and_shows_the_schedule(
    server: ServerProcess, sm: Any, function: str, call_log: CallLog
) -> None:
    arn, first = new_secret(sm, "immediate", "initial")
    began = time.time()
    rotation = sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 7}
    )
    version = rotation["VersionId"]
    assert (rotation["ARN"], rotation["Name"]) == (arn, arn.split(":")[-1][:-7])
    wait_rotated(server, arn, version)
    ended = time.time()

    labels = stages(sm, arn)
    assert "AWSCURRENT" in labels[version] and set(labels[version]) <= {"AWSCURRENT", "AWSPENDING"}
    assert labels[first] == ["AWSPREVIOUS"]
    current_id, current = current_value(sm, arn)
    assert current_id == version
    assert json.loads(current)["password"] != "initial"
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
    assert (previous["VersionId"], json.loads(previous["SecretString"])) == (
        first,
        {"password": "initial"},
    )
    assert call_log.calls(arn) == [(version, step) for step in STEPS]

    described = sm.describe_secret(SecretId=arn)
    listed = next(
        entry
        for entry in sm.list_secrets(Filters=[{"Key": "name", "Values": [rotation["Name"]]}])[
            "SecretList"
        ]
        if entry["ARN"] == arn
    )
    for shown in (described, listed):
        assert shown["RotationEnabled"] is True
        assert shown["RotationLambdaARN"] == function
        assert shown["RotationRules"] == {"AutomaticallyAfterDays": 7}
        rotated_at = shown["LastRotatedDate"]
        assert began - 1 <= rotated_at.timestamp() <= ended + 1
        assert shown["NextRotationDate"] == day_end(rotated_at, 7)


# --- the AWS CLI ------------------------------------------------------------------------------


def aws(server: ServerProcess, cwd: Path, service: str, *args: str) -> Any:
    """`aws SERVICE ARGS --output json` in `cwd`, which must succeed; its JSON answer."""
    result = subprocess.run(
        ["aws", service, *args, "--output", "json"],
        env=server.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_a_function_deployed_and_rotated_with_the_aws_cli(
    server: ServerProcess, sm: Any, tmp_path: Path
) -> None:
    (tmp_path / "rotation.zip").write_bytes(zipped(GENERIC))
    with zipfile.ZipFile(tmp_path / "rotation.zip") as package:
        assert package.namelist() == ["lambda_function.py"]
    log = CallLog(tmp_path / "calls.log")
    ensure_role(server, ROLE)
    name, secret = unique("cli-fn"), unique("cli-secret")
    created = aws(
        server,
        tmp_path,
        "lambda",
        "create-function",
        "--function-name",
        name,
        "--runtime",
        "python3.12",
        "--handler",
        "lambda_function.lambda_handler",
        "--zip-file",
        "fileb://rotation.zip",
        "--role",
        ROLE,
        "--timeout",
        "30",
        "--environment",
        f"Variables={{CALL_LOG={log.path}}}",
    )
    aws(
        server,
        tmp_path,
        "lambda",
        "add-permission",
        "--function-name",
        name,
        "--statement-id",
        "secrets-manager",
        "--action",
        "lambda:InvokeFunction",
        "--principal",
        SERVICE_PRINCIPAL,
    )
    first = aws(
        server,
        tmp_path,
        "secretsmanager",
        "create-secret",
        "--name",
        secret,
        "--secret-string",
        json.dumps({"password": "initial"}),
    )
    rotation = aws(
        server,
        tmp_path,
        "secretsmanager",
        "rotate-secret",
        "--secret-id",
        secret,
        "--rotation-lambda-arn",
        created["FunctionArn"],
        "--rotation-rules",
        "AutomaticallyAfterDays=1",
    )
    wait_rotated(server, secret, rotation["VersionId"])

    value = aws(server, tmp_path, "secretsmanager", "get-secret-value", "--secret-id", secret)
    assert value["VersionId"] == rotation["VersionId"]
    assert json.loads(value["SecretString"])["password"] != "initial"
    described = aws(server, tmp_path, "secretsmanager", "describe-secret", "--secret-id", secret)
    assert described["RotationEnabled"] is True
    assert described["RotationLambdaARN"] == created["FunctionArn"]
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 1}
    assert described["VersionIdsToStages"][first["VersionId"]] == ["AWSPREVIOUS"]
    rotated_at = datetime.fromtimestamp(described["LastRotatedDate"], UTC)
    assert described["NextRotationDate"] == day_end(rotated_at, 1).timestamp()
    assert log.calls(first["ARN"]) == [(rotation["VersionId"], step) for step in STEPS]


def test_rotate_immediately_false_only_tests_the_function(
    server: ServerProcess, sm: Any, function: str, call_log: CallLog
) -> None:
    arn, first = new_secret(sm, "test-only")
    today = datetime.now(UTC)
    answer = sm.rotate_secret(
        SecretId=arn,
        RotationLambdaARN=function,
        RotationRules={"AutomaticallyAfterDays": 1},
        RotateImmediately=False,
    )
    wait_idle(server, arn)
    assert call_log.calls(arn) == [(answer["VersionId"], "testSecret")]
    assert stages(sm, arn) == {first: ["AWSCURRENT"]}  # no AWSPENDING left
    described = sm.describe_secret(SecretId=arn)
    assert described["RotationEnabled"] is True
    assert "LastRotatedDate" not in described
    assert described["NextRotationDate"] in (day_end(today, 1), day_end(datetime.now(UTC), 1))
