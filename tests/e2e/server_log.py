"""A test server whose stderr goes to a file, and what the tests read in it.

A module that feeds a server bad input shares one such server among its tests; each test
remembers how long the log was when it began (`len(log_of(server))`) and reads only what
came after, so a traceback is blamed on the test whose request caused it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import ServerProcess


def logging_server(folder: str) -> Callable[..., Iterator[ServerProcess]]:
    """A module-scoped `server` fixture: one dev server, its stderr in a file."""

    @pytest.fixture(scope="module", name="server")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
        place = tmp_path_factory.mktemp(folder)
        process = ServerProcess(place / "data", stderr_path=place / "stderr.log").start()
        yield process
        process.stop()

    return server


def log_of(server: ServerProcess, since: int = 0) -> str:
    """The server's stderr from character `since` on."""
    assert server.stderr_path is not None
    return Path(server.stderr_path).read_text(errors="replace")[since:]


def assert_no_traceback(server: ServerProcess, since: int = 0) -> None:
    """Nothing the server logged from `since` on is a traceback."""
    log = log_of(server, since)
    assert "Traceback" not in log, log[-4000:]
