"""Rotation schedules firing under the dev test clock, never by sleeping for days.

Each test has a private server (it moves the clock) leading its scheduler, and a GENERIC
function logging its calls. A schedule is set with RotateImmediately false (so only the
function's testSecret step runs then); the clock is then moved to a minute before the
window opens, where the tick must start nothing (no run claimed: the tick claims before
it answers, and the call log is unchanged), and to a minute into it, where the tick
starts the rotation. Times are computed from the real time, so the tests hold at any
hour of the day.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.e2e.harness import ServerProcess
from tests.e2e.rotation_support import (
    DAY,
    HOUR,
    STEPS,
    Rig,
    day_end,
    holder,
    lead,
    new_secret,
    offset_to,
    rig,
    run_of,
    stages,
    wait_idle,
    wait_new_current,
)

StartServer = Callable[..., ServerProcess]


def configure(r: Rig, label: str, rules: dict[str, Any]) -> tuple[str, str]:
    """A secret with `rules` set by RotateImmediately false, its test run done and checked:
    (ARN, its only version)."""
    arn, first = new_secret(r.sm, label)
    test = r.sm.rotate_secret(
        SecretId=arn, RotationLambdaARN=r.function, RotationRules=rules, RotateImmediately=False
    )
    wait_idle(r.server, arn)
    assert r.log.calls(arn) == [(test["VersionId"], "testSecret")]
    assert stages(r.sm, arn) == {first: ["AWSCURRENT"]}  # the test's AWSPENDING is gone
    return arn, first


def assert_quiet_at(r: Rig, arn: str, offset: float) -> None:
    """A tick at `offset` starts no rotation of `arn`."""
    calls = r.log.calls(arn)
    labels = stages(r.sm, arn)
    lead(r.server, offset)
    assert run_of(r.server, arn) is None  # a due rotation is claimed before the tick ends
    assert r.log.calls(arn) == calls
    assert stages(r.sm, arn) == labels


def rotate_at(r: Rig, arn: str, offset: float) -> tuple[str, float]:
    """A tick at `offset` starts a rotation of `arn`; wait for it: (new AWSCURRENT, the
    service time of the tick)."""
    old = holder(r.sm, arn, "AWSCURRENT")
    assert old is not None
    calls = len(r.log.calls(arn))
    tick = lead(r.server, offset)
    claimed = run_of(r.server, arn)
    assert claimed is not None or holder(r.sm, arn, "AWSCURRENT") != old, "the tick started nothing"
    version = wait_new_current(r.server, arn, old)
    assert r.log.calls(arn)[calls:] == [(version, step) for step in STEPS]
    assert stages(r.sm, arn)[old] == ["AWSPREVIOUS"]
    return version, float(tick["now"])


def test_days_rotate_when_due_and_not_before(start_server: StartServer, tmp_path: Path) -> None:
    r = rig(start_server(stderr_path=tmp_path / "server.log"), tmp_path)
    today = datetime.now(UTC)
    arn, first = configure(r, "days", {"AutomaticallyAfterDays": 1})
    next_date = r.sm.describe_secret(SecretId=arn)["NextRotationDate"]
    assert next_date in (day_end(today, 1), day_end(datetime.now(UTC), 1))
    opens = next_date.timestamp() + 1 - DAY  # midnight UTC tomorrow

    assert_quiet_at(r, arn, offset_to(opens, -60))
    version, ticked = rotate_at(r, arn, 2 * DAY)

    described = r.sm.describe_secret(SecretId=arn)
    rotated_at = described["LastRotatedDate"]
    assert ticked - 1 <= rotated_at.timestamp() <= ticked + 60
    assert described["NextRotationDate"] == day_end(rotated_at, 1)
    assert r.sm.get_secret_value(SecretId=arn)["VersionId"] == version
    assert first != version


def test_rate_in_hours_rotates_every_window(start_server: StartServer, tmp_path: Path) -> None:
    r = rig(start_server(stderr_path=tmp_path / "server.log"), tmp_path)
    began = time.time()
    arn, _ = configure(r, "rate", {"ScheduleExpression": "rate(4 hours)"})
    ended = time.time()
    described = r.sm.describe_secret(SecretId=arn)
    assert described["RotationRules"]["ScheduleExpression"] == "rate(4 hours)"
    next_date = described["NextRotationDate"].timestamp()
    opens = next_date + 1 - HOUR  # a window in hours lasts one hour, opening on the hour
    assert opens % HOUR == 0
    assert began < opens <= math.floor(ended / HOUR) * HOUR + 4 * HOUR

    assert_quiet_at(r, arn, offset_to(opens, -60))
    rotate_at(r, arn, offset_to(opens, 60))
    next_date = r.sm.describe_secret(SecretId=arn)["NextRotationDate"].timestamp()
    assert next_date == opens + 5 * HOUR - 1  # the next window, 4 hours on

    assert_quiet_at(r, arn, offset_to(opens + 4 * HOUR, -60))
    rotate_at(r, arn, offset_to(opens + 4 * HOUR, 60))


def test_cron_with_a_window_rotates_in_its_window(
    start_server: StartServer, tmp_path: Path
) -> None:
    r = rig(start_server(stderr_path=tmp_path / "server.log"), tmp_path)
    rules = {"ScheduleExpression": "cron(0 10 * * ? *)", "Duration": "2h"}
    arn, _ = configure(r, "cron", rules)
    described = r.sm.describe_secret(SecretId=arn)
    assert {k: described["RotationRules"][k] for k in rules} == rules
    next_date = described["NextRotationDate"]
    assert (next_date.hour, next_date.minute, next_date.second) == (11, 59, 59)
    assert 0 < next_date.timestamp() - time.time() <= DAY + 2 * HOUR
    opens = next_date.timestamp() + 1 - 2 * HOUR  # 10:00 UTC

    assert_quiet_at(r, arn, offset_to(opens, -60))
    rotate_at(r, arn, offset_to(opens, 60))
    assert r.sm.describe_secret(SecretId=arn)["NextRotationDate"].timestamp() == (
        next_date.timestamp() + DAY
    )
    assert_quiet_at(r, arn, offset_to(opens + DAY, -60))
