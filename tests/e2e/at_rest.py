"""What a server's data directory holds at rest, read behind the server's back.

Every file is read whole (database, `-wal`, `-shm`, anything else). Stored records are
read through a read-only SQLite connection while the server runs, and remembered by their
last 32 bytes (ciphertext and tag: random, so unique to that record), so that a test can
tell which files still hold a record once it should be gone, the WAL included.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


def data_files(data_dir: Path) -> dict[str, bytes]:
    """Every file under the data directory, by its path there, read whole."""
    return {
        str(p.relative_to(data_dir)): p.read_bytes() for p in data_dir.rglob("*") if p.is_file()
    }


@contextlib.contextmanager
def read_only(data_dir: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the server's SQLite database."""
    uri = f"file:{data_dir / 'strongroom.db'}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as db:
        yield db


def tails_of(rows: list[tuple[str, bytes]]) -> dict[str, bytes]:
    """Stored path -> the last 32 bytes of its record, from (path, value) rows."""
    return {path: bytes(value[-32:]) for path, value in rows}


def files_holding(data_dir: Path, remembered: dict[str, bytes]) -> dict[str, list[str]]:
    """Stored path -> the data directory's files that still hold its record's tail."""
    contents = data_files(data_dir)
    found = {
        path: sorted(name for name, data in contents.items() if tail in data)
        for path, tail in remembered.items()
    }
    return {path: names for path, names in found.items() if names}


def settled(probe: Callable[[], Any], seconds: float = 10.0) -> Any:
    """Poll until `probe()` is empty (the server acting in the background: a scrub, a
    destruction); its last value, for the caller's assertion, once `seconds` have passed."""
    deadline = time.monotonic() + seconds
    value = probe()
    while value and time.monotonic() < deadline:
        time.sleep(0.05)
        value = probe()
    return value
