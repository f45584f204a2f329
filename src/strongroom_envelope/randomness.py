"""The one source of randomness of the envelope SDK.

Data keys, message ids and wrapping IVs all come from `random_bytes`, so tests can replace
it to produce known-answer messages. It is the operating system CSPRNG; nothing else.
"""

from __future__ import annotations

import os

__all__ = ["random_bytes"]


def random_bytes(length: int) -> bytes:
    """Return `length` bytes from the operating system's CSPRNG."""
    return os.urandom(length)
