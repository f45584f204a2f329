"""What the events tests feed the outbox and the deliverer, so their answers are fixed.

A clock a test sets, a random source counting up (event ids come out in order), and a
sample Parameter Store change event.
"""

from __future__ import annotations

import itertools

from strongroom.crypto import RandomBytes
from strongroom.events import make_event

T0 = 1796284800.0


class Clock:
    """A settable clock."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def counting_random() -> RandomBytes:
    """Random bytes that count 1, 2, 3, ... (each call's number, big-endian)."""
    counter = itertools.count(1)
    return lambda n: next(counter).to_bytes(n, "big")


def change_event(name: str, now: float = T0) -> dict[str, object]:
    """A "Parameter Store Change" event (an Update) of the parameter `name`, at `now`."""
    return make_event(
        "Parameter Store Change",
        "aws.ssm",
        "123456789012",
        "us-east-1",
        [f"arn:aws:ssm:us-east-1:123456789012:parameter{name}"],
        {"operation": "Update", "name": name},
        now,
        counting_random(),
    )
