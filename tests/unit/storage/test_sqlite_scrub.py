"""Deleted means gone from the SQLite files: `secure_delete` on every connection, and
`scrub()` (a WAL checkpoint with truncation) erasing the older page images from the WAL.

Each test looks for a deleted value's bytes in every file of the store's directory (the
database, `-wal`, `-shm`, anything else), as whoever holds the disk would.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from strongroom.storage import SqliteStorage, StorageError, StorageUnavailableError


def secret(tag: str) -> bytes:
    """64 random bytes: found in a file only if that file holds this value."""
    return tag.encode() + os.urandom(64)


def files_holding(directory: Path, needle: bytes) -> list[str]:
    """The names of the files under `directory` whose bytes contain `needle`."""
    return sorted(
        path.name for path in directory.rglob("*") if path.is_file() and needle in path.read_bytes()
    )


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(directory: Path) -> Iterator[SqliteStorage]:
    opened = SqliteStorage(directory / "strongroom.db", busy_timeout=0.2)
    yield opened
    opened.close()


def test_a_deleted_value_is_in_the_wal_until_scrub_and_in_no_file_after(
    directory: Path, store: SqliteStorage
) -> None:
    doomed, kept = secret("doomed"), secret("kept")
    store.put("keys/doomed", doomed)
    store.put("keys/kept", kept)
    store.delete("keys/doomed")
    assert store.get("keys/doomed") is None
    assert "strongroom.db-wal" in files_holding(directory, doomed)  # deleted, not erased

    store.scrub()

    assert files_holding(directory, doomed) == []
    assert files_holding(directory, kept) == ["strongroom.db"]
    assert (directory / "strongroom.db-wal").stat().st_size == 0
    assert store.get("keys/kept") == kept


def test_an_overwritten_value_is_in_no_file_after_scrub(
    directory: Path, store: SqliteStorage
) -> None:
    old, new = secret("old"), secret("new")
    store.put("keys/a", old)
    store.scrub()  # the old value now sits in the main file, not only in the WAL
    store.put("keys/a", new)
    assert files_holding(directory, old) == ["strongroom.db"]
    store.scrub()
    assert files_holding(directory, old) == []
    assert store.get("keys/a") == new


def test_a_value_deleted_in_a_transaction_by_another_connection_is_erased(
    directory: Path, store: SqliteStorage
) -> None:
    doomed = secret("doomed")
    store.put("keys/doomed", doomed)
    other = SqliteStorage(directory / "strongroom.db")
    try:
        with other.transaction() as txn:
            txn.delete("keys/doomed")
        store.scrub()
        assert files_holding(directory, doomed) == []
    finally:
        other.close()


def test_secure_delete_is_on_even_where_the_library_default_is_off(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some SQLite builds default to secure_delete off: freed cells then keep their bytes,
    and a checkpoint copies them into the main file. The store must turn it on itself."""
    real_connect = sqlite3.connect

    def connect_with_default_off(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn = real_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete=OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_with_default_off)
    store = SqliteStorage(directory / "strongroom.db")
    try:
        doomed = secret("doomed")
        store.put("keys/doomed", doomed)
        store.put("keys/kept", secret("kept"))
        store.scrub()  # the value is in the main file's page now
        store.delete("keys/doomed")
        store.scrub()
        assert files_holding(directory, doomed) == []
    finally:
        store.close()


def test_scrub_that_a_reader_blocks_says_so_and_succeeds_later(
    directory: Path, store: SqliteStorage
) -> None:
    doomed = secret("doomed")
    store.put("keys/doomed", doomed)
    store.scrub()
    reader = sqlite3.connect(directory / "strongroom.db", isolation_level=None)
    try:
        reader.execute("BEGIN")
        assert reader.execute("SELECT count(*) FROM entries").fetchone() == (1,)
        store.delete("keys/doomed")  # the reader's snapshot still needs the old page
        with pytest.raises(StorageUnavailableError, match="deleted values may remain"):
            store.scrub()
        assert files_holding(directory, doomed) != []
        assert store.get("keys/doomed") is None  # the store still works meanwhile
        reader.execute("COMMIT")
    finally:
        reader.close()
    store.scrub()
    assert files_holding(directory, doomed) == []


def test_a_blocked_scrub_does_not_hold_writers_off_until_they_time_out(directory: Path) -> None:
    """While a checkpoint waits for a reader, no other connection can write: a scrub that
    waited its full busy_timeout would make every writer in every process time out."""
    scrubbing = SqliteStorage(directory / "strongroom.db")  # the default 5 s busy_timeout
    writer = SqliteStorage(directory / "strongroom.db", busy_timeout=2.0)
    reader = sqlite3.connect(directory / "strongroom.db", isolation_level=None)
    failures: list[StorageError] = []
    try:
        scrubbing.put("a", b"1")
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM entries").fetchone()
        scrubbing.put("a", b"2")  # the reader's snapshot now pins the WAL

        def scrub() -> None:
            try:
                scrubbing.scrub()
            except StorageError as error:
                failures.append(error)

        thread = threading.Thread(target=scrub)
        thread.start()
        writes = 0
        while thread.is_alive():
            writer.put(f"w/{writes:06d}", b"x")  # raises if held off for over 2 s
            writes += 1
        thread.join()
        assert writes > 0
        assert [type(error) for error in failures] == [StorageUnavailableError]
    finally:
        reader.close()
        writer.close()
        scrubbing.close()
