"""Destroyed means gone: once a key's material is destroyed, no file in the data directory
still holds its encrypted record, the SQLite WAL included.

The records are read as stored, through a read-only connection to the database while the
server runs, and remembered by their last 32 bytes (ciphertext and tag: random, so unique
to that record). After destruction every file of the data directory (database, `-wal`,
`-shm`, anything else) is read whole and searched for them.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Callable
from pathlib import Path

from tests.e2e.at_rest import files_holding, read_only, settled, tails_of
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key

DAY = 86400
FAST = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}


def stored_tails(data_dir: Path, key_id: str) -> dict[str, bytes]:
    """Path -> last 32 bytes of every stored record whose path names `key_id`.

    That is the key material (`keystores/software/<id>/<version>`) and the key's own record
    (`kms/<account>/<region>/keys/<id>`).
    """
    with read_only(data_dir) as db:
        rows = db.execute(
            "SELECT path, value FROM entries WHERE path LIKE ?", (f"%{key_id}%",)
        ).fetchall()
    return tails_of(rows)


def used_key(server: ServerProcess, data_dir: Path) -> tuple[str, dict[str, bytes]]:
    """A key with material that has encrypted something, and its stored records' tails."""
    kms = server.client("kms")
    key_id = new_key(kms)["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"doomed")
    tails = stored_tails(data_dir, key_id)
    assert f"keystores/software/{key_id}/0000000001" in tails
    assert any(path.startswith("kms/") for path in tails)
    assert set(files_holding(data_dir, tails)) == set(tails)  # the probe finds them
    return key_id, tails


def test_scheduled_destruction_leaves_no_trace_in_any_file(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir, extra_env=FAST)
    key_id, tails = used_key(server, data_dir)
    server.client("kms").schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    tails = {**tails, **stored_tails(data_dir, key_id)}  # the record as deletion left it
    assert set(files_holding(data_dir, tails)) == set(tails)
    server.stop()

    later = start_server(data_dir, extra_env={**FAST, "STRONGROOM_DEV_CLOCK_OFFSET": str(8 * DAY)})
    assert settled(lambda: stored_tails(data_dir, key_id)) == {}  # destroyed by the scheduler
    assert error_of(later.client("kms").describe_key, KeyId=key_id)["Code"] == "NotFoundException"
    assert settled(lambda: files_holding(data_dir, tails)) == {}  # and erased from every file


def test_dev_reset_leaves_no_trace_in_any_file(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    _, tails = used_key(server, data_dir)
    request = urllib.request.Request(
        server.endpoint_url + "/moto-api/reset", data=b"", method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert server.client("kms").list_keys()["Keys"] == []
    assert files_holding(data_dir, tails) == {}  # the reset answers only once it is done
