"""A test module's own server, and for each test a region no other test uses.

A region is a separate namespace on the server, so every listing a test makes sees only
what that test created, without a server per test. The fixtures are made here and bound
by the module under the names it uses: `server`, `region`, and clients (of `server`, in
`region`) named as the module likes.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.harness import ServerProcess


def own_server(folder: str) -> Callable[..., Iterator[ServerProcess]]:
    """A module-scoped `server` fixture: this module's own dev server."""

    @pytest.fixture(scope="module", name="server")
    def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
        process = ServerProcess(tmp_path_factory.mktemp(folder)).start()
        yield process
        process.stop()

    return server


def fresh_region(prefix: str) -> Callable[[], str]:
    """A `region` fixture: `<prefix>-1`, `<prefix>-2`, ... one per test, an empty namespace."""
    numbers = itertools.count(1)

    @pytest.fixture(name="region")
    def region() -> str:
        return f"{prefix}-{next(numbers)}"

    return region


def region_client(service: str, *, validate: bool = True) -> Callable[..., Any]:
    """A fixture: a `service` client of `server` in the test's `region` (`validate=False`:
    without botocore's own parameter checks)."""

    @pytest.fixture
    def client(server: ServerProcess, region: str) -> Any:
        return server.client(service, validate=validate, region_name=region)

    return client
