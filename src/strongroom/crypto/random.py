"""The one source of randomness, injectable so tests can drive it (house rule 7)."""

from __future__ import annotations

import secrets
from collections.abc import Callable

RandomBytes = Callable[[int], bytes]
"""A function returning n unpredictable bytes."""

system_random: RandomBytes = secrets.token_bytes
"""The operating system's CSPRNG."""


def random_bytes(n: int) -> bytes:
    """n bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(n)
