"""Rotation across restarts and crashes: `kill -9` in the middle of a step, and schedules
that come due while the server is down.

A crash: the function hangs in setSecret (its marker file says so, with its process id),
the server's process group gets SIGKILL, and a new server on the same data directory
takes the rotation over once the dead claim's recheck is due (`RECHECK_SECONDS` = 60
after the claim), from the same AWSPENDING version. AWSCURRENT is read at every point
in between. A hung function's own process (a session of its own) is ended by the test.

The dead process's scheduler lease runs on real time and lapses after three scheduler
intervals, so the crash tests run their servers with a 1 s interval (a 3 s lease): with
the default 60 s, a restarted server waits 3 minutes before it may lead.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ServerProcess
from tests.e2e.rotation_support import (
    DAY,
    STEPS,
    Rig,
    current_value,
    deploy,
    end_process,
    is_running,
    lead,
    new_secret,
    pid_in,
    rig,
    run_of,
    stages,
    wait_failed,
    wait_for,
    wait_idle,
    wait_new_current,
    wait_rotated,
)

StartServer = Callable[..., ServerProcess]
SHORT_LEASE = {"STRONGROOM_SCHEDULER_INTERVAL": "1"}
INITIAL = json.dumps({"password": "initial"})
RECHECK_SECONDS = 60
CONFIGURATION = ("RotationEnabled", "RotationLambdaARN", "RotationRules")


@pytest.fixture
def hung_pids() -> Iterator[list[int]]:
    """Processes of hung functions, ended after the test whatever happened."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        end_process(pid)


def hang_in_set_secret(
    start_server: StartServer, tmp_path: Path, hung_pids: list[int], timeout: int = 30
) -> tuple[Rig, str, str, str, Path]:
    """A rotation whose function hangs in setSecret now: (rig, ARN, first version,
    AWSPENDING version, data directory)."""
    data = tmp_path / "data"
    marker = tmp_path / "hung"
    env = {"HANG_STEP": "setSecret", "HANG_MARKER": str(marker)}
    log = tmp_path / "server-1.log"
    server = start_server(data_dir=data, extra_env=SHORT_LEASE, stderr_path=log)
    r = rig(server, tmp_path, env=env, timeout=timeout)
    arn, first = new_secret(r.sm, "crash")
    token = r.sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=r.function, RotationRules={"AutomaticallyAfterDays": 7}
    )["VersionId"]
    wait_for(marker.exists, "the function to hang in setSecret")
    hung_pids.append(pid_in(marker))
    return r, arn, first, token, data


def test_kill_9_in_a_step_is_taken_over_from_the_pending_version(
    start_server: StartServer, tmp_path: Path, hung_pids: list[int]
) -> None:
    r, arn, first, token, data = hang_in_set_secret(start_server, tmp_path, hung_pids)
    run = run_of(r.server, arn)
    assert run is not None and (run["VersionId"], run["Attempts"]) == (token, 1)
    assert current_value(r.sm, arn) == (first, INITIAL)
    assert r.log.steps(arn) == ["createSecret", "setSecret"]
    pending = r.sm.get_secret_value(SecretId=arn, VersionStage="AWSPENDING")
    assert pending["VersionId"] == token

    r.server.kill()
    log = tmp_path / "server-2.log"
    restarted = start_server(data_dir=data, extra_env=SHORT_LEASE, stderr_path=log)
    sm = restarted.client("secretsmanager")
    lead(restarted)  # once the dead lease lapsed; the dead claim is not due yet: no start
    assert current_value(sm, arn) == (first, INITIAL)
    assert stages(sm, arn)[token] == ["AWSPENDING"]
    assert r.log.steps(arn) == ["createSecret", "setSecret"]

    lead(restarted, RECHECK_SECONDS + 1)  # the claim's recheck: taken over
    wait_rotated(restarted, arn, token)
    assert {t for t, _ in r.log.calls(arn)} == {token}
    steps = r.log.steps(arn)
    assert steps[2:] == list(STEPS)
    assert current_value(sm, arn) == (token, pending["SecretString"])  # not a new password
    assert stages(sm, arn)[first] == ["AWSPREVIOUS"]


def test_a_function_hung_at_a_crash_does_not_outlive_its_timeout(
    start_server: StartServer, tmp_path: Path, hung_pids: list[int]
) -> None:
    timeout = 3
    r, *_ = hang_in_set_secret(start_server, tmp_path, hung_pids, timeout=timeout)
    pid = hung_pids[-1]
    r.server.kill()
    # Its supervisor died with the server; the function must still end by its deadline
    # (with the grace the server itself gives), not run on with what it holds.
    wait_for(
        lambda: not is_running(pid),
        f"the hung function's process {pid} to end after its {timeout}s timeout",
        seconds=timeout + 5,
    )


def rotate_later(r: Rig, label: str, rules: dict[str, Any]) -> tuple[str, str]:
    """A secret with `rules` set by RotateImmediately false (its test run done)."""
    arn, first = new_secret(r.sm, label)
    r.sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=r.function, RotationRules=rules, RotateImmediately=False
    )
    wait_idle(r.server, arn)
    return arn, first


def test_schedules_survive_a_restart_and_fire_at_its_first_tick(
    start_server: StartServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    r = rig(start_server(data_dir=data, stderr_path=tmp_path / "server-1.log"), tmp_path)
    daily, first = rotate_later(r, "daily", {"AutomaticallyAfterDays": 1})
    later, _ = rotate_later(r, "later", {"ScheduleExpression": "rate(10 days)", "Duration": "3h"})
    failing_function = deploy(r.server, env={"CALL_LOG": str(r.log.path), "FAIL_STEP": "setSecret"})
    failing, _ = new_secret(r.sm, "failing")
    token = r.sm.rotate_secret(SecretId=failing, RotationLambdaARN=failing_function)["VersionId"]
    failed = wait_failed(r.server, failing, 1)
    before = {arn: r.sm.describe_secret(SecretId=arn) for arn in (daily, later, failing)}
    r.server.stop()

    # Two days later the daily one is overdue and the failed one's retry due: the first
    # tick after the start runs both, with no call to move the clock.
    offset = {"STRONGROOM_DEV_CLOCK_OFFSET": str(2 * DAY)}
    restarted = start_server(data_dir=data, extra_env=offset, stderr_path=tmp_path / "server-2.log")
    version = wait_new_current(restarted, daily, first)
    retried = wait_failed(restarted, failing, 2, after=failed["FailedDate"])
    sm = restarted.client("secretsmanager")
    after = {arn: sm.describe_secret(SecretId=arn) for arn in (daily, later, failing)}
    for arn in (daily, later, failing):
        assert {k: after[arn].get(k) for k in CONFIGURATION} == {
            k: before[arn].get(k) for k in CONFIGURATION
        }
    assert after[later]["NextRotationDate"] == before[later]["NextRotationDate"]
    assert after[daily]["NextRotationDate"] > before[daily]["NextRotationDate"]
    assert r.log.steps(daily) == ["testSecret", *STEPS]
    assert {t for t, _ in r.log.calls(daily)[1:]} == {version}
    assert r.log.steps(later) == ["testSecret"]
    assert retried["VersionId"] == token
    assert {t for t, _ in r.log.calls(failing)} == {token}
    assert r.log.steps(failing) == ["createSecret", "setSecret"] * 2
