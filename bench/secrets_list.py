"""ListSecrets pages with 100 secrets and with 100,000: does a page cost the same?

Usage: `python bench/secrets_list.py [--sizes 100,100000] [--rounds 3] [--samples 30]
[--create-threads 16] [--json PATH]`.

Goal (issue 8, "Speed and scale"): a page of ListSecrets (MaxResults=100) with 100,000
secrets takes at most 2x the time it takes with 100, both for the first page and for a page
deep in the listing, reached by following NextToken.

Method: one Strongroom dev server per size (`kms_load.start_server`, one worker, fresh data
directory), all running at once. The secrets are created through the API, as a client
would: CreateSecret (a 16-byte SecretString, a fresh ClientRequestToken) from
`--create-threads` threads, each with its own keep-alive connection, each request signed
with botocore's SigV4 signer. The whole listing is then walked once by NextToken (its count
and names checked: every secret, once), which gives the token of each page. Timed pages:
the first page, and for a listing of more than one page the middle page and the last full
page. Rounds interleave the servers; in each, each page is asked `--samples` times on a
keep-alive connection, each request freshly signed (signing is outside the timing), the
time running from sending the request to reading the whole answer. The table shows the
median and 90th percentile of all samples, the server's CPU per page (its process tree's
utime+stime over the samples, from /proc, in 10 ms ticks), the CPU the rest of the machine
used meanwhile (others' load: neither this client nor the server), rows and bytes per
page, and the ratio of each median to the median of the first page of the smallest
listing. Every server is stopped on any exit.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import http.client
import importlib.util
import json
import math
import shutil
import signal
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kms_load
from kms_load import BenchError, Operation, Target, say

PAGE = 100
GOAL = 2.0
CREATE = Operation("create", "CreateSecret", "secretsmanager", "CreateSecret", "ARN", lambda t: {})
LIST = Operation("list", "ListSecrets", "secretsmanager", "ListSecrets", "SecretList", lambda t: {})


@dataclasses.dataclass
class Listing:
    """A server holding `size` secrets, and the NextToken of each page kind."""

    size: int
    target: Target
    tokens: dict[str, str | None] = dataclasses.field(default_factory=dict)
    create_seconds: float = 0.0
    walk_ms: list[float] = dataclasses.field(default_factory=list)


class Connection:
    """One keep-alive connection sending signed Secrets Manager requests."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)

    def call(self, op: Operation, params: dict[str, Any]) -> tuple[dict[str, Any], float, int]:
        """(answer, seconds from send to the whole answer read, bytes); BenchError if not 200."""
        request = kms_load.signed(self.target, op, params)
        body = request["body"].encode()
        started = time.perf_counter()
        self.conn.request("POST", "/", body, request["headers"])
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        if response.status != 200:
            raise BenchError(f"{op.action} answered {response.status}: {raw[:300]!r}")
        return json.loads(raw), elapsed, len(raw)

    def close(self) -> None:
        self.conn.close()


def create_secrets(target: Target, size: int, threads: int) -> float:
    """Create `size` secrets through the API from `threads` threads; seconds taken."""
    failures: list[str] = []
    next_index = iter(range(size))
    lock = threading.Lock()

    def worker() -> None:
        conn = Connection(target)
        try:
            while not failures:
                with lock:
                    index = next(next_index, None)
                if index is None:
                    return
                params = {
                    "Name": f"list-{index:07d}",
                    "SecretString": "0123456789abcdef",
                    "ClientRequestToken": str(uuid.uuid4()),
                }
                conn.call(CREATE, params)
        except (BenchError, OSError) as exc:
            failures.append(str(exc))
        finally:
            conn.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    if failures:
        raise BenchError(f"creating secrets: {failures[0]}")
    return time.perf_counter() - started


def page_kinds(size: int) -> dict[str, int]:
    """Page kind -> page index (0-based) timed for a listing of `size` secrets."""
    pages = math.ceil(size / PAGE)
    kinds = {"first": 0}
    if pages > 1:
        kinds["middle"] = pages // 2
        kinds["last"] = size // PAGE - 1  # the last full page
    return kinds


def walk(listing: Listing) -> None:
    """Follow NextToken through the whole listing: check it, keep the tokens to time."""
    wanted = {index: kind for kind, index in page_kinds(listing.size).items()}
    conn, token, index = Connection(listing.target), None, 0
    names: set[str] = set()
    try:
        while True:
            if index in wanted:
                listing.tokens[wanted[index]] = token
            params = {"MaxResults": PAGE} | ({"NextToken": token} if token else {})
            answer, elapsed, _ = conn.call(LIST, params)
            listing.walk_ms.append(elapsed * 1000)
            names.update(entry["Name"] for entry in answer["SecretList"])
            token, index = answer.get("NextToken"), index + 1
            if token is None or index > listing.size:  # the second bound: no endless walk
                break
    finally:
        conn.close()
    expected = {f"list-{i:07d}" for i in range(listing.size)}
    if names != expected:
        raise BenchError(f"listing of {listing.size} gave {len(names)} names, not all of them")


def time_page(listing: Listing, kind: str, samples: int) -> dict[str, Any]:
    """`samples` timed requests for one page, after one untimed; server CPU over them."""
    token = listing.tokens[kind]
    params = {"MaxResults": PAGE} | ({"NextToken": token} if token else {})
    conn = Connection(listing.target)
    try:
        answer, _, _ = conn.call(LIST, params)
        cpu_before = kms_load.tree_cpu_seconds(listing.target.proc.pid)
        own_before, machine_before = kms_load.own_cpu(), kms_load.machine_ticks()
        started = time.time()
        times, size = [], 0
        for _ in range(samples):
            answer, elapsed, size = conn.call(LIST, params)
            times.append(elapsed * 1000)
        cpu = kms_load.tree_cpu_seconds(listing.target.proc.pid) - cpu_before
        own, machine_after = kms_load.own_cpu() - own_before, kms_load.machine_ticks()
    finally:
        conn.close()
    busy = (machine_after[0] - machine_before[0]) / kms_load.CLK_TCK
    others = max(busy - cpu - own, 0.0) / max(time.time() - started, 1e-6)
    return {
        "ms": times,
        "cpu_ms": cpu * 1000,
        "others_cores": others,
        "rows": len(answer["SecretList"]),
        "bytes": size,
    }


@contextlib.contextmanager
def listings(args: argparse.Namespace) -> Iterator[list[Listing]]:
    """One ready server per size, each in its own directory; always stopped."""
    with kms_load.sized_servers("secrets_list-", args.sizes, args.start_timeout) as targets:
        yield [Listing(size, target) for size, target in zip(args.sizes, targets, strict=True)]


def fill(listing: Listing, threads: int) -> None:
    say(f"creating {listing.size:,} secrets ({threads} threads) ...")
    listing.create_seconds = create_secrets(listing.target, listing.size, threads)
    rate = listing.size / listing.create_seconds
    say(f"  {listing.size:,} secrets in {listing.create_seconds:.1f} s ({rate:,.0f}/s)")
    walk(listing)
    say(
        f"  walked {len(listing.walk_ms)} pages, median {statistics.median(listing.walk_ms):.2f} ms"
    )


def run(all_listings: list[Listing], args: argparse.Namespace) -> dict[tuple[int, str], Any]:
    """Interleaved rounds of every page kind of every listing."""
    results: dict[tuple[int, str], dict[str, Any]] = {}
    for rnd in range(1, args.rounds + 1):
        for listing in all_listings:
            for kind in page_kinds(listing.size):
                sample = time_page(listing, kind, args.samples)
                mine = results.setdefault(
                    (listing.size, kind), {"ms": [], "cpu_ms": 0.0, "others": []}
                )
                mine["ms"] += sample["ms"]
                mine["cpu_ms"] += sample["cpu_ms"]
                mine["others"].append(sample["others_cores"])
                mine |= {"rows": sample["rows"], "bytes": sample["bytes"]}
                median = statistics.median(sample["ms"])
                say(
                    f"round {rnd} {listing.size:>7,} {kind:6} median {median:6.2f} ms  "
                    f"others {sample['others_cores']:.2f} cores"
                )
    return results


def summarize(
    results: dict[tuple[int, str], Any], all_listings: list[Listing]
) -> list[dict[str, Any]]:
    """One row per (size, page kind), with its ratio to the smallest listing's first page."""
    base = statistics.median(results[(min(ls.size for ls in all_listings), "first")]["ms"])
    rows = []
    for (size, kind), result in results.items():
        median = statistics.median(result["ms"])
        ordered = sorted(result["ms"])
        rows.append(
            {
                "secrets": size,
                "page": kind,
                "median_ms": median,
                "p90_ms": ordered[min(int(0.9 * len(ordered)), len(ordered) - 1)],
                "server_cpu_ms": result["cpu_ms"] / len(result["ms"]),
                "others_cores": statistics.median(result["others"]),
                "rows": result["rows"],
                "bytes": result["bytes"],
                "ratio": median / base,
            }
        )
    return rows


HEADERS = [
    "secrets",
    "page",
    "median ms",
    "p90 ms",
    "server CPU ms",
    "others' load (cores)",
    "rows",
    "bytes",
]


def markdown(rows: list[dict[str, Any]], base_size: int) -> str:
    headers = [*HEADERS, f"vs {base_size:,} first page"]
    lines = ["| " + " | ".join(headers) + " |", "|---:|---|" + "---:|" * (len(headers) - 2)]
    for row in rows:
        cells = [
            f"{row['secrets']:,}",
            row["page"],
            f"{row['median_ms']:.2f}",
            f"{row['p90_ms']:.2f}",
            f"{row['server_cpu_ms']:.2f}",
            f"{row['others_cores']:.2f}",
            str(row["rows"]),
            f"{row['bytes']:,}",
            f"{row['ratio']:.2f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def check_prerequisites() -> None:
    """The strongroom command and botocore (for signing); nothing is installed."""
    missing = []
    if shutil.which("strongroom") is None:
        missing.append("strongroom command (pip install -e . at the repository root)")
    if importlib.util.find_spec("botocore") is None:
        missing.append("python module botocore (pip install boto3)")
    if missing:
        raise BenchError("missing prerequisites:\n  - " + "\n  - ".join(missing))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,100000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--samples", type=int, default=30, help="timed requests per page/round")
    parser.add_argument("--create-threads", type=int, default=16)
    parser.add_argument("--start-timeout", type=float, default=60.0)
    parser.add_argument(
        "--json", type=Path, default=kms_load.BENCH_DIR / "results" / "secrets_list.json"
    )
    args = parser.parse_args(argv)
    try:
        args.sizes = sorted({int(s) for s in args.sizes.split(",") if s})
    except ValueError:
        parser.error("--sizes: numbers separated by commas")
    if not args.sizes or min(args.sizes) < PAGE or args.rounds < 1 or args.samples < 1:
        parser.error(f"need sizes >= {PAGE}, --rounds >= 1, --samples >= 1")
    if args.create_threads < 1:
        parser.error("--create-threads: 1 or more")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        check_prerequisites()
        with listings(args) as all_listings:
            for listing in all_listings:
                fill(listing, args.create_threads)
            results = run(all_listings, args)
    except BenchError as exc:
        say(f"secrets_list: {exc}")
        return 2
    rows = summarize(results, all_listings)
    creation = {ls.size: ls.create_seconds for ls in all_listings}
    walks = {ls.size: statistics.median(ls.walk_ms) for ls in all_listings}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
                "python": sys.version.split()[0],
                "settings": {k: v for k, v in vars(args).items() if k != "json"},
                "rows": rows,
                "create_seconds": creation,
                "walk_median_ms": walks,
            },
            indent=1,
        )
    )
    print(markdown(rows, args.sizes[0]))
    print("\nwhole walk by NextToken, each page once, right after creation (median per page):")
    print(", ".join(f"{size:,} secrets {ms:.2f} ms" for size, ms in walks.items()))
    largest = [row for row in rows if row["secrets"] == args.sizes[-1]]
    met = all(row["ratio"] <= GOAL for row in largest)
    verdict = "MET " if met else "MISS"
    print(f"\n{verdict} every timed page of {args.sizes[-1]:,} secrets <= {GOAL:g}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
