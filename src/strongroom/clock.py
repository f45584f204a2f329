"""Time, injected (house rule 7): every component asks a `Clock`, never `time` itself."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass(slots=True)
class Clock:
    """Wall-clock seconds since the epoch, optionally shifted (dev and tests only)."""

    offset_seconds: float = 0.0

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time() + self.offset_seconds
