"""The life of one rotation in the secret's record: started, claimed, finished or failed.

A rotation is a `RotationRun` on the secret: its token (the AWSPENDING version, made
empty when the run starts, as AWS makes it before calling the function) and its tries.
Every transition is one transaction on the secret's record, and the secret stays filed in
the rotation due index under the time its next action is due, so the scheduler reads only
what is due. Only the scheduler's leader claims (so with several workers each rotation
runs once):
- due: `claim_due` claims it for this process's engine and hands back a `RotationTask`;
  while the engine runs it, it is filed `RECHECK_SECONDS` ahead and looked at again then.
  A claim by another engine is taken over once that engine's process is gone (a crash,
  `kill -9`: see `strongroom.process_identity`), or, for one this process cannot see,
  `TAKEOVER_SECONDS` after the claim (longer than any run can last): the rotation starts
  again from its AWSPENDING version, which AWS's rotation steps allow (each step is
  idempotent for its token). An outcome counts only from the engine holding the claim;
- finished: the run goes, `LastRotatedDate` is now, and the secret is filed under its
  next scheduled rotation (or taken out, without a schedule);
- failed: the run stays with its AWSPENDING version, says why, and is filed under its
  next try (backing off), so AWSCURRENT is never touched by a failure.
A run cancelled (CancelRotateSecret) or replaced while a worker ran it is left alone by
that worker's outcome: the outcome names its token.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from strongroom.process_identity import is_gone
from strongroom.services.secretsmanager import labels
from strongroom.services.secretsmanager.records import (
    AWSCURRENT,
    AWSPENDING,
    RotationRun,
    SecretRecord,
)
from strongroom.services.secretsmanager.rotation_schedule import RotationRules, next_window
from strongroom.services.secretsmanager.service import SecretsManager

log = logging.getLogger("strongroom.rotation")

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
FIRST_RETRY_SECONDS = 60.0
MAX_RETRY_SECONDS = 3600.0
RECHECK_SECONDS = 60.0
TAKEOVER_SECONDS = 4 * 900.0 + 60.0
"""Four steps at Lambda's longest timeout, and a margin."""


@dataclass(frozen=True, slots=True)
class RotationTask:
    """One claimed rotation, as a worker runs it."""

    account: str
    region: str
    name: str
    arn: str
    token: str
    function_arn: str
    test_only: bool
    engine: str
    """The engine that claimed it: only its outcome is recorded."""

    @property
    def steps(self) -> tuple[str, ...]:
        """The steps to invoke, in order."""
        return ("testSecret",) if self.test_only else STEPS

    def event(self, step: str) -> dict[str, str]:
        """AWS's rotation event for `step`."""
        return {
            "SecretId": self.arn,
            "ClientRequestToken": self.token,
            "RotationToken": self.token,
            "Step": step,
        }


def retry_delay(attempts: int) -> float:
    """How long after its `attempts`-th failed try a rotation is tried again."""
    return min(FIRST_RETRY_SECONDS * float(2 ** min(max(attempts - 1, 0), 16)), MAX_RETRY_SECONDS)


def new_token(sm: SecretsManager) -> str:
    """A version id in UUID form, from the service's random source."""
    return str(uuid.UUID(bytes=sm.random(16), version=4))


def start_run(sm: SecretsManager, record: SecretRecord, token: str, *, test_only: bool) -> None:
    """Begin a rotation now with version `token` (empty, AWSPENDING); the caller saves."""
    now = round(sm.clock.now(), 3)
    if token not in record.versions:
        labels.add_pending(record, token, now)
    record.rotation_run = RotationRun(token, test_only, next_attempt=now)
    sm.repository.file_rotation(record, now)


def schedule_next(sm: SecretsManager, record: SecretRecord) -> None:
    """Set NextRotationDate (the last second of the next window) from the schedule and
    file the secret under the window's opening, when it rotates (no schedule, or rotation
    off: not filed); the caller saves."""
    opens = None
    if not record.rotation_enabled or record.rotation_rules is None:
        record.next_rotation = None
    else:
        rules = RotationRules.from_json(record.rotation_rules)
        since = record.rotation_configured or record.created
        opens, closes = next_window(rules, record.last_rotated, since, sm.clock.now())
        record.next_rotation = round(closes - 1.0, 3)
    if record.rotation_run is None:
        sm.repository.file_rotation(record, opens)


def refile(sm: SecretsManager, record: SecretRecord) -> None:
    """File a secret whose rotation was set aside (it was scheduled for deletion and is
    restored): a run left is due now, else the schedule's next time."""
    if record.rotation_run is not None and record.rotation_enabled:
        sm.repository.file_rotation(record, sm.clock.now())
    else:
        schedule_next(sm, record)


def claim_due(sm: SecretsManager, engine: str, busy: set[str]) -> list[RotationTask]:
    """Claim for `engine` every rotation that is due and that it is not running now
    (`busy`: the tokens of the runs it runs); each claim is one transaction."""
    now = sm.clock.now()
    tasks = []
    for account, region, name in list(sm.repository.rotations_due(now)):
        try:
            with sm.repository.transaction():
                record = sm.repository.load(account, region, name)
                if record is None:
                    continue
                task = _claim(sm, record, now, engine, busy)
                sm.repository.save(record)
        except BaseException:
            sm.forget_caches()
            raise
        if task is not None:
            tasks.append(task)
    return tasks


def _claim(
    sm: SecretsManager, record: SecretRecord, now: float, engine: str, busy: set[str]
) -> RotationTask | None:
    run = record.rotation_run
    if run is not None and run.claimed_by is not None and not _may_take(run, engine, busy, now):
        sm.repository.file_rotation(record, now + RECHECK_SECONDS)  # still running
        return None
    if not record.rotation_enabled or record.is_deleted or record.rotation_lambda_arn is None:
        record.rotation_run = None
        sm.repository.file_rotation(record, None)  # RestoreSecret and RotateSecret refile
        return None
    if run is None:  # the schedule's time: a new rotation, or the one a failure left
        token = labels.pending_elsewhere(record) or new_token(sm)
        start_run(sm, record, token, test_only=False)
        run = record.rotation_run
        assert run is not None
    elif run.claimed_by is not None and run.claimed_by != engine:
        log.warning("taking over the rotation of %s (version %s)", record.arn, run.token)
    run.attempts += 1
    run.claimed_by = engine
    run.claimed_at = round(now, 3)
    sm.repository.file_rotation(record, now + RECHECK_SECONDS)
    return RotationTask(
        record.account,
        record.region,
        record.name,
        record.arn,
        run.token,
        record.rotation_lambda_arn,
        run.test_only,
        engine,
    )


def _may_take(run: RotationRun, engine: str, busy: set[str], now: float) -> bool:
    """Whether `engine` may (re)start a run someone claimed: its own that it no longer
    runs, or another engine's whose process is gone or whose claim is too old."""
    holder = run.claimed_by
    if holder == engine:
        return run.token not in busy
    if holder is not None and is_gone(holder):
        return True
    return run.claimed_at is None or now - run.claimed_at > TAKEOVER_SECONDS


def record_outcome(sm: SecretsManager, task: RotationTask, failure: str | None) -> None:
    """Write what a worker's run of `task` came to (None: every step succeeded)."""
    try:
        with sm.repository.transaction():
            record = sm.repository.load(task.account, task.region, task.name)
            run = None if record is None else record.rotation_run
            if record is None or run is None or run.token != task.token:
                return  # cancelled or replaced meanwhile: nothing of ours to record
            if run.claimed_by != task.engine:
                return  # taken over meanwhile: the engine holding it records
            if failure is None and not task.test_only and record.holder(AWSCURRENT) != task.token:
                failure = (
                    f"finishSecret: the function finished without moving {AWSCURRENT} to "
                    f"version {task.token}"
                )
            if failure is None or task.test_only:
                _finish(sm, record, task, failure)
            else:
                _fail(sm, record, run, failure)
            sm.repository.save(record)
    except BaseException:
        sm.forget_caches()
        raise


def _finish(
    sm: SecretsManager, record: SecretRecord, task: RotationTask, failure: str | None
) -> None:
    now = round(sm.clock.now(), 3)
    record.rotation_run = None
    if task.test_only:  # the test's AWSPENDING version goes, as AWS removes it
        info = record.versions.get(task.token)
        if info is not None and AWSPENDING in info.labels:
            info.labels.remove(AWSPENDING)
        if info is not None and not info.labels and sm.repository.value(record, task.token) is None:
            del record.versions[task.token]
        if failure is not None:
            log.warning("rotation test of %s failed: %s", record.arn, failure)
    else:
        record.last_rotated = now
        log.info("rotated %s to version %s", record.arn, task.token)
    schedule_next(sm, record)


def _fail(sm: SecretsManager, record: SecretRecord, run: RotationRun, failure: str) -> None:
    now = round(sm.clock.now(), 3)
    run.failure = failure
    run.failed_at = now
    run.claimed_by = None
    run.next_attempt = round(now + retry_delay(run.attempts), 3)
    sm.repository.file_rotation(record, run.next_attempt)
    current = "is unchanged" if record.holder(AWSCURRENT) != run.token else "moved already"
    log.warning(
        "rotation of %s failed (try %d): %s; AWSCURRENT %s, version %s is kept for the "
        "retry, next try at %.0f",
        record.arn,
        run.attempts,
        failure,
        current,
        run.token,
        run.next_attempt,
    )


def run_status(record: SecretRecord) -> dict[str, object] | None:
    """Strongroom's own DescribeSecret field on a rotation under way or failing (AWS has
    no field for it; SDKs ignore it, the raw answer and `strongroom` tools show it)."""
    run = record.rotation_run
    if run is None:
        return None
    status: dict[str, object] = {"VersionId": run.token, "Attempts": run.attempts}
    if run.failure is not None:
        status.update(Failure=run.failure, FailedDate=run.failed_at)
        status["NextAttemptDate"] = run.next_attempt
    return status
