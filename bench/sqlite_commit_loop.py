"""The floor under PutSecretValue: bare SQLite commits of one row each, as durable as Strongroom's.

Usage: `python bench/sqlite_commit_loop.py --dir DIR [--threads 32] [--duration 10]
[--value-bytes 1024] [--private-connections]`; prints one line `SQLITE_JSON {...}`.
`bench/kms_load.py` runs it as its `sqlite` target beside PutSecretValue, in the same round.

Each of `--threads` threads loops `BEGIN IMMEDIATE; INSERT one row; COMMIT` for
`--duration` seconds on a fresh file in DIR (put DIR on the filesystem the server's data
directory is on). Durability is Strongroom's (`strongroom.storage.sqlite._configure`, read,
not imported, so this stays a bare loop): `journal_mode=WAL`, `synchronous=FULL` (the WAL
is fsynced at every commit), `fullfsync=ON`, `secure_delete=ON`, `busy_timeout` 5 s, and
its table, `entries (path TEXT PRIMARY KEY, value BLOB) WITHOUT ROWID`. The threads share
one connection behind a lock, which is how one Strongroom process holds its store;
`--private-connections` gives each thread its own (32 connections, as 32 client processes
would have): SQLite then serializes them itself, and a writer that finds the lock taken
sleeps in SQLite's busy handler (1 ms to 100 ms steps), so the order is unfair and the tail
long.

Invariants: every counted commit has returned from `COMMIT` (so it is fsynced); keys never
repeat, so every commit inserts a row; a commit's latency includes its wait for the write
lock; the file is deleted afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA fullfsync=ON",
    "PRAGMA secure_delete=ON",
)
TABLE = "CREATE TABLE entries (path TEXT NOT NULL PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID"
INSERT = "INSERT INTO entries (path, value) VALUES (?, ?)"
BUSY_TIMEOUT = 5.0


def connect(path: Path) -> sqlite3.Connection:
    """A connection with Strongroom's durability settings (checked: WAL must take)."""
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
    )
    for pragma in PRAGMAS:
        conn.execute(pragma)
    if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        raise RuntimeError(f"{path}: WAL journal refused")
    if conn.execute("PRAGMA synchronous").fetchone()[0] != 2:  # 2 = FULL
        raise RuntimeError(f"{path}: synchronous=FULL refused")
    return conn


class Loop:
    """`threads` writers committing one row per transaction until `deadline`."""

    def __init__(self, path: Path, threads: int, value_bytes: int, shared: bool) -> None:
        self.path = path
        self.value = os.urandom(value_bytes)
        self.shared = connect(path) if shared else None
        self.lock = threading.Lock()
        self.latencies: list[list[float]] = [[] for _ in range(threads)]
        self.failures: list[str] = []
        self.deadline = 0.0

    def commit(self, conn: sqlite3.Connection, key: str) -> None:
        """One durable transaction of one row."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(INSERT, (key, self.value))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def writer(self, index: int) -> None:
        conn = self.shared or connect(self.path)
        mine, n = self.latencies[index], 0
        try:
            while (start := time.perf_counter()) < self.deadline:
                if self.shared is not None:
                    with self.lock:
                        self.commit(conn, f"t{index}/{n}")
                else:
                    self.commit(conn, f"t{index}/{n}")
                mine.append(time.perf_counter() - start)
                n += 1
        except sqlite3.Error as exc:
            self.failures.append(f"thread {index}: {exc}")
        finally:
            if self.shared is None:
                conn.close()


def run_loop(
    directory: Path, threads: int, duration: float, value_bytes: int, shared: bool = True
) -> dict[str, Any]:
    """Run the loop in a fresh file under `directory`; commits/s, latencies (µs), CPU."""
    with tempfile.TemporaryDirectory(dir=directory, prefix="sqlite-loop-") as tmp:
        path = Path(tmp) / "loop.db"
        setup = connect(path)
        setup.execute(TABLE)
        setup.close()
        loop = Loop(path, threads, value_bytes, shared)
        workers = [threading.Thread(target=loop.writer, args=(i,)) for i in range(threads)]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        loop.deadline = started + duration
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
        check = connect(path)
        rows = check.execute("SELECT count(*) FROM entries").fetchone()[0]
        check.close()
        if loop.shared is not None:
            loop.shared.close()
    return _result(loop, elapsed, cpu, rows, threads, value_bytes, shared)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _result(
    loop: Loop, elapsed: float, cpu: float, rows: int, threads: int, value_bytes: int, shared: bool
) -> dict[str, Any]:
    samples = sorted(s for per_thread in loop.latencies for s in per_thread)
    commits = len(samples)

    def pct(p: float) -> float:
        return samples[min(int(p / 100 * commits), commits - 1)] * 1e6 if samples else 0.0

    return {
        "commits": commits,
        "rows": rows,
        "duration_s": elapsed,
        "rps": commits / elapsed,
        "cpu_s": cpu,
        "cpu_us_per_commit": cpu * 1e6 / max(commits, 1),
        "latency_us": {
            "mean": statistics.fmean(samples) * 1e6 if samples else 0.0,
            "p50": pct(50),
            "p90": pct(90),
            "p99": pct(99),
            "max": samples[-1] * 1e6 if samples else 0.0,
        },
        "failures": loop.failures + ([f"{rows} rows for {commits} commits"] * (rows != commits)),
        "settings": {
            "threads": threads,
            "value_bytes": value_bytes,
            "shared_connection": shared,
            "pragmas": list(PRAGMAS),
            "busy_timeout_s": BUSY_TIMEOUT,
            "sqlite": sqlite3.sqlite_version,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--value-bytes", type=int, default=1024)
    parser.add_argument("--private-connections", action="store_true")
    args = parser.parse_args(argv)
    if args.threads < 1 or args.duration <= 0 or args.value_bytes < 1:
        parser.error("need --threads >= 1, --duration > 0, --value-bytes >= 1")
    result = run_loop(
        args.dir, args.threads, args.duration, args.value_bytes, not args.private_connections
    )
    print("SQLITE_JSON " + json.dumps(result), flush=True)
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
