"""The scheduler's tick with 10 secrets and with 100,000, 10 of them due: does it cost the same?

Usage: `python bench/rotation_tick.py [--sizes 10,100000] [--samples 9] [--json PATH]`.

Goal (issue 10, "Numbers"): one scheduler tick (`Scheduler.run_once`, every job: the
lease, KMS maintenance, deletion windows, rotation claims, parameter policies, ...) with
100,000 secrets of which 10 are due to rotate takes at most 2x the tick with 10 secrets,
all 10 due.

Method: one worker process per size (this script with `--worker`), each a Strongroom app
built in-process (`strongroom.app.build` over a fresh SQLite file in a fresh directory,
`dev_bootstrap`), all running at once; nothing is reused between runs.
- Population, through Secrets Manager's and Lambda's operation functions (the services'
  API below HTTP, each call its own transaction, as a client's would be): the function's
  execution role is made (IAM CreateRole, trusting lambda.amazonaws.com, and PutRolePolicy:
  what AWS's rotation template needs, KMS only through Secrets Manager), then a rotation
  function is deployed (CreateFunction + AddPermission for secretsmanager.amazonaws.com);
  `size` secrets are made (CreateSecret); each gets rotation (RotateSecret,
  RotateImmediately false): 10 of them, spread evenly through the names, every day
  (AutomaticallyAfterDays 1), every other one every 30 days. RotateSecret without
  rotating immediately starts a testSecret-only run for each secret, so the function is
  deleted before the first tick: that tick (the "settle" tick) claims every test run and
  each fails at once at Invoke (no such function) without starting a process, leaving
  every secret filed under its schedule. The function is then deployed again under the
  same name, and the app serves HTTP on loopback (uvicorn in a thread, no lifespan, so no
  scheduler loop: only this script ticks) for the function processes to call back.
- Samples: sample k moves the service clock (`app.clock.offset_seconds`) to k+1 days
  ahead, so exactly the 10 daily secrets are due (the 30-day ones are not due before day
  29), and times `app.scheduler.run_once()` (wall and the calling thread's CPU). The tick
  claims the 10 rotations and hands them to the rotation engine's pool; their function
  runs are not part of the tick, but they start on the pool's threads at once, beside the
  tick's last jobs, as in a server. Each sample checks that the tick ran, that the
  rotation job claimed exactly 10, then waits (untimed) until all 10 rotations have
  finished for real: the function (AWS's four steps for a generic secret, boto3 against
  the app) made a new version and moved AWSCURRENT to it, LastRotatedDate is the sample's
  time and no run is left; a rotation that fails stops the benchmark. So each sample
  claims 10 rotations that are due because their schedule came round after a successful
  rotation, the steady state of a rotating secret. Sample 1 is a warm-up, reported apart.
- Rounds interleave the workers (one sample each, the order alternating), so the ratio
  compares ticks taken minutes apart on the same machine.
- Also counted, on the ticking thread only: storage calls (gets, scans and the rows they
  yielded, puts, deletes, commits), through a counting wrapper around the SQLite store;
  and the time of each job of the tick (the scheduler's job list wrapped in timers; the
  rest of a tick is the leader lease's transaction).
Shown: median, p90 and max tick time of the samples, median CPU, storage calls per tick,
each job's median, and the ratio of each median to the smallest size's. Others' load:
the CPU the rest of the machine used while the samples ran (neither this script nor its
workers nor their function processes), in cores. Every worker is stopped on any exit.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import gc
import importlib.util
import io
import json
import logging
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

import kms_load
from kms_load import BenchError, say

DAY = 86_400.0
DUE = 10
GOAL = 2.0
MAX_DAY = 28  # the 30-day secrets open their window on day 30 (less the time of day)
FUNCTION = "bench-rotation"
ROLE = "arn:aws:iam::123456789012:role/bench-rotation"
SERVICE_PRINCIPAL = "secretsmanager.amazonaws.com"
# Lambda's trust, as tests/e2e/function_roles.py writes it (a bench does not import tests)
ROLE_TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
ROTATION_WAIT = 300.0  # seconds for a sample's 10 rotations to finish
PROGRESS_EVERY = 10_000
JOB_LABELS = {
    "Barrier.refresh_data_version": "data version",
    "kms": "KMS maintenance",
    "secretsmanager": "secret deletions",
    "RotationEngine.tick": "rotation claims",
    "ssm": "parameter policies",
    "SessionStore.purge_expired": "expired sessions",
    "TermRotation.resume": "key-term rotation",
    "Barrier.settle_scrub": "owed scrub",
}

ROTATOR = '''
import os

import boto3


def lambda_handler(event, context):
    """AWS's rotation template for a generic secret: nothing to set or test elsewhere."""
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    client = boto3.client("secretsmanager", endpoint_url=os.environ["SECRETS_MANAGER_ENDPOINT"])
    versions = client.describe_secret(SecretId=arn)["VersionIdsToStages"]
    if "AWSCURRENT" in versions.get(token, []):
        return
    if step == "createSecret":
        try:
            client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
        except client.exceptions.ResourceNotFoundException:
            password = client.get_random_password(ExcludeCharacters="/@\\"'\\\\")
            client.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=password["RandomPassword"],
                VersionStages=["AWSPENDING"],
            )
    elif step == "finishSecret":
        current = next(v for v, stages in versions.items() if "AWSCURRENT" in stages)
        client.update_secret_version_stage(
            SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token,
            RemoveFromVersionId=current,
        )
'''


# ------------------------------------------------------------------ worker: counting storage


class CountingStorage:
    """A Storage that passes every call to `inner` and counts those the watched thread
    makes (the ticking thread: the pool's and the HTTP server's calls are not counted)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._watched: int | None = None
        self.counts: Counter[str] = Counter()

    def watch(self) -> None:
        """Count this thread's calls from now on, from zero."""
        self.counts = Counter()
        self._watched = threading.get_ident()

    def unwatch(self) -> dict[str, int]:
        """Stop counting; the counts."""
        self._watched = None
        return dict(self.counts)

    def _note(self, what: str, n: int = 1) -> None:
        if self._watched == threading.get_ident():
            self.counts[what] += n

    def _rows(self, rows: Iterator[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
        for row in rows:
            self._note("rows")
            yield row

    def get(self, path: str) -> bytes | None:
        self._note("gets")
        return self._inner.get(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        self._note("scans")
        return self._rows(self._inner.scan(prefix, start_after=start_after, limit=limit))

    def put(self, path: str, value: bytes) -> None:
        self._note("puts")
        self._note("commits")
        self._inner.put(path, value)

    def delete(self, path: str) -> None:
        self._note("deletes")
        self._note("commits")
        self._inner.delete(path)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[CountingTransaction]:
        with self._inner.transaction() as txn:
            yield CountingTransaction(self, txn)
        self._note("commits")

    def data_version(self) -> int:
        self._note("data_versions")
        return self._inner.data_version()

    def scrub(self) -> None:
        self._note("scrubs")
        self._inner.scrub()

    def close(self) -> None:
        self._inner.close()


class CountingTransaction:
    """A transaction of `CountingStorage`: its calls counted like the store's."""

    def __init__(self, store: CountingStorage, inner: Any) -> None:
        self._store = store
        self._inner = inner

    def get(self, path: str) -> bytes | None:
        self._store._note("gets")
        return self._inner.get(path)

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        self._store._note("scans")
        rows = self._inner.scan(prefix, start_after=start_after, limit=limit)
        return self._store._rows(rows)

    def put(self, path: str, value: bytes) -> None:
        self._store._note("puts")
        self._inner.put(path, value)

    def delete(self, path: str) -> None:
        self._store._note("deletes")
        self._inner.delete(path)


# ------------------------------------------------------------------------- worker: the app


def rotator_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("lambda_function.py", ROTATOR)
    return buffer.getvalue()


def due_indexes(size: int) -> set[int]:
    """The secrets that rotate daily: DUE of them, spread evenly through the names."""
    return {i * size // DUE for i in range(DUE)}


def secret_name(index: int) -> str:
    return f"tick-{index:07d}"


class Rig:
    """One in-process Strongroom holding `size` secrets with rotation on (worker side)."""

    def __init__(self, size: int, data_dir: Path, report: Callable[[dict[str, Any]], None]):
        from strongroom.app import build, dev_bootstrap
        from strongroom.config import Config
        from strongroom.services import Caller
        from strongroom.services.caller import AllowAuthenticated
        from strongroom.storage.sqlite import SqliteStorage

        self.size = size
        self.report = report
        self.port = kms_load.free_port()
        config = Config(
            data_dir=data_dir, dev=True, port=self.port, account_id=kms_load.ACCOUNT_ID
        ).check()
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.storage = CountingStorage(SqliteStorage(config.database_path))
        self.app = build(config, self.storage)
        key = dev_bootstrap(self.app)
        assert key is not None
        self.caller = Caller(key.principal, kms_load.REGION, AllowAuthenticated())
        plugins = {plugin.model: plugin for plugin in self.app.services}
        self.sm, self.lam, self.iam = plugins["secretsmanager"], plugins["lambda"], plugins["iam"]
        self.function_arn = f"arn:aws:lambda:{kms_load.REGION}:{kms_load.ACCOUNT_ID}:function:"
        self.function_arn += FUNCTION
        self.due = sorted(due_indexes(size))
        self.job_ms: dict[str, float] = {}
        self.claimed = 0
        self._time_jobs()
        self.http: Any = None

    def call(self, plugin: Any, op: str, **params: Any) -> dict[str, Any]:
        return plugin.operations[op](plugin.context, self.caller, **params)

    def _time_jobs(self) -> None:
        """Wrap each scheduler job in a timer (the rotation job's result is kept)."""
        owner = {id(job): plugin.model for plugin in self.app.services for job in plugin.jobs}
        scheduler = self.app.scheduler
        timed = []
        for job in scheduler._jobs:  # the bench's instrument: the list is private
            name = getattr(job, "__qualname__", repr(job))
            label = JOB_LABELS.get(name) or JOB_LABELS.get(owner.get(id(job), ""), name)
            timed.append(self._timer(label, job))
        scheduler._jobs = timed

    def _timer(self, label: str, job: Callable[[], object]) -> Callable[[], object]:
        def run() -> object:
            started = time.perf_counter()
            try:
                result = job()
            finally:
                self.job_ms[label] = (time.perf_counter() - started) * 1000
            if label == "rotation claims":
                self.claimed = int(result)
            return result

        return run

    def make_role(self) -> None:
        """The function's execution role (Lambda accepts only a role IAM holds), allowed
        what the built-in rotators' role is: AWS's rotation template's rights."""
        from strongroom.services.awslambda.builtin_functions import ROLE_POLICY

        name = ROLE.rsplit("/", 1)[-1]
        self.call(self.iam, "CreateRole", RoleName=name, AssumeRolePolicyDocument=ROLE_TRUST)
        self.call(
            self.iam,
            "PutRolePolicy",
            RoleName=name,
            PolicyName="rotate",
            PolicyDocument=ROLE_POLICY,
        )

    def deploy(self) -> None:
        self.call(
            self.lam,
            "CreateFunction",
            FunctionName=FUNCTION,
            Role=ROLE,
            Runtime="python3.11",
            Handler="lambda_function.lambda_handler",
            Code={"ZipFile": rotator_zip()},
            Timeout=60,
        )
        self.call(
            self.lam,
            "AddPermission",
            FunctionName=FUNCTION,
            StatementId="secrets-manager",
            Action="lambda:InvokeFunction",
            Principal=SERVICE_PRINCIPAL,
        )

    def populate(self) -> dict[str, float]:
        """Make the secrets and their schedules, settle the test runs; seconds per phase."""
        seconds = {}
        self.make_role()
        self.deploy()
        started = time.perf_counter()
        for index in range(self.size):
            self.call(
                self.sm,
                "CreateSecret",
                Name=secret_name(index),
                SecretString=f"initial-{index:07d}",
                ClientRequestToken=str(uuid.uuid4()),
            )
            self._progress("created", index)
        seconds["create"] = time.perf_counter() - started
        started, daily = time.perf_counter(), set(self.due)
        for index in range(self.size):
            self.call(
                self.sm,
                "RotateSecret",
                SecretId=secret_name(index),
                RotationLambdaARN=self.function_arn,
                RotationRules={"AutomaticallyAfterDays": 1 if index in daily else 30},
                RotateImmediately=False,
            )
            self._progress("rotation configured on", index)
        seconds["configure"] = time.perf_counter() - started
        seconds["settle"] = self.settle()
        self.deploy()
        self.check_schedules()
        return seconds

    def _progress(self, what: str, index: int) -> None:
        if (index + 1) % PROGRESS_EVERY == 0:
            self.report({"progress": f"{self.size:,}: {what} {index + 1:,} secrets"})

    def settle(self) -> float:
        """Run every test run RotateSecret started, with the function gone (each fails at
        Invoke, no process); seconds until none is left."""
        self.call(self.lam, "DeleteFunction", FunctionName=FUNCTION)
        logging.getLogger("strongroom").setLevel(logging.ERROR)  # 'test failed' per secret
        started = time.perf_counter()
        if not self.app.scheduler.run_once():
            raise BenchError("the settle tick did not run")
        deadline = time.monotonic() + max(600.0, self.size / 50)
        while self.runs_left():
            if time.monotonic() > deadline:
                raise BenchError("test runs still under way after the settle tick")
            time.sleep(0.2)
        logging.getLogger("strongroom").setLevel(logging.WARNING)
        return time.perf_counter() - started

    def runs_left(self) -> bool:
        """Whether a secret filed as due within two minutes still has a run (a claimed
        run is filed a minute ahead while it runs)."""
        repository = self.sm.context.repository
        for account, region, name in repository.rotations_due(self.app.clock.now() + 120):
            record = repository.secret(account, region, name)
            if record is not None and record.rotation_run is not None:
                return True
        return False

    def check_schedules(self) -> None:
        """Every daily secret is scheduled, with no run left and never rotated."""
        for index in self.due:
            described = self.call(self.sm, "DescribeSecret", SecretId=secret_name(index))
            if described.get("StrongroomRotationRun") or not described.get("RotationEnabled"):
                raise BenchError(f"{secret_name(index)} is not settled: {described}")

    def serve(self) -> None:
        """Answer the function processes over HTTP: uvicorn in a thread, no lifespan."""
        import uvicorn

        from strongroom.api.http1 import StrongroomHttpProtocol

        config = uvicorn.Config(
            self.app.asgi,
            host="127.0.0.1",
            port=self.port,
            http=StrongroomHttpProtocol,
            ws="none",
            lifespan="off",
            log_level="warning",
            access_log=False,
        )
        self.http = uvicorn.Server(config)
        threading.Thread(target=self.http.run, name="http", daemon=True).start()
        deadline = time.monotonic() + 30
        while not self.http.started:
            if time.monotonic() > deadline:
                raise BenchError("the in-process HTTP server did not start")
            time.sleep(0.02)

    def sample(self, day: int) -> dict[str, Any]:
        """Tick at `day` days ahead (timed), then wait for the 10 rotations it started."""
        self.app.clock.offset_seconds = day * DAY
        self.job_ms, self.claimed = {}, -1
        self.storage.watch()
        cpu, started = time.thread_time(), time.perf_counter()
        ran = self.app.scheduler.run_once()
        wall, cpu = time.perf_counter() - started, time.thread_time() - cpu
        counts = self.storage.unwatch()
        if not ran or self.claimed != DUE:
            raise BenchError(f"day {day}: tick ran={ran}, claimed {self.claimed}, not {DUE}")
        waited = self.wait_rotated(self.app.clock.now() - 60)
        return {
            "day": day,
            "tick_ms": wall * 1000,
            "tick_cpu_ms": cpu * 1000,
            "jobs_ms": dict(self.job_ms),
            "storage": counts,
            "rotations_s": waited,
        }

    def wait_rotated(self, since: float) -> float:
        """Seconds until every daily secret rotated at or after `since`, run finished."""
        started = time.monotonic()
        waiting = {secret_name(index) for index in self.due}
        while waiting:
            for name in sorted(waiting):
                described = self.call(self.sm, "DescribeSecret", SecretId=name)
                run = described.get("StrongroomRotationRun")
                if run and run.get("Failure"):
                    raise BenchError(f"rotation of {name} failed: {run['Failure']}")
                if not run and (described.get("LastRotatedDate") or 0) >= since:
                    waiting.discard(name)
            if time.monotonic() - started > ROTATION_WAIT:
                raise BenchError(f"rotations not finished after {ROTATION_WAIT:.0f}s: {waiting}")
            time.sleep(0.05)
        return time.monotonic() - started

    def close(self) -> None:
        if self.http is not None:
            self.http.should_exit = True
        self.sm.context.repository.forget()
        with contextlib.suppress(Exception):
            self.app.storage.close()


def worker(size: int, data_dir: Path) -> int:
    """Build, populate and sample on command: JSON lines in (stdin) and out (stdout)."""
    out = sys.stdout

    def report(message: dict[str, Any]) -> None:
        out.write(json.dumps(message) + "\n")
        out.flush()

    sys.stdout = sys.stderr  # nothing else may write to the command channel
    logging.getLogger("strongroom").setLevel(logging.ERROR)  # the dev-mode warning
    rig = None
    try:
        rig = Rig(size, data_dir, report)
        seconds = rig.populate()
        rig.serve()
        gc.collect()
        report({"ready": seconds})
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "stop":
                break
            report({"sample": rig.sample(int(command["day"]))})
    except Exception as exc:  # the coordinator shows it and stops everything
        report({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    finally:
        if rig is not None:
            rig.close()
    return 0


# ---------------------------------------------------------------------- coordinator


@dataclasses.dataclass
class Worker:
    """A worker process for one size, and what it measured."""

    size: int
    proc: subprocess.Popen[str]
    log: Path
    population_s: dict[str, float] = dataclasses.field(default_factory=dict)
    samples: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    warmup: dict[str, Any] | None = None

    def send(self, command: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()

    def receive(self, want: str) -> Any:
        """The next message carrying `want` (progress lines are shown on the way)."""
        assert self.proc.stdout is not None
        stdout: TextIO = self.proc.stdout
        while True:
            line = stdout.readline()
            if not line:
                raise BenchError(f"worker {self.size:,} exited:\n{self.tail()}")
            message = json.loads(line)
            if "progress" in message:
                say(f"  {message['progress']}")
            elif "error" in message:
                raise BenchError(f"worker {self.size:,}: {message['error']}\n{self.tail()}")
            elif want in message:
                return message[want]

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])


def worker_command(size: int) -> list[str]:
    """This script as the worker for `size` (the data directory follows)."""
    return [sys.executable, __file__, "--worker", str(size), "--data-dir"]


@contextlib.contextmanager
def workers(sizes: list[int]) -> Iterator[list[Worker]]:
    """One worker process per size, each in its own directory; always stopped."""
    workdir = Path(tempfile.mkdtemp(prefix="rotation_tick-"))
    started: list[Worker] = []
    try:
        for size in sizes:
            log = workdir / f"worker-{size}.log"
            with log.open("w") as err:
                proc = subprocess.Popen(
                    [*worker_command(size), str(workdir / f"data-{size}")],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                    start_new_session=True,
                )
            started.append(Worker(size, proc, log))
        yield started
    finally:
        for one in started:
            with contextlib.suppress(OSError, ValueError):
                one.send({"cmd": "stop"})
            target = kms_load.Target(f"worker {one.size}", 0, one.proc, one.log, ("", ""))
            try:
                one.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                kms_load.stop_server(target)
        shutil.rmtree(workdir, ignore_errors=True)


def run(all_workers: list[Worker], samples: int) -> float:
    """Warm-up, then `samples` interleaved rounds; others' load (cores) over them."""
    for one in all_workers:
        started = time.perf_counter()
        one.population_s = one.receive("ready")
        say(f"{one.size:,} secrets ready ({time.perf_counter() - started:.0f} s after start)")
    cpu_before, machine_before = kms_load.tree_cpu_seconds(os.getpid()), kms_load.machine_ticks()
    started = time.time()
    for rnd in range(samples + 1):
        order = all_workers if rnd % 2 == 0 else all_workers[::-1]
        for one in order:
            one.send({"cmd": "sample", "day": rnd + 2})
            sample = one.receive("sample")
            if rnd == 0:
                one.warmup = sample
            else:
                one.samples.append(sample)
            label = "warm-up" if rnd == 0 else f"sample {rnd}"
            say(
                f"{label:9} {one.size:>7,} secrets: tick {sample['tick_ms']:7.2f} ms "
                f"(rotation claims {sample['jobs_ms'].get('rotation claims', 0):6.2f} ms), "
                f"10 rotations done in {sample['rotations_s']:.1f} s"
            )
    cpu = kms_load.tree_cpu_seconds(os.getpid()) - cpu_before
    busy = (kms_load.machine_ticks()[0] - machine_before[0]) / kms_load.CLK_TCK
    return max(busy - cpu, 0.0) / max(time.time() - started, 1e-6)


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def summarize(all_workers: list[Worker]) -> list[dict[str, Any]]:
    """One row per size, with its ratio to the smallest size's median tick."""
    rows = []
    for one in all_workers:
        ticks = [s["tick_ms"] for s in one.samples]
        storage: Counter[str] = Counter()
        for s in one.samples:
            storage.update(s["storage"])
        labels = one.samples[0]["jobs_ms"].keys()
        rows.append(
            {
                "secrets": one.size,
                "due": DUE,
                "median_ms": statistics.median(ticks),
                "p90_ms": nearest_rank(ticks, 0.9),
                "min_ms": min(ticks),
                "max_ms": max(ticks),
                "cpu_ms": statistics.median(s["tick_cpu_ms"] for s in one.samples),
                "jobs_ms": {
                    label: statistics.median(s["jobs_ms"][label] for s in one.samples)
                    for label in labels
                },
                "rest_ms": statistics.median(
                    s["tick_ms"] - sum(s["jobs_ms"].values()) for s in one.samples
                ),
                "storage_per_tick": {k: v / len(one.samples) for k, v in storage.items()},
                "ticks_ms": ticks,
                "warmup_ms": None if one.warmup is None else one.warmup["tick_ms"],
                "population_s": one.population_s,
            }
        )
    base, base_cpu = rows[0]["median_ms"], rows[0]["cpu_ms"]
    for row in rows:
        row["ratio"] = row["median_ms"] / base
        row["cpu_ratio"] = row["cpu_ms"] / base_cpu
    return rows


def storage_cell(counts: dict[str, float]) -> str:
    def n(key: str) -> str:
        return f"{round(counts.get(key, 0), 1):g}"

    return (
        f"{n('gets')} gets, {n('scans')} scans ({n('rows')} rows); "
        f"{n('puts')} puts, {n('deletes')} deletes, {n('commits')} commits"
    )


def markdown(rows: list[dict[str, Any]], others: float) -> str:
    base = rows[0]["secrets"]
    headers = ["secrets", "due", "median ms", "p90 ms", "min ms", "max ms", "tick CPU ms"]
    headers += [f"vs {base:,}", f"CPU vs {base:,}", "storage calls per tick"]
    lines = ["| " + " | ".join(headers) + " |", "|" + "---:|" * (len(headers) - 1) + "---|"]
    for row in rows:
        cells = [
            f"{row['secrets']:,}",
            str(row["due"]),
            f"{row['median_ms']:.2f}",
            f"{row['p90_ms']:.2f}",
            f"{row['min_ms']:.2f}",
            f"{row['max_ms']:.2f}",
            f"{row['cpu_ms']:.2f}",
            f"{row['ratio']:.2f}x",
            f"{row['cpu_ratio']:.2f}x",
            storage_cell(row["storage_per_tick"]),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    labels = list(rows[0]["jobs_ms"])
    lines += ["", "| job (median ms) | " + " | ".join(f"{r['secrets']:,}" for r in rows) + " |"]
    lines.append("|---|" + "---:|" * len(rows))
    for label in labels:
        cells = [f"{r['jobs_ms'].get(label, 0.0):.3f}" for r in rows]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    rest = " | ".join(f"{r['rest_ms']:.3f}" for r in rows)
    lines.append(f"| the rest: lease, readiness (tick - jobs) | {rest} |")
    lines.append(f"\nothers' load while sampling: {others:.2f} cores")
    return "\n".join(lines)


def check_prerequisites(modules: tuple[str, ...] = ("boto3", "uvicorn")) -> None:
    """boto3 (the rotation function uses it) and uvicorn; nothing is installed."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise BenchError("missing python modules: " + ", ".join(missing) + " (pip install)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=f"{DUE},100000")
    parser.add_argument("--samples", type=int, default=9, help="timed ticks per size")
    parser.add_argument(
        "--json", type=Path, default=kms_load.BENCH_DIR / "results" / "rotation_tick.json"
    )
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    except ValueError:
        parser.error("--sizes: numbers separated by commas")
    if not args.sizes or min(args.sizes) < DUE:
        parser.error(f"need sizes >= {DUE} (the due secrets are among them)")
    if not 1 <= args.samples <= MAX_DAY - 3:
        parser.error(f"--samples: 1 to {MAX_DAY - 3} (a sample is a day of the 30-day schedule)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker is not None:
        return worker(args.worker, args.data_dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites()
        with workers(args.sizes) as all_workers:
            others = run(all_workers, args.samples)
    except BenchError as exc:
        say(f"rotation_tick: {exc}")
        return 2
    rows = summarize(all_workers)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "settings": {"sizes": args.sizes, "samples": args.samples, "due": DUE},
                "others_cores": others,
                "rows": rows,
            },
            indent=1,
        )
    )
    print(markdown(rows, others))
    print(
        "\npopulation (s): "
        + "; ".join(
            f"{r['secrets']:,}: " + ", ".join(f"{k} {v:.1f}" for k, v in r["population_s"].items())
            for r in rows
        )
    )
    largest = rows[-1]
    verdict = "MET " if largest["ratio"] <= GOAL else "MISS"
    print(
        f"\n{verdict} tick with {largest['secrets']:,} secrets ({DUE} due) "
        f"{largest['ratio']:.2f}x the tick with {rows[0]['secrets']:,} (goal <= {GOAL:g}x)",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
