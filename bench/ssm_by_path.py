"""GetParametersByPath with 1,000 parameters and with 100,000: does a call cost the same?

Usage: `python bench/ssm_by_path.py [--sizes 1000,100000] [--rounds 3] [--samples 100]
[--create-threads 16] [--json PATH]`.

Goal (issue 9, "Speed and scale"): GetParametersByPath over 100,000 parameters, of which
10 are under the path asked for, takes at most 2x the time it takes with 1,000.

Method: one Strongroom dev server per size (`kms_load.start_server`, one worker, fresh data
directory), all running at once. The parameters are created through the API, as a client
would: PutParameter (Type String, a 32-character value) from `--create-threads` threads,
each with its own keep-alive connection, each request signed with botocore's SigV4 signer;
every answer must be 200 with Version 1. They are laid out as services of 10 parameters
each, `/bench/svc-<5 digits>/key-<0..9>` (100 services for 1,000, 10,000 for 100,000), so
every size has exactly 10 parameters under the path asked for, the middle service's, with
as many parameters named before it as after. Two calls are timed: one level (Recursive
false) and Recursive true, MaxResults 10 (one page, no NextToken), each answer checked: the
10 names, no more. Rounds interleave the servers; in each, each call is made `--samples`
times on a keep-alive connection after one untimed call, each request freshly signed
(signing is outside the timing), the time running from sending the request to reading the
whole answer. The table shows the median and 90th percentile of all samples, the server's
CPU per call (its process tree's utime+stime over the samples, from /proc, in 10 ms ticks),
the CPU the rest of the machine used meanwhile (others' load: neither this client nor the
server), and each median over the median of the same call with the smallest size. Every
server is stopped on any exit.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import signal
import statistics
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kms_load
from kms_load import BenchError, Operation, Target, say
from secrets_list import Connection, check_prerequisites

PER_PATH = 10
GOAL = 2.0
VALUE = "0123456789abcdef0123456789abcdef"
PUT = Operation("put", "PutParameter", "ssm", "PutParameter", "Version", lambda t: {})
BY_PATH = Operation(
    "bypath", "GetParametersByPath", "ssm", "GetParametersByPath", "Parameters", lambda t: {}
)
CALLS = {"one level": False, "recursive": True}  # call kind -> Recursive
PROGRESS_EVERY = 10_000


@dataclasses.dataclass
class Store:
    """A server holding `size` parameters."""

    size: int
    target: Target
    create_seconds: float = 0.0

    @property
    def services(self) -> int:
        return self.size // PER_PATH

    @property
    def path(self) -> str:
        """The path asked for: the middle service's."""
        return service_path(self.services // 2)

    @property
    def expected(self) -> list[str]:
        return [f"{self.path}/key-{k}" for k in range(PER_PATH)]


def service_path(index: int) -> str:
    return f"/bench/svc-{index:05d}"


def parameter_name(index: int) -> str:
    """The `index`th parameter: service index // 10, key index % 10."""
    return f"{service_path(index // PER_PATH)}/key-{index % PER_PATH}"


def create_parameters(target: Target, size: int, threads: int) -> float:
    """Create `size` parameters through the API from `threads` threads; seconds taken."""
    failures: list[str] = []
    next_index = iter(range(size))
    lock = threading.Lock()
    started = time.perf_counter()

    def worker() -> None:
        conn = Connection(target)
        try:
            while not failures:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                params = {"Name": parameter_name(index), "Value": VALUE, "Type": "String"}
                answer, _, _ = conn.call(PUT, params)
                if answer.get("Version") != 1:
                    raise BenchError(f"PutParameter {params['Name']} answered {answer}")
                if index and index % PROGRESS_EVERY == 0:
                    say(f"  {index:,} ... ({time.perf_counter() - started:.0f} s)")
        except (BenchError, OSError) as exc:
            failures.append(str(exc))
        finally:
            conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if failures:
        raise BenchError(f"creating parameters: {failures[0]}")
    return time.perf_counter() - started


def call_once(conn: Connection, store: Store, recursive: bool) -> tuple[float, int]:
    """One GetParametersByPath of the store's path, checked; (seconds, answer bytes)."""
    params = {"Path": store.path, "Recursive": recursive, "MaxResults": PER_PATH}
    answer, elapsed, size = conn.call(BY_PATH, params)
    names = [entry["Name"] for entry in answer["Parameters"]]
    if names != store.expected or "NextToken" in answer:
        raise BenchError(f"{store.size:,}: {store.path} answered {names} {answer.get('NextToken')}")
    return elapsed, size


def time_call(store: Store, kind: str, samples: int) -> dict[str, Any]:
    """`samples` timed calls, after one untimed; server CPU and others' load over them."""
    conn = Connection(store.target)
    pid = store.target.proc.pid
    try:
        call_once(conn, store, CALLS[kind])
        cpu_before = kms_load.tree_cpu_seconds(pid)
        own_before, machine_before = kms_load.own_cpu(), kms_load.machine_ticks()
        started = time.time()
        times, size = [], 0
        for _ in range(samples):
            elapsed, size = call_once(conn, store, CALLS[kind])
            times.append(elapsed * 1000)
        cpu = kms_load.tree_cpu_seconds(pid) - cpu_before
        own, machine_after = kms_load.own_cpu() - own_before, kms_load.machine_ticks()
    finally:
        conn.close()
    busy = (machine_after[0] - machine_before[0]) / kms_load.CLK_TCK
    others = max(busy - cpu - own, 0.0) / max(time.time() - started, 1e-6)
    return {"ms": times, "cpu_ms": cpu * 1000, "others_cores": others, "bytes": size}


@contextlib.contextmanager
def stores(args: argparse.Namespace) -> Iterator[list[Store]]:
    """One ready server per size, each in its own directory; always stopped."""
    with kms_load.sized_servers("ssm_by_path-", args.sizes, args.start_timeout) as targets:
        yield [Store(size, target) for size, target in zip(args.sizes, targets, strict=True)]


def fill(store: Store, threads: int) -> None:
    say(f"creating {store.size:,} parameters ({threads} threads) ...")
    store.create_seconds = create_parameters(store.target, store.size, threads)
    rate = store.size / store.create_seconds
    say(f"  {store.size:,} parameters in {store.create_seconds:.1f} s ({rate:,.0f}/s)")


def run(all_stores: list[Store], args: argparse.Namespace) -> dict[tuple[int, str], Any]:
    """Interleaved rounds of every call kind on every server."""
    results: dict[tuple[int, str], dict[str, Any]] = {}
    for rnd in range(1, args.rounds + 1):
        for store in all_stores:
            for kind in CALLS:
                sample = time_call(store, kind, args.samples)
                mine = results.setdefault((store.size, kind), {"ms": [], "cpu_ms": 0.0})
                mine.setdefault("others", []).append(sample["others_cores"])
                mine["ms"] += sample["ms"]
                mine["cpu_ms"] += sample["cpu_ms"]
                mine["bytes"] = sample["bytes"]
                say(
                    f"round {rnd} {store.size:>7,} {kind:9} "
                    f"median {statistics.median(sample['ms']):6.2f} ms  "
                    f"others {sample['others_cores']:.2f} cores"
                )
    return results


def summarize(results: dict[tuple[int, str], Any], smallest: int) -> list[dict[str, Any]]:
    """One row per (size, call kind), with its ratio to the smallest size's same call."""
    rows = []
    for (size, kind), result in results.items():
        median = statistics.median(result["ms"])
        ordered = sorted(result["ms"])
        rows.append(
            {
                "parameters": size,
                "call": kind,
                "median_ms": median,
                "p90_ms": ordered[min(int(0.9 * len(ordered)), len(ordered) - 1)],
                "server_cpu_ms": result["cpu_ms"] / len(result["ms"]),
                "others_cores": statistics.median(result["others"]),
                "bytes": result["bytes"],
                "ratio": median / statistics.median(results[(smallest, kind)]["ms"]),
            }
        )
    return rows


def markdown(rows: list[dict[str, Any]], smallest: int) -> str:
    headers = [
        "parameters",
        "call",
        "median ms",
        "p90 ms",
        "server CPU ms",
        "others' load (cores)",
        "bytes",
        f"vs {smallest:,}",
    ]
    lines = ["| " + " | ".join(headers) + " |", "|---:|---|" + "---:|" * (len(headers) - 2)]
    for row in rows:
        cells = [
            f"{row['parameters']:,}",
            row["call"],
            f"{row['median_ms']:.2f}",
            f"{row['p90_ms']:.2f}",
            f"{row['server_cpu_ms']:.2f}",
            f"{row['others_cores']:.2f}",
            f"{row['bytes']:,}",
            f"{row['ratio']:.2f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=100, help="timed calls per kind/round")
    parser.add_argument("--create-threads", type=int, default=16)
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument(
        "--json", type=Path, default=kms_load.BENCH_DIR / "results" / "ssm_by_path.json"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    except ValueError:
        parser.error("--sizes: numbers separated by commas")
    if not args.sizes or any(s < PER_PATH or s % PER_PATH for s in args.sizes):
        parser.error(f"--sizes: multiples of {PER_PATH}")
    if args.sizes[-1] > PER_PATH * 100_000:
        parser.error(f"--sizes: at most {PER_PATH * 100_000:,} (5-digit service numbers)")
    if args.rounds < 1 or args.samples < 1 or args.create_threads < 1:
        parser.error("need --rounds, --samples and --create-threads >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites()
        with stores(args) as all_stores:
            for store in all_stores:
                fill(store, args.create_threads)
            results = run(all_stores, args)
    except BenchError as exc:
        say(f"ssm_by_path: {exc}")
        return 2
    rows = summarize(results, args.sizes[0])
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "settings": {k: v for k, v in vars(args).items() if k != "json"},
                "rows": rows,
                "create_seconds": {s.size: s.create_seconds for s in all_stores},
            },
            indent=1,
        )
    )
    print(markdown(rows, args.sizes[0]))
    print(
        "\ncreated through the API: "
        + ", ".join(
            f"{s.size:,} in {s.create_seconds:.1f} s ({s.size / s.create_seconds:,.0f}/s)"
            for s in all_stores
        )
    )
    largest = [row for row in rows if row["parameters"] == args.sizes[-1]]
    met = all(row["ratio"] <= GOAL for row in largest)
    verdict = "MET " if met else "MISS"
    print(f"\n{verdict} every call with {args.sizes[-1]:,} parameters <= {GOAL:g}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
