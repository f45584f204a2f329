"""Randomness doubles for tests and vector generators (house rule 7: randomness is injected).

`ScriptedRandom` hands out exactly the chunks given, in order, so formats can be pinned to
golden bytes; `RecordingRandom` is the real CSPRNG that remembers what it handed out, so a
test can look for those bytes where they must never appear (storage, files).
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from collections.abc import Callable


class ScriptedRandom:
    """A RandomBytes handing out exactly the scripted chunks, in order, and nothing more."""

    def __init__(self, *chunks: bytes) -> None:
        self._chunks: deque[bytes] = deque(chunks)

    def push(self, *chunks: bytes) -> None:
        """Script more chunks."""
        self._chunks.extend(chunks)

    def __call__(self, n: int) -> bytes:
        if not self._chunks:
            raise AssertionError(f"unscripted call for {n} random bytes")
        chunk = self._chunks.popleft()
        if len(chunk) != n:
            raise AssertionError(f"asked for {n} random bytes, scripted {len(chunk)}")
        return chunk

    def exhausted(self) -> bool:
        """Whether every scripted chunk was used."""
        return not self._chunks


class RecordingRandom:
    """The operating system's CSPRNG, remembering everything it handed out."""

    def __init__(self) -> None:
        self.handed_out: list[bytes] = []

    def __call__(self, n: int) -> bytes:
        out = os.urandom(n)
        self.handed_out.append(out)
        return out


def counter_random(seed: bytes) -> Callable[[int], bytes]:
    """Deterministic bytes: SHA-256(seed || 8-byte counter) blocks, for known-answer messages."""
    counter = 0

    def random_bytes(length: int) -> bytes:
        nonlocal counter
        out = b""
        while len(out) < length:
            out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
            counter += 1
        return out[:length]

    return random_bytes


def labelled_bytes(seed: str, label: str, n: int) -> bytes:
    """n reproducible bytes for `label` under `seed` (SHAKE-256), for vector inputs."""
    return hashlib.shake_256(f"{seed} {label}".encode()).digest(n)
