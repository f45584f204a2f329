"""Who this process is, so that others can tell whether a holder of something is gone.

The scheduler's leader lease and the rotation engine's claims name their holder as
`<machine>/<pid>/<token>`, where the machine is the host name, the kernel's boot id and
the PID namespace: two containers with one host name, or one host after a reboot, are
different machines. `is_gone(holder)` is True only for a holder of this same machine
whose process no longer runs (a crash, `kill -9`), so what it held can be taken at once
instead of after its lease lapses; anything else (another machine, a live process, an id
of another form) is not known to be gone.
"""

from __future__ import annotations

import functools
import os
import socket


@functools.cache
def _machine() -> str:
    parts = [socket.gethostname()]
    try:
        with open("/proc/sys/kernel/random/boot_id") as boot:
            parts.append(boot.read().strip())
        parts.append(str(os.stat("/proc/self/ns/pid").st_ino))
    except OSError:
        return "?"  # no /proc: never claim to know that a holder is gone
    return ":".join(parts).replace("/", "_")


def holder_id(token: str) -> str:
    """This process's holder id; `token` makes it unique to this start."""
    return f"{_machine()}/{os.getpid()}/{token}"


def is_gone(holder: str) -> bool:
    """Whether `holder` was a process of this machine that has ended."""
    machine, _, rest = holder.partition("/")
    pid, _, _ = rest.partition("/")
    if machine == "?" or machine != _machine() or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False
