"""Load-test KMS hot-path operations on Strongroom, moto's server and a raw ASGI ceiling.

Usage: `python bench/kms_load.py [--rounds 3] [--duration 10] [--connections 32] [--workers 1]
[--targets strongroom,moto,raw] [--ops encrypt32,encrypt4k,decrypt,gdk]`.

Method (issue 2, "Speed"): every server runs as its own process on a free 127.0.0.1 port and
is loaded by wrk (keep-alive, N connections) with one real request per run, SigV4-signed by
botocore's signer right before that run so the 5-minute window holds. Runs are interleaved
(strongroom, moto, raw for one operation, then the next operation; then the next round); the
Strongroom/moto and Strongroom/raw requests/s ratios are taken within each round and the
table shows medians over rounds. A server's CPU cost is the utime+stime of its whole process
tree over the run (read from /proc, including reaped children) divided by the requests wrk
completed. Every run is preceded by one probe of the same request that must answer 200 with
the expected field; a run with any non-2xx answer or socket error is flagged in the table and
makes the exit status 1. Every server started is stopped (process group, TERM then KILL) on
any exit, and every wait is bounded. It installs nothing; it needs wrk, uvicorn + uvloop +
httptools, boto3, rich, and `moto_server` (moto[server]) and `strongroom` for those targets.

The machine may have only a few cores: wrk and the server under test share them, so absolute
numbers are those of this setup; the machine-wide busy share is recorded per run.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import dataclasses
import datetime
import http.client
import importlib.metadata
import importlib.util
import json
import operator
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "wrk" / "signed_request.lua"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
ACCESS_KEY = "AKIDBENCH000000000001"
SECRET_KEY = "bench/Secret/Key/0123456789abcdefghijklm"  # 40 characters, like AWS's
MOTO_KEYS = ("testing", "testing")
TARGETS = ("strongroom", "moto", "raw")
CLK_TCK = os.sysconf("SC_CLK_TCK")
STOP_TIMEOUT = 10.0
GOALS = {"vs_moto": 30.0, "vs_raw": 0.35, "cpu_us": 100.0, "p99_ms": 10.0}
CPU_GOAL_OPS = ("encrypt32", "decrypt", "gdk")


@dataclasses.dataclass(frozen=True)
class Operation:
    """One KMS call as the benchmark sends it."""

    name: str
    label: str
    action: str
    expect: str  # a field a successful answer must carry
    params: Callable[[str, str], dict[str, Any]]  # (key id, ciphertext b64) -> request body


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


PLAIN_32 = os.urandom(32)
PLAIN_4K = os.urandom(4096)
OPERATIONS = {
    op.name: op
    for op in (
        Operation(
            "encrypt32",
            "Encrypt 32 B",
            "Encrypt",
            "CiphertextBlob",
            lambda k, c: {"KeyId": k, "Plaintext": _b64(PLAIN_32)},
        ),
        Operation(
            "encrypt4k",
            "Encrypt 4 KiB",
            "Encrypt",
            "CiphertextBlob",
            lambda k, c: {"KeyId": k, "Plaintext": _b64(PLAIN_4K)},
        ),
        Operation(
            "decrypt",
            "Decrypt",
            "Decrypt",
            "Plaintext",
            lambda k, c: {"CiphertextBlob": c},
        ),
        Operation(
            "gdk",
            "GenerateDataKey",
            "GenerateDataKey",
            "CiphertextBlob",
            lambda k, c: {"KeyId": k, "KeySpec": "AES_256"},
        ),
    )
}


class BenchError(Exception):
    """A benchmark that cannot go on: missing tool, server that does not start, bad answer."""


@dataclasses.dataclass
class Target:
    """A started server and what requests to it need."""

    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    credentials: tuple[str, str]
    key_id: str = ""
    ciphertext: str = ""

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# ---------------------------------------------------------------- prerequisites and servers


def check_prerequisites(targets: list[str]) -> None:
    """Fail with one message naming everything missing; nothing is installed."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk (Debian package: apt-get install -y wrk)")
    for module in ("boto3", "rich", "uvicorn", "uvloop", "httptools"):
        if importlib.util.find_spec(module) is None:
            missing.append(f"python module {module} (pip install {module})")
    if "moto" in targets and shutil.which("moto_server") is None:
        missing.append("moto_server (pip install 'moto[server]')")
    if "strongroom" in targets and shutil.which("strongroom") is None:
        missing.append("strongroom command (pip install -e . at the repository root)")
    if missing:
        raise BenchError("missing prerequisites:\n  - " + "\n  - ".join(missing))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(name: str, port: int, workers: int, data_dir: Path) -> list[str]:
    """The command line that starts target `name` on `port`."""
    if name == "strongroom":
        cmd = ["strongroom", "server", "--dev", "--data-dir", str(data_dir), "--port", str(port)]
        cmd += ["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY]
        cmd += ["--account-id", ACCOUNT_ID]
        return cmd + (["--workers", str(workers)] if workers != 1 else [])
    if name == "moto":
        return ["moto_server", "-H", "127.0.0.1", "-p", str(port)]
    cmd = [sys.executable, "-m", "uvicorn", "raw_asgi:app", "--app-dir", str(BENCH_DIR)]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--loop", "uvloop", "--http", "httptools"]
    cmd += ["--no-access-log", "--log-level", "warning"]
    return cmd + (["--workers", str(workers)] if workers != 1 else [])


def http_status(port: int, method: str, path: str) -> int | None:
    """The status of one request, or None when nothing answers yet."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        conn.request(method, path)
        return conn.getresponse().status
    except OSError:
        return None
    finally:
        conn.close()


def wait_ready(target: Target, timeout: float) -> None:
    """Poll until the server answers (Strongroom: GET /sys/health is 200, i.e. unsealed)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if target.proc.poll() is not None:
            raise BenchError(f"{target.name} exited with {target.proc.returncode}:\n{tail(target)}")
        strongroom = target.name == "strongroom"
        status = http_status(target.port, "GET", "/sys/health" if strongroom else "/")
        if status is not None and (not strongroom or status == 200):
            return
        time.sleep(0.2)
    raise BenchError(f"{target.name} not ready after {timeout:.0f}s:\n{tail(target)}")


def tail(target: Target, lines: int = 30) -> str:
    text = target.log.read_text(errors="replace").splitlines()
    return "\n".join("    " + line for line in text[-lines:])


def start_server(name: str, args: argparse.Namespace, workdir: Path) -> Target:
    """Start one target in its own process group, its output going to a log file."""
    port = free_port()
    log = workdir / f"{name}.log"
    data_dir = workdir / f"{name}-data"
    data_dir.mkdir()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server_command(name, port, args.workers, data_dir),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            start_new_session=True,
        )
    creds = MOTO_KEYS if name == "moto" else (ACCESS_KEY, SECRET_KEY)
    return Target(name, port, proc, log, creds)


def stop_server(target: Target) -> None:
    """TERM the target's process group, then KILL what is left; never waits unbounded."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(target.proc.pid, sig)
        try:
            target.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; KILL any worker it left behind in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(target.proc.pid, signal.SIGKILL)
        return
    print(f"warning: {target.name} (pid {target.proc.pid}) did not stop", file=sys.stderr)


@contextlib.contextmanager
def running_servers(args: argparse.Namespace) -> Iterator[list[Target]]:
    """Start every target, wait until each is ready, and always stop them all."""
    workdir = Path(tempfile.mkdtemp(prefix="kms_load-"))
    targets: list[Target] = []
    try:
        for name in args.targets:
            targets.append(start_server(name, args, workdir))
        for target in targets:
            wait_ready(target, args.start_timeout)
            say(f"{target.name} ready on {target.endpoint} (pid {target.proc.pid})")
        yield targets
    finally:
        for target in targets:
            stop_server(target)
        shutil.rmtree(workdir, ignore_errors=True)


# ------------------------------------------------------------------------ keys and requests


def prepare_key(target: Target) -> None:
    """Create a symmetric key with boto3 and a ciphertext for Decrypt (raw: stand-ins)."""
    if target.name == "raw":
        target.key_id = str(uuid.uuid4())
        target.ciphertext = _b64(os.urandom(180))
        return
    import boto3
    from botocore.config import Config

    kms = boto3.client(
        "kms",
        endpoint_url=target.endpoint,
        region_name=REGION,
        aws_access_key_id=target.credentials[0],
        aws_secret_access_key=target.credentials[1],
        config=Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30),
    )
    target.key_id = kms.create_key(Description="kms_load benchmark")["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=target.key_id, Plaintext=PLAIN_32)["CiphertextBlob"]
    target.ciphertext = _b64(blob)


def signed_request(target: Target, op: Operation) -> dict[str, Any]:
    """The exact request boto3 would send, signed now with botocore's SigV4 signer."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    body = json.dumps(op.params(target.key_id, target.ciphertext), separators=(",", ":"))
    url = target.endpoint + "/"
    headers = {
        "X-Amz-Target": f"TrentService.{op.action}",
        "Content-Type": "application/x-amz-json-1.1",
    }
    request = AWSRequest(method="POST", url=url, data=body.encode(), headers=headers)
    SigV4Auth(Credentials(*target.credentials), "kms", REGION).add_auth(request)
    final = {"Host": urlsplit(url).netloc, "User-Agent": "kms_load/1 botocore-signer"}
    final.update(request.headers.items())
    return {"method": "POST", "path": "/", "headers": final, "body": body}


def lua_string(text: str) -> str:
    """A Lua string literal for any text: printable ASCII as is, other bytes as \\ddd."""
    out = []
    for byte in text.encode():
        printable = 32 <= byte < 127 and byte not in (34, 92)
        out.append(chr(byte) if printable else f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def write_spec(request: dict[str, Any], path: Path) -> None:
    headers = ", ".join(
        f"[{lua_string(k)}] = {lua_string(v)}" for k, v in request["headers"].items()
    )
    path.write_text(
        f"return {{ method = {lua_string(request['method'])}, path = {lua_string(request['path'])},"
        f" headers = {{ {headers} }}, body = {lua_string(request['body'])} }}\n"
    )


def probe(target: Target, op: Operation, request: dict[str, Any]) -> str | None:
    """Send the request once; None if it succeeded as a real answer would, else why not."""
    conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=30)
    try:
        conn.request("POST", request["path"], request["body"].encode(), request["headers"])
        response = conn.getresponse()
        raw = response.read()
    except OSError as exc:
        return f"probe failed: {exc!r}"
    finally:
        conn.close()
    if response.status != 200:
        return f"probe answered {response.status}: {raw[:300]!r}"
    if target.name != "raw":
        try:
            answer = json.loads(raw)
        except ValueError:
            return f"probe answered non-JSON: {raw[:300]!r}"
        if op.expect not in answer:
            return f"probe answer lacks {op.expect}: {raw[:300]!r}"
    return None


# --------------------------------------------------------------------------- measurement


def process_table() -> dict[int, tuple[int, int]]:
    """pid -> (ppid, utime+stime+cutime+cstime in ticks) for every process visible in /proc."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), sum(int(f) for f in fields[11:15]))
    return table


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds used so far by `root` and all its descendants, living or reaped.

    A process's cutime/cstime hold only its reaped children, which no longer appear in
    /proc, so summing all four fields over the living tree counts every tick once.
    """
    table = process_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            total += table[pid][1]
            stack.extend(children.get(pid, []))
    return total / CLK_TCK


def machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def run_wrk(
    target: Target, spec: Path, args: argparse.Namespace, duration: float
) -> tuple[dict[str, Any], str, float]:
    """Run wrk once; returns its JSON summary, its text output and its own CPU seconds."""
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration:g}s", "--latency"]
    cmd += ["--timeout", "5s", "-s", str(LUA_SCRIPT), target.endpoint + "/", "--", str(spec)]
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=out)
        watchdog = threading.Timer(duration + 30, proc.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)  # wait4, not wait: it gives wrk's CPU time
            proc.returncode = os.waitstatus_to_exitcode(status)
        finally:
            watchdog.cancel()
            if proc.returncode is None:  # interrupted: leave no wrk behind
                proc.kill()
                proc.wait(timeout=STOP_TIMEOUT)
        out.seek(0)
        text = out.read().decode(errors="replace")
    lines = [line for line in text.splitlines() if line.startswith("WRK_JSON ")]
    if proc.returncode != 0 or not lines:
        raise BenchError(f"wrk failed (exit {proc.returncode}):\n{text}")
    return json.loads(lines[-1][len("WRK_JSON ") :]), text, usage.ru_utime + usage.ru_stime


def measure(
    target: Target, op: Operation, args: argparse.Namespace, duration: float
) -> dict[str, Any]:
    """One wrk run against one target, with server CPU and error accounting."""
    request = signed_request(target, op)  # signed right before the run
    problem = probe(target, op, request)
    if problem:
        return {"target": target.name, "op": op.name, "probe_error": problem, "errors": 1}
    spec = Path(tempfile.gettempdir()) / f"kms_load-{os.getpid()}-spec.lua"
    write_spec(request, spec)
    try:
        cpu_before, machine_before = tree_cpu_seconds(target.proc.pid), machine_ticks()
        summary, text, wrk_cpu = run_wrk(target, spec, args, duration)
        cpu_after, machine_after = tree_cpu_seconds(target.proc.pid), machine_ticks()
    finally:
        spec.unlink(missing_ok=True)
    requests = max(int(summary["requests"]), 1)
    seconds = summary["duration_us"] / 1e6
    busy = machine_after[0] - machine_before[0]
    errors = summary["errors"]
    return {
        "target": target.name,
        "op": op.name,
        "requests": int(summary["requests"]),
        "rps": summary["requests"] / seconds,
        "p50_ms": summary["latency_us"]["p50"] / 1000,
        "p99_ms": summary["latency_us"]["p99"] / 1000,
        "latency_us": summary["latency_us"],
        "cpu_us_per_req": (cpu_after - cpu_before) * 1e6 / requests,
        "server_cpu_s": cpu_after - cpu_before,
        "wrk_cpu_us_per_req": wrk_cpu * 1e6 / requests,
        "machine_busy": busy / max(machine_after[1] - machine_before[1], 1),
        # Cores' worth of CPU that neither wrk nor this server used: the shared machine's noise.
        "others_cores": max(busy / CLK_TCK - (cpu_after - cpu_before) - wrk_cpu, 0.0) / seconds,
        "socket_errors": {k: int(v) for k, v in errors.items() if k != "status"},
        "non_2xx": int(errors["status"]),
        "errors": int(sum(errors.values())),
        "wrk_output": text,
    }


# --------------------------------------------------------------------------------- running


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_all(targets: list[Target], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Warm up each pair once, then interleave targets per operation per round."""
    ops = [OPERATIONS[name] for name in args.ops]
    for target in targets:
        prepare_key(target)
    if args.warmup > 0:
        for op in ops:
            for target in targets:
                result = measure(target, op, args, args.warmup)
                if result["errors"]:
                    say(f"warm-up {target.name} {op.name}: ERRORS {error_text(result)}")
    runs = []
    for rnd in range(1, args.rounds + 1):
        for op in ops:
            for target in targets:
                result = measure(target, op, args, args.duration) | {"round": rnd}
                runs.append(result)
                say(f"round {rnd} {op.name:9} {target.name:10} {describe(result)}")
    return runs


def error_text(run: dict[str, Any]) -> str:
    if "probe_error" in run:
        return str(run["probe_error"])
    sock = ", ".join(f"{k} {v}" for k, v in run["socket_errors"].items() if v)
    return f"non-2xx {run['non_2xx']}" + (f", socket errors: {sock}" if sock else "")


def describe(run: dict[str, Any]) -> str:
    if "probe_error" in run:
        return f"FAILED {run['probe_error']}"
    text = (
        f"{run['rps']:9.0f} req/s  p50 {run['p50_ms']:6.2f} ms  p99 {run['p99_ms']:6.2f} ms  "
        f"cpu {run['cpu_us_per_req']:7.0f} us/req  wrk {run['wrk_cpu_us_per_req']:4.0f} us/req  "
        f"machine {run['machine_busy']:4.0%}  others {run['others_cores']:.2f} cores"
    )
    return text + (f"  !! ERRORS: {error_text(run)}" if run["errors"] else "")


def median_of(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def summarize(runs: list[dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    """Medians per (operation, target) and medians of the per-round ratios."""
    rows: dict[str, dict[str, Any]] = {}
    for op in args.ops:
        per_target = {}
        for name in args.targets:
            mine = [r for r in runs if r["op"] == op and r["target"] == name and "rps" in r]
            per_target[name] = {
                key: median_of([r[key] for r in mine])
                for key in (
                    "rps",
                    "p50_ms",
                    "p99_ms",
                    "cpu_us_per_req",
                    "wrk_cpu_us_per_req",
                    "others_cores",
                )
            } | {"errors": sum(r["errors"] for r in runs if r["op"] == op and r["target"] == name)}
        ratios: dict[str, float | None] = {}
        for peer in ("moto", "raw"):
            if "strongroom" in args.targets and peer in args.targets:
                ratios[f"vs_{peer}"] = median_of(round_ratios(runs, op, peer, args.rounds))
        rows[op] = {"targets": per_target, "ratios": ratios}
    return rows


def round_ratios(runs: list[dict[str, Any]], op: str, peer: str, rounds: int) -> list[float]:
    """Strongroom req/s over `peer` req/s, one ratio per round where both ran."""
    out = []
    for rnd in range(1, rounds + 1):
        found = {
            r["target"]: r["rps"]
            for r in runs
            if r["op"] == op and r["round"] == rnd and "rps" in r
        }
        if "strongroom" in found and peer in found and found[peer] > 0:
            out.append(found["strongroom"] / found[peer])
    return out


def goal_checks(summary: dict[str, Any]) -> list[tuple[str, bool]]:
    """The issue's goals for Strongroom, each with whether the medians meet it (no errors)."""
    checks = []
    for op, row in summary.items():
        mine, ratios = row["targets"].get("strongroom"), row["ratios"]
        if not mine or mine["rps"] is None:
            continue
        clean = mine["errors"] == 0
        cpu = mine["cpu_us_per_req"] if op in CPU_GOAL_OPS else None
        goals = [
            (f"req/s vs moto >= {GOALS['vs_moto']:g}x", ratios.get("vs_moto"), operator.ge),
            (f"req/s vs raw ASGI >= {GOALS['vs_raw']:g}x", ratios.get("vs_raw"), operator.ge),
            (f"server CPU <= {GOALS['cpu_us']:g} us/request", cpu, operator.le),
            (f"p99 < {GOALS['p99_ms']:g} ms", mine["p99_ms"], operator.lt),
        ]
        bounds = [GOALS["vs_moto"], GOALS["vs_raw"], GOALS["cpu_us"], GOALS["p99_ms"]]
        for (text, value, compare), bound in zip(goals, bounds, strict=True):
            if value is not None:
                label = f"{OPERATIONS[op].label}: {text} (measured {value:.2f})"
                checks.append((label, clean and bool(compare(value, bound))))
    return checks


# --------------------------------------------------------------------------------- output


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table_rows(summary: dict[str, Any]) -> list[list[str]]:
    """One row per (operation, server): the columns of both the rich and markdown tables."""
    rows = []
    for op, row in summary.items():
        for name, m in row["targets"].items():
            ratio = row["ratios"] if name == "strongroom" else {}
            rows.append(
                [
                    OPERATIONS[op].label,
                    name,
                    fmt(m["rps"], ",.0f"),
                    fmt(m["p50_ms"], ".2f"),
                    fmt(m["p99_ms"], ".2f"),
                    fmt(m["cpu_us_per_req"], ",.0f"),
                    fmt(m["wrk_cpu_us_per_req"], ".0f"),
                    fmt(m["others_cores"], ".2f"),
                    fmt(ratio.get("vs_moto"), ".1f") + ("x" if ratio.get("vs_moto") else ""),
                    fmt(ratio.get("vs_raw"), ".2f") + ("x" if ratio.get("vs_raw") else ""),
                    f"ERRORS {m['errors']}" if m["errors"] else "0",
                ]
            )
    return rows


HEADERS = [
    "operation",
    "server",
    "req/s",
    "p50 ms",
    "p99 ms",
    "server CPU µs/req",
    "wrk CPU µs/req",
    "others' load (cores)",
    "vs moto",
    "vs raw",
    "errors",
]


def print_rich(summary: dict[str, Any], args: argparse.Namespace) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(
        title=f"KMS load, medians of {args.rounds} rounds "
        f"(wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s, "
        f"workers {args.workers})"
    )
    for i, header in enumerate(HEADERS):
        table.add_column(header, justify="left" if i < 2 else "right")
    for row in table_rows(summary):
        style = "bold red" if row[-1] != "0" else None
        table.add_row(*row, style=style)
    console = Console(width=max(shutil.get_terminal_size((140, 40)).columns, 140))
    console.print(table)
    for label, ok in goal_checks(summary):
        console.print(f"  {'[green]MET ' if ok else '[red]MISS'}[/] {label}")


def markdown(summary: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * 2 + "---:|" * (len(HEADERS) - 2)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(summary)]
    return "\n".join(lines)


def environment(args: argparse.Namespace) -> dict[str, Any]:
    """What the numbers depend on: machine, versions, settings."""
    versions = {}
    for dist in ("strongroom", "moto", "uvicorn", "uvloop", "httptools", "botocore"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10, check=False)
    versions["wrk"] = (wrk.stdout + wrk.stderr).splitlines()[0] if wrk.stdout + wrk.stderr else "?"
    git = ["git", "-C", str(BENCH_DIR.parent)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    dirty = subprocess.run(
        [*git, "status", "--porcelain"], capture_output=True, text=True, timeout=10, check=False
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": head.stdout.strip() + (" + uncommitted changes" if dirty.stdout.strip() else ""),
        "cpus": os.cpu_count(),
        "loadavg_before": os.getloadavg(),
        "python": sys.version.split()[0],
        "versions": versions,
        "settings": {k: v for k, v in vars(args).items() if k != "json"},
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds per pair, 0: none")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="server workers (not moto)")
    parser.add_argument("--targets", default=",".join(TARGETS))
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument("--json", type=Path, default=BENCH_DIR / "kms_load_results.json")
    args = parser.parse_args(argv)
    args.targets = [t for t in args.targets.split(",") if t]
    args.ops = [o for o in args.ops.split(",") if o]
    if not args.targets or set(args.targets) - set(TARGETS):
        parser.error(f"--targets: choose from {','.join(TARGETS)}")
    if not args.ops or set(args.ops) - set(OPERATIONS):
        parser.error(f"--ops: choose from {','.join(OPERATIONS)}")
    if args.rounds < 1 or args.threads < 1 or args.connections < args.threads:
        parser.error("need --rounds >= 1 and --connections >= --threads >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # TERM (e.g. from a timeout) unwinds like Ctrl-C, so the servers are stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites(args.targets)
        env = environment(args)
        with running_servers(args) as targets:
            runs = run_all(targets, args)
    except BenchError as exc:
        say(f"kms_load: {exc}")
        return 2
    summary = summarize(runs, args)
    print_rich(summary, args)
    failed = [r for r in runs if r["errors"]]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {"environment": env, "summary": summary, "runs": runs, "goals": goal_checks(summary)},
            indent=1,
        )
    )
    say(f"results written to {args.json}")
    print("\n" + markdown(summary))
    if failed:
        say(f"\n!! {len(failed)} run(s) had errors; their numbers are not a benchmark:")
        for run in failed:
            say(f"!!   round {run['round']} {run['op']} {run['target']}: {error_text(run)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
