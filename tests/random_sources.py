"""Randomness doubles for tests and vector generators (house rule 7: randomness is injected).

`ScriptedRandom` hands out exactly the chunks given, in order, so formats can be pinned to
golden bytes; `RecordingRandom` is the real CSPRNG that remembers what it handed out, so a
test can look for those bytes where they must never appear (storage, files).
"""

from __future__ import annotations

import os
from collections import deque


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
