"""Fixtures for production-mode servers: initialized data directories, private copies."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e.production.support import Init, StartServer, close_clients, run_init


@pytest.fixture(scope="module")
def initialized(tmp_path_factory: pytest.TempPathFactory) -> Init:
    """One initialized data directory; tests work on copies of it."""
    return run_init(tmp_path_factory.mktemp("operator-init") / "data")


@pytest.fixture(scope="module")
def other_init(tmp_path_factory: pytest.TempPathFactory) -> Init:
    """A second, unrelated initialization: its shares belong to another root key."""
    return run_init(tmp_path_factory.mktemp("operator-other") / "data")


@pytest.fixture
def fresh(initialized: Init, tmp_path: Path) -> Init:
    """A private copy of the initialized data directory (never started before)."""
    data_dir = tmp_path / "data"
    shutil.copytree(initialized.data_dir, data_dir)
    return replace(initialized, data_dir=data_dir, ca_path=data_dir / "tls" / "ca.pem")


@pytest.fixture(autouse=True)
def _close_clients(start_server: StartServer) -> Iterator[None]:
    """Close boto3 clients before the servers stop (set up after start_server, so first)."""
    yield
    close_clients()
