"""Fixtures that start real Strongroom servers for end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import ServerProcess


@pytest.fixture(scope="session")
def strongroom_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One dev server shared by the session's tests (state is per key, not reset)."""
    server = ServerProcess(tmp_path_factory.mktemp("strongroom-shared")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kms(strongroom_server: ServerProcess) -> Any:
    """A boto3 KMS client for the shared server."""
    return strongroom_server.client("kms")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start private servers (stopped at the end); `data_dir` defaults to a fresh folder."""
    started: list[ServerProcess] = []

    def start(data_dir: Path | None = None, **kwargs: Any) -> ServerProcess:
        wait_for = kwargs.pop("wait_for", (200,))
        server = ServerProcess(data_dir or tmp_path / f"data{len(started)}", **kwargs)
        started.append(server)
        return server.start(wait_for=wait_for)

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def raw_kms(strongroom_server: ServerProcess) -> Any:
    """A KMS client that sends bad input unchecked, to test the server's own validation."""
    return strongroom_server.client("kms", validate=False)
