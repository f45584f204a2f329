"""Barrier tests run over every embedded storage: in memory and SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.storage.base import Storage
from strongroom.storage.memory import MemoryStorage
from strongroom.storage.sqlite import SqliteStorage


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    """A fresh, empty storage of each kind."""
    store: Storage = (
        MemoryStorage() if request.param == "memory" else SqliteStorage(tmp_path / "store.db")
    )
    yield store
    store.close()
