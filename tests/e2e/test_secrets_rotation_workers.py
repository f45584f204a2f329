"""Two worker processes rotate each due secret exactly once.

`--workers 2`: both processes serve requests (the functions' calls back land on either),
only the scheduler's leader claims rotations. The dev clock call reaches one process at a
time; `lead` repeats it until the leader has run its tick. Six secrets are configured
with RotateImmediately false; their test runs are claimed by the leader's ticks (a
RotateSecret served by the other process does not wake it). Then the clock moves two days
on and one tick starts all six: the call log shows each secret's createSecret and
finishSecret exactly once, all for the version that became AWSCURRENT.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.e2e.harness import ServerProcess
from tests.e2e.rotation_support import (
    DAY,
    STEPS,
    lead,
    new_secret,
    rig,
    run_of,
    stages,
    wait_for,
    wait_new_current,
)

StartServer = Callable[..., ServerProcess]
SECRETS = 6


def test_two_workers_rotate_each_due_secret_once(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server(extra_args=["--workers", "2"], stderr_path=tmp_path / "server.log")
    r = rig(server, tmp_path)
    secrets = []
    for number in range(SECRETS):
        arn, first = new_secret(r.server.client("secretsmanager"), f"worker-{number}")
        r.server.client("secretsmanager").rotate_secret(
            SecretId=arn,
            RotationLambdaARN=r.function,
            RotationRules={"AutomaticallyAfterDays": 1},
            RotateImmediately=False,
        )
        secrets.append((arn, first))
    wait_for(
        lambda: all(run_of(r.server, arn) is None for arn, _ in secrets),
        "every secret's test run to finish",
        nudge=lambda: lead(r.server),
    )
    for arn, first in secrets:
        assert r.log.steps(arn) == ["testSecret"]
        assert stages(r.sm, arn) == {first: ["AWSCURRENT"]}

    lead(r.server, 2 * DAY)
    rotated = {arn: wait_new_current(r.server, arn, first) for arn, first in secrets}

    for arn, first in secrets:
        counts = Counter(r.log.calls(arn)[1:])
        version = rotated[arn]
        assert counts == Counter({(version, step): 1 for step in STEPS}), r.log.calls(arn)
        assert stages(r.sm, arn)[first] == ["AWSPREVIOUS"]
