"""Every embedded storage, fresh and empty: in memory and SQLite.

For tests whose behaviour must hold over both, a module (or conftest) binds the fixture:
`storage = every_embedded_storage()`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from strongroom.storage.base import Storage
from strongroom.storage.memory import MemoryStorage
from strongroom.storage.sqlite import SqliteStorage


def every_embedded_storage() -> Callable[..., Iterator[Storage]]:
    """A `storage` fixture, parametrized over the embedded storages."""

    @pytest.fixture(params=["memory", "sqlite"], name="storage")
    def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
        """A fresh, empty storage of each kind."""
        store: Storage = (
            MemoryStorage() if request.param == "memory" else SqliteStorage(tmp_path / "store.db")
        )
        yield store
        store.close()

    return storage
