"""The dev-only service clock, moved with `POST /sys/dev/clock` (unsigned, dev mode).

The call shifts the server's service clock to real time + an offset and runs one
scheduler tick before it answers, so an effect due by then is done when it returns. The
answer says whether this process led that tick: with several processes, another may hold
the scheduler's lease.
"""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

from tests.e2e.harness import ServerProcess


def set_clock(server: ServerProcess, offset: float) -> dict[str, Any]:
    """Move the service clock to real time + `offset`; the answer, after one tick."""
    request = urllib.request.Request(
        f"{server.endpoint_url}/sys/dev/clock",
        data=json.dumps({"offset_seconds": offset}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer: dict[str, Any] = json.loads(response.read())
    assert answer["offset_seconds"] == offset
    return answer


def tick_at(server: ServerProcess, offset: float, seconds: float = 15.0) -> dict[str, Any]:
    """`set_clock` again until this process ran the tick (bounded by `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        answer = set_clock(server, offset)
        if answer["scheduler_ran"] or time.monotonic() > deadline:
            assert answer["scheduler_ran"], answer
            return answer
        time.sleep(0.05)
