"""One built-in PostgreSQL rotation, end to end through a real dev server: how long?

Usage: `python bench/pg_rotation.py [--rounds 10] [--poll-ms 20] [--json PATH]`.

Goal (issue 10, "Numbers"): report the end-to-end time of one built-in PostgreSQL
rotation (no bound is set).

Method: one Strongroom dev server (one worker, fresh data directory, stopped on any exit)
and this machine's PostgreSQL (127.0.0.1:5432, user postgres; trust authentication). The
server runs `strongroom server --dev` through a launcher that first gives Strongroom's
own loggers a handler at INFO with timestamps: the server sets none (`--log-level` sets
uvicorn's loggers only), and the function platform's START/END/REPORT lines and the
engine's "rotated" line are INFO. A role `bench_pgrot_<hex>` is made with psycopg (LOGIN,
a password) and dropped at the end; a secret in AWS's RDS form holds it (`engine`
postgres, `host`, `port`, `username`, `password`, `dbname`).

Each round sends RotateSecret with boto3 (RotationLambdaARN
`...:function:strongroom-postgresql-single-user`, AutomaticallyAfterDays 30, rotating
at once), then polls DescribeSecret every `--poll-ms` on a keep-alive connection:
- client time: from sending RotateSecret to receiving the DescribeSecret answer that
  shows the version RotateSecret named as AWSCURRENT (so up to one poll interval late);
- server time: LastRotatedDate (the engine writes it, in ms, once the function's last
  step has returned) minus the moment RotateSecret was sent (one machine, one clock);
  polling goes on until LastRotatedDate moves.
The rotation is then checked for real: AWSCURRENT's password is new, and the role's
stored SCRAM verifier (`pg_authid.rolpassword`) accepts it (trust lets any password in,
so a login would prove nothing). One warm-up rotation comes first, reported apart.

Breakdown, from the server log's timestamps, per round: RotateSecret's answer (client);
RotateSecret sent -> first step's START (the wake-up, the claim, the invocation's
credentials); per step, START -> END of its process, of which Lambda's Init Duration
(interpreter start and imports until the handler is loaded) and Duration (the handler);
the gaps between steps; the last END -> "rotated" (the outcome's transaction). Server CPU
per rotation: the server's process tree (its function processes included, reaped or not)
from /proc, in 10 ms ticks; PostgreSQL's own CPU is not in it. Others' load: the rest of
the machine (neither this client, the server nor its functions) in cores.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kms_load
from kms_load import BenchError, Target, say

FUNCTION = "strongroom-postgresql-single-user"
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
ROUND_TIMEOUT = 120.0
LAUNCHER = """
import logging, sys
handler = logging.StreamHandler()
handler.setFormatter(logging.Formatter("%(created).6f %(levelname)s %(name)s %(message)s"))
logger = logging.getLogger("strongroom")
logger.addHandler(handler)
logger.setLevel(logging.INFO)
logger.propagate = False
from strongroom.cli.main import main
sys.argv = ["strongroom", *sys.argv[1:]]
main()
"""
_STAMP = r"^(?P<t>\d+\.\d+) INFO "
START = re.compile(_STAMP + r"strongroom\.functions \[(?P<id>[0-9a-f-]+)\] START RequestId")
END = re.compile(_STAMP + r"strongroom\.functions \[(?P<id>[0-9a-f-]+)\] END RequestId")
REPORT = re.compile(
    _STAMP + r"strongroom\.functions \[(?P<id>[0-9a-f-]+)\] REPORT RequestId: \S+\t"
    r"Duration: (?P<duration>[\d.]+) ms\t.*Init Duration: (?P<init>[\d.]+) ms"
)
ROTATED = re.compile(_STAMP + r"strongroom\.rotation rotated (?P<arn>\S+) to version (?P<v>\S+)")


# ------------------------------------------------------------------------------ PostgreSQL


def pg_connect() -> Any:
    """A superuser connection to this machine's PostgreSQL; BenchError if there is none."""
    try:
        import psycopg
    except ImportError:
        raise BenchError("python module psycopg missing (pip install 'psycopg[binary]')") from None
    try:
        return psycopg.connect(**PG, autocommit=True, connect_timeout=5)
    except psycopg.Error as exc:
        raise BenchError(
            f"PostgreSQL at 127.0.0.1:5432 (user postgres) unreachable: {exc}"
        ) from None


@contextlib.contextmanager
def pg_role() -> Iterator[tuple[Any, str, str]]:
    """(superuser connection, role, its first password): a fresh LOGIN role, dropped at
    the end whatever happens."""
    from psycopg import sql

    conn = pg_connect()
    role, password = f"bench_pgrot_{secrets.token_hex(4)}", secrets.token_urlsafe(18)
    try:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(password)
            )
        )
        yield conn, role, password
    finally:
        with contextlib.suppress(Exception):
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
        conn.close()


def verifier_of(conn: Any, role: str) -> str:
    row = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()
    if row is None or row[0] is None:
        raise BenchError(f"role {role} has no stored password")
    return str(row[0])


# --------------------------------------------------------------------------------- server


@contextlib.contextmanager
def server() -> Iterator[Target]:
    """A ready dev server (one worker) whose log has Strongroom's INFO lines; stopped and
    its directory removed on any exit."""
    workdir = Path(tempfile.mkdtemp(prefix="pg_rotation-"))
    port, log = kms_load.free_port(), workdir / "server.log"
    cmd = [sys.executable, "-c", LAUNCHER, "server", "--dev", "--data-dir", str(workdir / "data")]
    cmd += ["--port", str(port), "--access-key", kms_load.ACCESS_KEY]
    cmd += ["--account-id", kms_load.ACCOUNT_ID]
    env = {**os.environ, "STRONGROOM_SECRET_KEY": kms_load.SECRET_KEY}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
            start_new_session=True,
        )
    target = Target("strongroom", port, proc, log, (kms_load.ACCESS_KEY, kms_load.SECRET_KEY))
    try:
        kms_load.wait_ready(target, 60.0)
        yield target
    finally:
        kms_load.stop_server(target)
        shutil.rmtree(workdir, ignore_errors=True)


# ---------------------------------------------------------------------------------- rounds


def rotate_once(sm: Any, name: str, function_arn: str, poll: float) -> dict[str, Any]:
    """One rotation: send, poll until AWSCURRENT moves and LastRotatedDate follows."""
    sent = time.time()
    started = time.perf_counter()
    answer = sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=function_arn,
        RotationRules={"AutomaticallyAfterDays": 30},
        ClientRequestToken=str(uuid.uuid4()),
    )
    answered = time.perf_counter() - started
    token, current_s, polls = answer["VersionId"], None, 0
    while True:
        described = sm.describe_secret(SecretId=name)
        now, polls = time.perf_counter(), polls + 1
        if current_s is None and "AWSCURRENT" in described["VersionIdsToStages"].get(token, []):
            current_s = now - started
        last = described.get("LastRotatedDate")
        if current_s is not None and last is not None and last.timestamp() >= sent:
            break
        if now - started > ROUND_TIMEOUT:
            raise BenchError(f"rotation not finished after {ROUND_TIMEOUT:.0f}s: {described}")
        time.sleep(max(0.0, started + polls * poll - time.perf_counter()))
    return {
        "sent": sent,
        "token": token,
        "answer_ms": answered * 1000,
        "client_ms": current_s * 1000,
        "server_ms": (last.timestamp() - sent) * 1000,
        "polls": polls,
    }


def check_rotated(sm: Any, conn: Any, name: str, role: str, before: str) -> str:
    """AWSCURRENT's password, once it is new and the role's stored verifier takes it."""
    from strongroom.crypto.scram import verifies

    secret = json.loads(sm.get_secret_value(SecretId=name)["SecretString"])
    password = secret["password"]
    if secret["username"] != role or password == before:
        raise BenchError(f"AWSCURRENT of {name} did not get a new password for {role}")
    if not verifies(verifier_of(conn, role), password):
        raise BenchError(f"PostgreSQL does not hold the new AWSCURRENT password of {role}")
    return str(password)


def breakdown(log: Path, rotation: dict[str, Any]) -> dict[str, float]:
    """The round's timeline from the server log (ms), see the module docstring."""
    steps: dict[str, dict[str, float]] = {}
    order: list[str] = []
    rotated = None
    for line in log.read_text(errors="replace").splitlines():
        for pattern, key in ((START, "start"), (END, "end"), (REPORT, "report")):
            match = pattern.match(line)
            if match and float(match["t"]) >= rotation["sent"]:
                found = steps.setdefault(match["id"], {})
                if key == "start":
                    order.append(match["id"])
                found[key] = float(match["t"])
                if key == "report":
                    found |= {"init": float(match["init"]), "duration": float(match["duration"])}
        match = ROTATED.match(line)
        if match and match["v"] == rotation["token"]:
            rotated = float(match["t"])
    if len(order) != len(STEPS) or rotated is None:
        raise BenchError(f"log: {len(order)} invocations, rotated line {rotated is not None}")
    times = [steps[request] for request in order]
    result = {
        "answer": rotation["answer_ms"],
        "sent -> first START": (times[0]["start"] - rotation["sent"]) * 1000,
    }
    for step, one in zip(STEPS, times, strict=True):
        result[f"{step} process"] = (one["end"] - one["start"]) * 1000
        result[f"{step} init"] = one["init"]
        result[f"{step} handler"] = one["duration"]
    gaps = [(b["start"] - a["end"]) * 1000 for a, b in itertools.pairwise(times)]
    result["gaps between steps"] = sum(gaps)
    result["last END -> rotated"] = (rotated - times[-1]["end"]) * 1000
    return result


def tree_cpu(target: Target) -> float:
    """CPU seconds of the server and its function processes so far."""
    return kms_load.tree_cpu_seconds(target.proc.pid)


def run(args: argparse.Namespace) -> dict[str, Any]:
    """The warm-up and the timed rounds; every rotation checked."""
    function_arn = f"arn:aws:lambda:{kms_load.REGION}:{kms_load.ACCOUNT_ID}:function:{FUNCTION}"
    with pg_role() as (conn, role, password), server() as target:
        say(f"server on {target.endpoint} (pid {target.proc.pid}); role {role}")
        sm = kms_load.sdk_client(target, "secretsmanager")
        name = f"bench-pg-{role}"
        rds = {"engine": "postgres", "host": PG["host"], "port": PG["port"]}
        rds |= {"username": role, "password": password, "dbname": PG["dbname"]}
        sm.create_secret(Name=name, SecretString=json.dumps(rds))
        rounds, warmup = [], None
        for rnd in range(args.rounds + 1):
            if rnd == 1:  # the timed rounds' load is measured from here
                before = (tree_cpu(target), kms_load.own_cpu(), kms_load.machine_ticks())
                started = time.time()
            cpu = tree_cpu(target)
            rotation = rotate_once(sm, name, function_arn, args.poll_ms / 1000)
            password = check_rotated(sm, conn, name, role, password)
            rotation["server_cpu_ms"] = (tree_cpu(target) - cpu) * 1000
            rotation["breakdown"] = breakdown(target.log, rotation)
            label = "warm-up" if rnd == 0 else f"round {rnd}"
            say(
                f"{label:8} client {rotation['client_ms']:7.1f} ms  server "
                f"{rotation['server_ms']:7.1f} ms  CPU {rotation['server_cpu_ms']:6.0f} ms"
            )
            if rnd == 0:
                warmup = rotation
            else:
                rounds.append(rotation)
        server_cpu, own = tree_cpu(target) - before[0], kms_load.own_cpu() - before[1]
        busy = (kms_load.machine_ticks()[0] - before[2][0]) / kms_load.CLK_TCK
        others = max(busy - server_cpu - own, 0.0) / max(time.time() - started, 1e-6)
    return {"rounds": rounds, "warmup": warmup, "others_cores": others}


# -------------------------------------------------------------------------------- reporting


def nearest_rank(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(fraction * len(ordered)), len(ordered) - 1)]


def markdown(result: dict[str, Any]) -> str:
    rounds = result["rounds"]
    lines = [
        "| measure | median ms | p90 ms | min ms | max ms | warm-up ms |",
        "|---|---:|---:|---:|---:|---:|",
    ]

    def row(label: str, values: list[float], warm: float) -> None:
        cells = [statistics.median(values), nearest_rank(values, 0.9), min(values), max(values)]
        lines.append(f"| {label} | " + " | ".join(f"{v:,.1f}" for v in [*cells, warm]) + " |")

    warm = result["warmup"]
    row(
        "client: RotateSecret sent -> AWSCURRENT seen",
        [r["client_ms"] for r in rounds],
        warm["client_ms"],
    )
    row("server: LastRotatedDate - sent", [r["server_ms"] for r in rounds], warm["server_ms"])
    row("server CPU (process tree)", [r["server_cpu_ms"] for r in rounds], warm["server_cpu_ms"])
    lines += [
        "",
        "| breakdown (server log) | median ms | min ms | max ms |",
        "|---|---:|---:|---:|",
    ]
    for label in rounds[0]["breakdown"]:
        values = [r["breakdown"][label] for r in rounds]
        lines.append(
            f"| {label} | {statistics.median(values):,.1f} | {min(values):,.1f} | "
            f"{max(values):,.1f} |"
        )
    lines.append(f"\nothers' load during the rounds: {result['others_cores']:.2f} cores")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--poll-ms", type=float, default=20.0, help="DescribeSecret interval")
    parser.add_argument(
        "--json", type=Path, default=kms_load.BENCH_DIR / "results" / "pg_rotation.json"
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.poll_ms <= 0:
        parser.error("need --rounds >= 1 and --poll-ms > 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        if importlib.util.find_spec("boto3") is None:
            raise BenchError("python module boto3 missing (pip install boto3)")
        result = run(args)
    except BenchError as exc:
        say(f"pg_rotation: {exc}")
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "settings": {"rounds": args.rounds, "poll_ms": args.poll_ms},
                **result,
            },
            indent=1,
        )
    )
    print(markdown(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
