"""Invoke and `invoke_function`: what the process runner is handed (package, handler,
limits, the environment Lambda's Python runtime sets, per-invocation credentials that are
revoked whatever happens), payload checks, invocation types, LogResult, concurrency, and
the resource policy an AWS service principal needs."""

from __future__ import annotations

import base64
import re

import pytest
from tests.unit.services.awslambda.world import (
    ACCOUNT,
    ENDPOINT,
    HANDLER_ZIP,
    REGION,
    ROLE,
    World,
    caller,
    new_world,
)

from strongroom.errors import AccessDeniedException, TooManyRequestsException
from strongroom.functions import InvocationResult
from strongroom.functions.limits import INIT_SECONDS
from strongroom.identity import Principal
from strongroom.services.awslambda import invoke_function
from strongroom.services.awslambda.credentials import MARGIN_SECONDS
from strongroom.services.awslambda.errors import (
    InvalidRequestContentException,
    RequestTooLargeException,
)
from strongroom.services.awslambda.invocation import TAIL_BYTES

ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:rotator"
BUILTIN = "strongroom-postgresql-alternating-users"
SECRETS_MANAGER = caller(principal=Principal.of_service(ACCOUNT, "secretsmanager.amazonaws.com"))


@pytest.fixture
def world() -> World:
    w = new_world()
    w.create(Environment={"Variables": {"STAGE": "test", "TZ": "Europe/Paris"}}, Timeout=20)
    return w


def test_request_response_runs_the_package_with_lambdas_environment(world: World) -> None:
    answer = world.call("Invoke", FunctionName="rotator", Payload=b'{"Step": "createSecret"}')
    assert answer == {"StatusCode": 200, "Payload": b'{"ok": true}', "ExecutedVersion": "$LATEST"}
    (invocation,) = world.runner.invocations
    assert invocation.code == HANDLER_ZIP
    assert invocation.handler == "lambda_function.lambda_handler"
    assert invocation.event == b'{"Step": "createSecret"}'
    assert (invocation.function_name, invocation.function_arn) == ("rotator", ARN)
    assert (invocation.function_version, invocation.memory_mb) == ("$LATEST", 128)
    assert invocation.timeout_seconds == 20.0
    env = invocation.environment
    assert env["STAGE"] == "test" and env["TZ"] == "Europe/Paris"
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == REGION
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == "rotator"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "128"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == "/aws/lambda/rotator"
    assert re.fullmatch(
        r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", env["AWS_LAMBDA_LOG_STREAM_NAME"]
    )
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["AWS_ENDPOINT_URL"] == env["SECRETS_MANAGER_ENDPOINT"] == ENDPOINT
    assert env["AWS_CA_BUNDLE"] == "/etc/strongroom/ca.pem"
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_SESSION_TOKEN"]) == (
        "ASIATEST000000000001",
        "secret-1",
        "token-1",
    )
    assert world.issuer.issued == [(ACCOUNT, ARN, ROLE, INIT_SECONDS + 20 + MARGIN_SECONDS)]
    assert world.issuer.revoked == ["ASIATEST000000000001"]


def test_strongroom_endpoints_win_over_the_functions_own(world: World) -> None:
    world.call(
        "UpdateFunctionConfiguration",
        FunctionName="rotator",
        Environment={"Variables": {"SECRETS_MANAGER_ENDPOINT": "https://secretsmanager.aws"}},
    )
    world.call("Invoke", FunctionName="rotator")
    assert world.runner.invocations[0].environment["SECRETS_MANAGER_ENDPOINT"] == ENDPOINT


def test_an_empty_payload_is_an_empty_object(world: World) -> None:
    world.call("Invoke", FunctionName="rotator")
    assert world.runner.invocations[0].event == b"{}"


@pytest.mark.parametrize("payload", [b"{not json", b'{"a": NaN}', b"\xff\xfe", b"[" * 100_000])
def test_a_payload_that_is_not_json_is_refused_without_running(
    world: World, payload: bytes
) -> None:
    with pytest.raises(InvalidRequestContentException) as info:
        world.call("Invoke", FunctionName="rotator", Payload=payload)
    assert info.value.message.startswith(
        "Could not parse request body into json: Could not parse payload into json: "
    )
    assert world.runner.invocations == [] and world.issuer.issued == []


def test_payload_limits(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from strongroom.services.awslambda import invocation

    monkeypatch.setattr(invocation, "EVENT_LIMIT", 10)
    with pytest.raises(RequestTooLargeException):
        world.call(
            "Invoke", FunctionName="rotator", InvocationType="Event", Payload=b'{"a": 12345}'
        )
    world.call("Invoke", FunctionName="rotator", Payload=b'{"a": 12345}')


def test_a_function_error_is_its_result(world: World) -> None:
    world.runner.answer = InvocationResult(
        b'{"errorMessage": "boom", "errorType": "Exception"}', "Unhandled", 3.0, "log\n"
    )
    answer = world.call("Invoke", FunctionName="rotator", LogType="Tail")
    assert answer["StatusCode"] == 200
    assert answer["FunctionError"] == "Unhandled"
    assert answer["Payload"] == b'{"errorMessage": "boom", "errorType": "Exception"}'
    assert base64.b64decode(answer["LogResult"]) == b"log\n"


def test_log_result_is_the_last_4_kb(world: World) -> None:
    world.runner.answer = InvocationResult(b"null", None, 1.0, "a" * 5000 + "end\n")
    tail = base64.b64decode(
        world.call("Invoke", FunctionName="rotator", LogType="Tail")["LogResult"]
    )
    assert len(tail) == TAIL_BYTES and tail.endswith(b"end\n")
    assert "LogResult" not in world.call("Invoke", FunctionName="rotator")


def test_credentials_are_revoked_when_the_runner_fails(world: World) -> None:
    world.runner.raises = RuntimeError("runner broke")
    with pytest.raises(RuntimeError):
        world.call("Invoke", FunctionName="rotator")
    assert world.issuer.revoked == ["ASIATEST000000000001"]


def test_event_runs_in_the_background_and_answers_202(world: World) -> None:
    answer = world.call("Invoke", FunctionName="rotator", InvocationType="Event", Payload=b"{}")
    assert answer == {"StatusCode": 202, "Payload": b""}
    assert len(world.runner.invocations) == 1  # the inline executor ran it already
    world.runner.raises = RuntimeError("runner broke")  # logged, never raised to the caller
    assert world.call("Invoke", FunctionName="rotator", InvocationType="Event")["StatusCode"] == 202
    assert world.issuer.revoked == ["ASIATEST000000000001", "ASIATEST000000000002"]


def test_dry_run_checks_and_runs_nothing(world: World) -> None:
    answer = world.call("Invoke", FunctionName="rotator", InvocationType="DryRun")
    assert answer == {"StatusCode": 204, "Payload": b""}
    assert world.runner.invocations == []
    with pytest.raises(InvalidRequestContentException):
        world.call("Invoke", FunctionName="rotator", InvocationType="DryRun", Payload=b"{")


def test_builtins_run_their_handler_without_a_package(world: World) -> None:
    world.call("Invoke", FunctionName=BUILTIN, Payload=b'{"Step": "testSecret"}')
    (invocation,) = world.runner.invocations
    assert invocation.code is None
    assert invocation.handler == (
        "strongroom.rotation.builtin.postgresql_alternating_users.lambda_handler"
    )
    assert (invocation.memory_mb, invocation.timeout_seconds) == (256, 30.0)
    assert world.issuer.issued[0][2] == (f"arn:aws:iam::{ACCOUNT}:role/strongroom-builtin-rotation")


def test_invoke_function_is_the_same_path(world: World) -> None:
    result = invoke_function(world.lam, caller(), ARN, b'{"x": 1}')
    assert result == world.runner.answer
    with pytest.raises(InvalidRequestContentException):
        invoke_function(world.lam, caller(), ARN, b"nope")


def test_a_service_principal_needs_the_functions_permission(world: World) -> None:
    with pytest.raises(AccessDeniedException) as info:
        world.call("Invoke", SECRETS_MANAGER, FunctionName=ARN)
    assert "secretsmanager.amazonaws.com is not authorized" in info.value.message
    assert world.runner.invocations == []
    world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="other-account",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
        SourceAccount="999988887777",
    )
    with pytest.raises(AccessDeniedException):
        world.call("Invoke", SECRETS_MANAGER, FunctionName=ARN)
    world.call(
        "AddPermission",
        FunctionName="rotator",
        StatementId="sm",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    assert world.call("Invoke", SECRETS_MANAGER, FunctionName=ARN)["StatusCode"] == 200
    # Built-in functions need no permission.
    assert world.call("Invoke", SECRETS_MANAGER, FunctionName=BUILTIN)["StatusCode"] == 200


def test_synchronous_invocations_are_bounded(world: World) -> None:
    world.lam.slots.acquire()
    world.lam.slots.acquire()  # the world allows two at once: both taken
    with pytest.raises(TooManyRequestsException):
        world.call("Invoke", FunctionName="rotator")
    world.lam.slots.release()
    world.lam.slots.release()
    world.call("Invoke", FunctionName="rotator")
