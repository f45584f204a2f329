"""Where the envelope commands read and write: stdin/stdout or files, never partial output.

An output file is written to a hidden temporary file beside it, fsynced and renamed onto
the target only when the whole message succeeded; on any failure the temporary file is
removed. The progress bar (rich, on stderr) never mixes with output on stdout.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click

__all__ = ["PROGRESS_MIN_BYTES", "open_destination", "open_source", "progress_bar"]

PROGRESS_MIN_BYTES = 8 * 1024 * 1024


@contextlib.contextmanager
def open_source(path: str) -> Iterator[tuple[IO[bytes], int | None]]:
    """stdin, or the file at `path`, with its size when it is a regular file."""
    if path == "-":
        yield sys.stdin.buffer, None
        return
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from exc
    with handle:
        info = os.fstat(handle.fileno())
        yield handle, info.st_size if stat.S_ISREG(info.st_mode) else None


@contextlib.contextmanager
def open_destination(path: str) -> Iterator[IO[bytes]]:
    """stdout, or a temporary file renamed onto `path` only if the block succeeds."""
    if path == "-":
        yield sys.stdout.buffer
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    try:
        fd, temp = tempfile.mkstemp(
            dir=target.parent or ".", prefix=f".{target.name}.", suffix=".partial"
        )
    except OSError as exc:
        raise click.FileError(path, exc.strerror) from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


@contextlib.contextmanager
def progress_bar(
    enabled: bool | None, size: int | None, label: str
) -> Iterator[Callable[[int], object] | None]:
    """A rich progress callback on stderr (by default only on a terminal, for large input)."""
    if enabled is None:
        enabled = sys.stderr.isatty() and size is not None and size >= PROGRESS_MIN_BYTES
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=size)
        yield lambda done: bar.update(task, completed=done)
