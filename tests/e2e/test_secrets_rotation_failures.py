"""A rotation that fails is safe: AWSCURRENT keeps its version and value, AWSPENDING is
kept for the retry, DescribeSecret's `StrongroomRotationRun` says what failed and when
the next try is, tries back off, and a retry goes on from the same AWSPENDING version.

Each test has a private server leading its scheduler and a GENERIC function steered by
its environment: a step that raises, hangs past the function's Timeout, or ends its
process. Retries are reached by moving the dev clock past `NextAttemptDate`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of
from tests.e2e.rotation_support import (
    DAY,
    STEPS,
    Rig,
    current_value,
    is_running,
    lead,
    new_secret,
    offset_to,
    pid_in,
    rig,
    run_of,
    stages,
    wait_failed,
    wait_for,
    wait_rotated,
)
from tests.e2e.server_log import log_of

StartServer = Callable[..., ServerProcess]
NOT_COMPLETE = "A previous rotation isn't complete. That rotation will be reattempted."
INITIAL = json.dumps({"password": "initial"})


def failing_rig(
    start_server: StartServer, tmp_path: Path, env: dict[str, str], timeout: int = 30
) -> Rig:
    """A private server (its log in `tmp_path`) and a GENERIC function steered by `env`."""
    server = start_server(stderr_path=tmp_path / "server.log")
    return rig(server, tmp_path, env=env, timeout=timeout)


def start_rotation(r: Rig, label: str) -> tuple[str, str, str]:
    """A secret holding INITIAL, rotated now every 7 days: (ARN, first version, token)."""
    arn, first = new_secret(r.sm, label)
    rotation = r.sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=r.function, RotationRules={"AutomaticallyAfterDays": 7}
    )
    return arn, first, rotation["VersionId"]


def assert_current_unchanged(r: Rig, arn: str, first: str, token: str) -> None:
    """AWSCURRENT is still the first version with its value; AWSPENDING is on `token`."""
    assert current_value(r.sm, arn) == (first, INITIAL)
    labels = stages(r.sm, arn)
    assert labels[first] == ["AWSCURRENT"]
    assert labels[token] == ["AWSPENDING"]


def retry_now(r: Rig, run: dict[str, Any]) -> None:
    """Move the clock just past the run's next try (one tick)."""
    lead(r.server, offset_to(run["NextAttemptDate"], 1))


def test_a_failing_step_is_retried_from_the_same_pending_version(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(start_server, tmp_path, env={"FAIL_STEP": "setSecret"})
    arn, first, token = start_rotation(r, "fails")

    run = wait_failed(r.server, arn, 1)
    assert run["VersionId"] == token
    assert run["Failure"].startswith("setSecret: ") and "failed on purpose" in run["Failure"]
    assert run["NextAttemptDate"] == pytest.approx(run["FailedDate"] + 60, abs=0.01)
    assert_current_unchanged(r, arn, first, token)
    pending = r.sm.get_secret_value(SecretId=arn, VersionStage="AWSPENDING")
    assert pending["VersionId"] == token  # createSecret's value, kept for the retry
    error = error_of(r.sm.rotate_secret, SecretId=arn)
    assert (error["Code"], error["Message"]) == ("InvalidRequestException", NOT_COMPLETE)

    lead(r.server, offset_to(run["NextAttemptDate"], -10))  # not yet: nothing tried
    assert run_of(r.server, arn) == run
    retry_now(r, run)
    second = wait_failed(r.server, arn, 2, after=run["FailedDate"])
    assert second["NextAttemptDate"] == pytest.approx(second["FailedDate"] + 120, abs=0.01)
    assert_current_unchanged(r, arn, first, token)

    r.server.client("lambda").update_function_configuration(
        FunctionName=r.function, Environment={"Variables": {"CALL_LOG": str(r.log.path)}}
    )
    retry_now(r, second)
    wait_rotated(r.server, arn, token)
    assert {t for t, _ in r.log.calls(arn)} == {token}
    assert r.log.steps(arn)[-len(STEPS) :] == list(STEPS)
    assert r.log.steps(arn).count("createSecret") == 3  # each try; the value was made once
    assert current_value(r.sm, arn) == (token, pending["SecretString"])
    assert stages(r.sm, arn)[first] == ["AWSPREVIOUS"]
    assert "LastRotatedDate" in r.sm.describe_secret(SecretId=arn)


def test_a_step_past_its_timeout_is_killed_and_retried(
    start_server: StartServer, tmp_path: Path
) -> None:
    marker = tmp_path / "hung"
    env = {"HANG_STEP": "setSecret", "HANG_MARKER": str(marker)}
    r = failing_rig(start_server, tmp_path, env=env, timeout=3)
    arn, first, token = start_rotation(r, "hangs")

    wait_for(marker.exists, "the function to hang in setSecret")
    assert current_value(r.sm, arn) == (first, INITIAL)  # readable while the step hangs
    run = wait_failed(r.server, arn, 1)
    assert run["Failure"].startswith("setSecret: ")
    assert "timed out" in run["Failure"].lower()
    assert not is_running(pid_in(marker))  # the hung process was ended
    assert_current_unchanged(r, arn, first, token)

    retry_now(r, run)  # the marker exists: this time setSecret goes on
    wait_rotated(r.server, arn, token)
    assert json.loads(current_value(r.sm, arn)[1])["password"] != "initial"


def test_a_function_that_exits_fails_the_step_safely(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(start_server, tmp_path, env={"EXIT_STEP": "testSecret"})
    arn, first, token = start_rotation(r, "exits")

    run = wait_failed(r.server, arn, 1)
    assert run["Failure"].startswith("testSecret: ") and "exit" in run["Failure"]
    assert_current_unchanged(r, arn, first, token)
    assert r.log.steps(arn) == ["createSecret", "setSecret", "testSecret"]


def test_finish_secret_raising_before_its_move_leaves_current(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(
        start_server,
        tmp_path,
        env={"FAIL_STEP": "finishSecret"},
    )
    arn, first, token = start_rotation(r, "finish-raises")

    run = wait_failed(r.server, arn, 1)
    assert run["Failure"].startswith("finishSecret: ")
    assert_current_unchanged(r, arn, first, token)


def test_finish_secret_raising_after_its_move_leaves_the_new_current(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(
        start_server,
        tmp_path,
        env={"FAIL_AFTER_STEP": "finishSecret"},
    )
    arn, first, token = start_rotation(r, "finish-raises-late")

    run = wait_failed(r.server, arn, 1)
    assert run["Failure"].startswith("finishSecret: ")
    version, value = current_value(r.sm, arn)  # the new version, whole and readable
    assert version == token and json.loads(value)["password"] != "initial"
    assert stages(r.sm, arn)[first] == ["AWSPREVIOUS"]

    retry_now(r, run)  # each step finds AWSCURRENT on its version: nothing left to do
    wait_rotated(r.server, arn, token)
    assert current_value(r.sm, arn) == (version, value)
    assert "LastRotatedDate" in r.sm.describe_secret(SecretId=arn)


def test_the_log_does_not_say_current_is_unchanged_when_finish_moved_it(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(start_server, tmp_path, env={"FAIL_AFTER_STEP": "finishSecret"})
    arn, _, token = start_rotation(r, "finish-log")
    wait_failed(r.server, arn, 1)
    assert current_value(r.sm, arn)[0] == token  # finishSecret moved it, then raised
    failure = [line for line in log_of(r.server).splitlines() if f"{arn} failed" in line]
    assert len(failure) == 1, failure
    assert "AWSCURRENT is unchanged" not in failure[0], failure[0]


def test_cancel_during_a_failing_rotation_stops_every_try(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = failing_rig(start_server, tmp_path, env={"FAIL_STEP": "setSecret"})
    arn, first, token = start_rotation(r, "cancelled")
    run = wait_failed(r.server, arn, 1)

    cancelled = r.sm.cancel_rotate_secret(SecretId=arn)
    assert cancelled["VersionId"] == token
    described = r.sm.describe_secret(SecretId=arn)
    assert described["RotationEnabled"] is False
    assert "NextRotationDate" not in described
    assert described["RotationLambdaARN"] == r.function  # kept, as AWS keeps it
    assert run_of(r.server, arn) is None
    calls = r.log.calls(arn)

    for offset in (offset_to(run["NextAttemptDate"], 1), 8 * DAY, 30 * DAY):
        lead(r.server, offset)
        assert run_of(r.server, arn) is None
        assert r.log.calls(arn) == calls
    assert_current_unchanged(r, arn, first, token)


def test_a_replicated_secret_stays_in_sync_while_a_rotation_has_no_value_yet(
    start_server: StartServer, tmp_path: Path
) -> None:
    """A rotation that fails in createSecret leaves AWSPENDING on a version without a
    value: the replicas follow it as such, and take its value once it has one."""
    r = failing_rig(start_server, tmp_path, {"FAIL_STEP": "createSecret"})
    arn, first = new_secret(r.sm, "replicated")
    r.sm.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "eu-west-1"}])
    token = r.sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=r.function, RotationRules={"AutomaticallyAfterDays": 7}
    )["VersionId"]
    wait_failed(r.server, arn)
    r.sm.tag_resource(SecretId=arn, Tags=[{"Key": "changed", "Value": "after the failure"}])
    status = r.sm.describe_secret(SecretId=arn)["ReplicationStatus"]
    assert [(s["Region"], s["Status"]) for s in status] == [("eu-west-1", "InSync")]
    replica = r.server.client("secretsmanager", region_name="eu-west-1")
    assert stages(replica, arn.replace("us-east-1", "eu-west-1"))[token] == ["AWSPENDING"]
    r.sm.put_secret_value(
        SecretId=arn, ClientRequestToken=token, SecretString="filled", VersionStages=["AWSPENDING"]
    )
    pending = replica.get_secret_value(
        SecretId=arn.replace("us-east-1", "eu-west-1"), VersionStage="AWSPENDING"
    )
    assert (pending["VersionId"], pending["SecretString"]) == (token, "filled")
    assert current_value(replica, arn.replace("us-east-1", "eu-west-1"))[0] == first
