"""The SQLite file on disk: acknowledged writes survive `kill -9`, several processes share
it without losing updates, it is private to its owner, and a foreign or damaged file gives
a clear StorageError instead of a traceback or a silent overwrite.

Child processes acknowledge on stdout; the parent acts on what it has read from the pipe,
never on elapsed time.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import strongroom.storage
from strongroom.storage import SqliteStorage, StorageCorruptError, StorageUnavailableError

# The child writes key i alone, or (every third i) with a twin in one transaction, and prints
# i only after put() / the commit has returned.
WRITER = """
import hashlib, sys
from strongroom.storage import SqliteStorage

def value(i):
    return hashlib.sha256(str(i).encode()).digest() * 32

store = SqliteStorage(sys.argv[1])
i = 0
while True:
    if i % 3 == 2:
        with store.transaction() as txn:
            txn.put(f"k/{i:08d}", value(i))
            txn.put(f"k/{i:08d}/twin", value(i))
    else:
        store.put(f"k/{i:08d}", value(i))
    print(i, flush=True)
    i += 1
"""

# The child waits for "go" on stdin, then increments a shared counter in `rounds` transactions.
INCREMENTER = """
import sys
from strongroom.storage import SqliteStorage

store = SqliteStorage(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
for _ in range(int(sys.argv[2])):
    with store.transaction() as txn:
        txn.put("counter", str(int(txn.get("counter")) + 1).encode())
print("done", flush=True)
"""


def value(i: int) -> bytes:
    return hashlib.sha256(str(i).encode()).digest() * 32


def child(script: str, *args: str) -> subprocess.Popen[str]:
    """A Python child that imports this very strongroom package."""
    package_root = Path(strongroom.storage.__file__).resolve().parents[2]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(package_root), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


# --- crashes and several processes -----------------------------------------------------


@pytest.mark.parametrize("acknowledged", [1, 97, 400])
def test_acknowledged_writes_survive_kill_9(tmp_path: Path, acknowledged: int) -> None:
    db = tmp_path / "strongroom.db"
    acks: list[int] = []
    with child(WRITER, str(db)) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        for line in proc.stdout:
            acks.append(int(line))
            if len(acks) == acknowledged:
                break
        proc.kill()  # SIGKILL: no atexit, no close, no checkpoint; the child is mid-stream
        proc.wait()
        assert acks == list(range(acknowledged)), proc.stderr.read()
        assert proc.returncode == -signal.SIGKILL

    store = SqliteStorage(db)
    try:
        for i in acks:
            assert store.get(f"k/{i:08d}") == value(i), f"acknowledged key {i} lost"
            if i % 3 == 2:
                assert store.get(f"k/{i:08d}/twin") == value(i)
        # Whatever else is there came from writes in flight: whole, in order, no gaps.
        present = sorted({int(path.split("/")[1]) for path, _ in store.scan("k/")})
        assert present == list(range(len(present)))
        for path, stored in store.scan("k/"):
            assert stored == value(int(path.split("/")[1]))
        for i in present:
            if i % 3 == 2:
                assert store.get(f"k/{i:08d}/twin") == value(i), f"half a transaction: {i}"
    finally:
        store.close()


def test_processes_sharing_a_file_lose_no_update(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    parent = SqliteStorage(db)
    parent.put("counter", b"0")
    seen = parent.data_version()
    rounds = 60
    with contextlib.ExitStack() as stack:
        stack.callback(parent.close)
        procs = [stack.enter_context(child(INCREMENTER, str(db), str(rounds))) for _ in "ab"]
        for proc in procs:
            stack.callback(proc.kill)  # runs before Popen's exit waits, if a test step fails
            assert proc.stdout is not None
            assert proc.stdout.readline() == "ready\n"
        for proc in procs:  # both are open before either writes
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in procs:
            out, err = proc.communicate()
            assert (proc.returncode, out) == (0, "done\n"), err
        assert parent.get("counter") == str(2 * rounds).encode()
        assert parent.data_version() != seen  # other processes committed


def test_a_writer_locked_out_past_busy_timeout_gets_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    store = SqliteStorage(db, busy_timeout=0.05)
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holding the write lock
        with pytest.raises(StorageUnavailableError, match="locked"):
            store.put("a", b"1")
        assert store.get("a") is None  # readers are not blocked by the writer
        holder.execute("ROLLBACK")
        store.put("a", b"1")
        assert store.get("a") == b"1"
    finally:
        holder.close()
        store.close()


def test_commits_are_fsynced_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    store = SqliteStorage(db)
    try:
        conn = store._cur.connection  # type: ignore[union-attr]  # the one setting that matters
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        store.close()
    with sqlite3.connect(db) as raw:  # WAL is a property of the file, kept after close
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()


# --- a private file ----------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_is_0600_and_missing_directories_0700(tmp_path: Path) -> None:
    db = tmp_path / "made" / "for" / "strongroom.db"
    store = SqliteStorage(db)
    try:
        store.put("a", b"1")
        assert mode(tmp_path / "made") == 0o700
        assert mode(tmp_path / "made" / "for") == 0o700
        assert mode(db) == 0o600
        for companion in ("-wal", "-shm"):
            assert mode(db.with_name(db.name + companion)) == 0o600
    finally:
        store.close()


def test_an_existing_readable_file_is_made_private(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    db.touch()
    db.chmod(0o644)
    SqliteStorage(db).close()
    assert mode(db) == 0o600
    assert mode(tmp_path) == stat.S_IMODE(tmp_path.stat().st_mode)  # existing dirs untouched


# --- files that are not ours -----------------------------------------------------------


def test_a_file_that_is_not_sqlite_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    content = b"this is not a database\n" * 400
    db.write_bytes(content)
    with pytest.raises(StorageCorruptError, match="not a Strongroom store"):
        SqliteStorage(db)
    assert db.read_bytes() == content


def test_another_programs_sqlite_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as other:
        other.execute("CREATE TABLE things (name TEXT)")
        other.execute("INSERT INTO things VALUES ('mine')")
    other.close()
    content = db.read_bytes()
    with pytest.raises(StorageCorruptError, match="not a Strongroom store"):
        SqliteStorage(db)
    assert db.read_bytes() == content


def test_a_store_from_a_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    SqliteStorage(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version=99")
    raw.close()
    with pytest.raises(StorageCorruptError, match="schema 99"):
        SqliteStorage(db)


def test_damaged_pages_give_a_corruption_error(tmp_path: Path) -> None:
    db = tmp_path / "strongroom.db"
    store = SqliteStorage(db)
    with store.transaction() as txn:
        for i in range(3000):
            txn.put(f"k/{i:05d}", value(i)[:400])
    store.close()  # the last connection checkpoints the WAL into the file
    size = db.stat().st_size
    assert size > 64 * 4096
    with db.open("r+b") as damaged:  # scribble over the middle of the B-tree
        damaged.seek(16 * 4096)
        damaged.write(b"\xa5" * (32 * 4096))
    reopened = SqliteStorage(db)
    try:
        with pytest.raises(StorageCorruptError, match="damaged"):
            list(reopened.scan("k/"))
    finally:
        reopened.close()
