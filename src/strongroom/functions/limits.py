"""The limits an invocation runs under, and how its memory is measured.

Memory is enforced from the server: every `POLL_SECONDS` it sums the resident set size
(RSS) of the function's process tree from /proc and kills the process group once the sum
passes MemorySize, as Lambda kills a sandbox that passes its memory. RSS is what the
function holds; its address space is not. Measured on Python 3.11: a function that
imports boto3 and makes a client holds 52 MiB but maps 131 MiB, and with 8 or 32 threads
(a 64 MiB malloc arena and an 8 MiB stack reserved each) it maps 623 or 1082 MiB while
holding 53: RLIMIT_AS at MemorySize would break it even at 128 MB with no thread at all.
RLIMIT_AS is set only as a backstop, MemorySize plus `ADDRESS_SPACE_HEADROOM_MB`, so one
huge allocation fails at once (MemoryError, reported as out of memory) instead of
growing between two polls. Shared pages of a fork count once per process, as RSS does.
"""

from __future__ import annotations

import os

MIB = 1024 * 1024

INIT_SECONDS = 10.0
"""Lambda's limit on the init phase (start the interpreter, import the handler)."""
POLL_SECONDS = 0.01
"""How often the process tree's memory is measured (and the deadline checked)."""
GRACE_SECONDS = 2.0
"""How long to wait for a process to exit after its result, and for its output to end."""
ADDRESS_SPACE_HEADROOM_MB = 4096
OPEN_FILES = 1024
"""Lambda's file descriptor limit."""

MAX_UNPACKED_BYTES = 262_144_000
"""Lambda's limit on a deployment package, unzipped (250 MiB)."""
MAX_PACKAGE_ENTRIES = 100_000
MAX_LINK_TARGET_BYTES = 4096

MAX_RESPONSE_BYTES = 6_291_556
"""Lambda's limit on a synchronous response payload."""
MAX_ERROR_BYTES = 1024 * 1024
"""An error document larger than this is not one the runtime wrote."""

LOG_TAIL_BYTES = 4096
MAX_LINE_BYTES = 16 * 1024
"""A longer line of output is cut to this length in the log."""
MAX_LOGGED_BYTES = 1024 * 1024
"""Output past this much per invocation stays out of the server log (still drained)."""

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def address_space_bytes(memory_mb: int) -> int:
    """RLIMIT_AS for a function of `memory_mb`: the backstop, not the limit."""
    return (memory_mb + ADDRESS_SPACE_HEADROOM_MB) * MIB


def tree_rss_bytes(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants (0 once they are gone).

    Descendants come from /proc/<pid>/task/<tid>/children; a process that vanishes while
    it is read counts as zero.
    """
    total = 0
    pending = [pid]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        total += _rss_bytes(current)
        pending.extend(_children(current))
    return total


def _rss_bytes(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def _children(pid: int) -> list[int]:
    children: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return children
    for tid in tasks:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as listing:
                children.extend(int(child) for child in listing.read().split())
        except (OSError, ValueError):
            continue
    return children
