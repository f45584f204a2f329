"""A view that counts what its scans hand out, so a test can tell where a scan stopped.

It stands over a fresh barrier on memory storage, as a service's repository would.
"""

from __future__ import annotations

from collections.abc import Iterator

from strongroom.barrier import Barrier, View
from strongroom.storage.memory import MemoryStorage


class CountingView(View):
    """A view that counts the entries its scans hand out."""

    pulled = 0

    def scan(
        self, prefix: str, *, start_after: str | None = None, limit: int | None = None
    ) -> Iterator[tuple[str, bytes]]:
        for entry in super().scan(prefix, start_after=start_after, limit=limit):
            self.pulled += 1
            yield entry


def counting_view(prefix: str) -> CountingView:
    """A counting view at `prefix` of a fresh, initialized barrier on memory storage."""
    barrier = Barrier(MemoryStorage())
    barrier.initialize(bytes(range(32)))
    return CountingView(barrier, prefix)
