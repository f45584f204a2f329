"""`strongroom operator rotate` and `rekey` on a real production-mode server, through the CLI.

rotate: a new barrier key term for all new writes, every stored record re-encrypted to it
in the background, then the old term deleted. rekey: new Shamir shares and threshold from
a quorum of the old ones, after which the old shares no longer unseal. The storage is read
raw (SQLite, read-only) as whoever holds the files would.
"""

from __future__ import annotations

import re
import sqlite3
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from strongroom.barrier import record as record_format
from tests.e2e.production.support import (
    Init,
    StartServer,
    assert_clean_failure,
    assert_sealed,
    files_under,
    kms_of,
    operator,
    parse_status,
    run_cli,
    seal_env,
    start_sealed,
    stop,
    sys_status,
    unseal,
    unseal_fully,
)

WAIT_SECONDS = 60.0


def stored(data_dir: Path) -> dict[str, bytes]:
    """Every (path, value) in the server's database, read raw and read-only."""
    uri = f"file:{data_dir / 'strongroom.db'}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        return dict(connection.execute("SELECT path, value FROM entries").fetchall())


def record_terms(data_dir: Path) -> set[int]:
    """The keyring terms the stored records name (core/ values and the scheduler's lease
    are not records)."""
    return {
        record_format.decode(value).term
        for path, value in stored(data_dir).items()
        if not path.startswith(("core/", "lease/"))
    }


def wait_for_rotation(server: Any, init: Init) -> dict[str, Any]:
    """Poll /sys/status until the rotation is over (bounded); the last status."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        status = sys_status(server, init)
        if "rotation" not in status:
            return status
        time.sleep(0.1)
    raise AssertionError(f"the rotation did not finish: {status}")


def unsigned_post(server: Any, init: Init, path: str) -> int:
    import ssl

    context = ssl.create_default_context(cafile=str(init.ca_path))
    request = urllib.request.Request(f"{server.endpoint_url}{path}", data=b"{}", method="POST")
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_rotate_reencrypts_everything_and_deletes_the_old_term(
    fresh: Init, start_server: StartServer
) -> None:
    # A short scheduler interval: its lease (not a barrier record) is in the store too.
    server = start_sealed(start_server, fresh, STRONGROOM_SCHEDULER_INTERVAL="0.2")
    unseal_fully(server, fresh, fresh.shares[:3])
    kms = kms_of(server, fresh)
    keys = [kms.create_key(Description=f"key {n}")["KeyMetadata"]["KeyId"] for n in range(5)]
    blobs = {key: kms.encrypt(KeyId=key, Plaintext=key.encode())["CiphertextBlob"] for key in keys}
    assert record_terms(fresh.data_dir) == {1}
    assert sys_status(server, fresh)["term"] == 1
    deadline = time.monotonic() + WAIT_SECONDS  # the scheduler's first tick takes the lease
    while "lease/scheduler" not in stored(fresh.data_dir):
        assert time.monotonic() < deadline, "the scheduler never took its lease"
        time.sleep(0.05)

    assert unsigned_post(server, fresh, "/sys/rotate") == 403
    assert_clean_failure(
        operator(server, fresh, "rotate", env=seal_env(fresh, AWS_SECRET_ACCESS_KEY="x" * 40)),
        "InvalidSignatureException",
    )
    assert sys_status(server, fresh)["term"] == 1 and record_terms(fresh.data_dir) == {1}

    rotated = operator(server, fresh, "rotate", env=seal_env(fresh))
    assert rotated.returncode == 0, rotated.stderr
    assert parse_status(rotated.stdout)["key term"] == "2"
    # Writes during and after the rotation use the new term; reads of old records go on.
    late = kms.create_key(Description="after rotate")["KeyMetadata"]["KeyId"]
    status = wait_for_rotation(server, fresh)
    assert status["term"] == 2
    assert record_terms(fresh.data_dir) == {2}
    for key, blob in blobs.items():
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == key.encode()
    shown = operator(server, fresh, "status")
    assert "Key term     2" in shown.stdout and "Rotation" not in shown.stdout

    # Twice more, then a restart: only the newest term is left, and everything opens.
    for expected in (3, 4):
        assert operator(server, fresh, "rotate", env=seal_env(fresh)).returncode == 0
        assert wait_for_rotation(server, fresh)["term"] == expected
    assert record_terms(fresh.data_dir) == {4}
    stop(server)
    restarted = start_sealed(start_server, fresh)
    unseal_fully(restarted, fresh, fresh.shares[2:])
    again = kms_of(restarted, fresh)
    for key, blob in blobs.items():
        assert again.decrypt(CiphertextBlob=blob)["Plaintext"] == key.encode()
    assert again.describe_key(KeyId=late)["KeyMetadata"]["Description"] == "after rotate"


def rekey_init(server: Any, init: Init, shares: int, threshold: int) -> str:
    result = operator(
        server, init, "rekey init", "--key-shares", str(shares),
        "--key-threshold", str(threshold), env=seal_env(init),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return parse_status(result.stdout)["nonce"]


def rekey_submit(server: Any, init: Init, nonce: str, share: str, step: str = "submit") -> Any:
    return operator(server, init, f"rekey {step}", "--nonce", nonce, share, env=seal_env(init))


def test_rekey_replaces_the_shares_and_the_old_ones_stop_working(
    fresh: Init, other_init: Init, start_server: StartServer
) -> None:
    server = start_sealed(start_server, fresh)
    unseal_fully(server, fresh, fresh.shares[:3])
    kms = kms_of(server, fresh)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key, Plaintext=b"survives the rekey")["CiphertextBlob"]
    old_keyring = stored(fresh.data_dir)["core/keyring"]

    # Unsigned or unauthenticated: refused before anything starts.
    assert unsigned_post(server, fresh, "/sys/rekey/init") == 403
    # A rekey with a share of another server is refused and changes nothing.
    nonce = rekey_init(server, fresh, 3, 2)
    for share in fresh.shares[:2]:
        assert rekey_submit(server, fresh, nonce, share).returncode == 0
    refused = rekey_submit(server, fresh, nonce, other_init.shares[0])
    # Share indices are drawn at random: the foreign share either takes an index already
    # submitted (refused at once as conflicting) or completes a set that does not combine.
    conflicting = "InvalidShare" in refused.stderr
    assert_clean_failure(refused, "InvalidShare" if conflicting else "A share was refused")
    assert other_init.shares[0] not in refused.stderr
    assert stored(fresh.data_dir)["core/keyring"] == old_keyring
    assert (sys_status(server, fresh)["shares"], sys_status(server, fresh)["threshold"]) == (5, 3)

    # One at a time, and a cancelled rekey takes no more shares.
    nonce = rekey_init(server, fresh, 3, 2)
    busy = operator(server, fresh, "rekey init", "--key-shares", "2", "--key-threshold", "2",
                    env=seal_env(fresh))  # fmt: skip
    assert_clean_failure(busy, "RekeyInProgress")
    cancel = operator(server, fresh, "rekey cancel", "--nonce", nonce, env=seal_env(fresh))
    assert cancel.returncode == 0, cancel.stderr
    assert_clean_failure(rekey_submit(server, fresh, nonce, fresh.shares[0]), "InvalidNonce")

    nonce = rekey_init(server, fresh, 3, 2)
    progress = rekey_submit(server, fresh, nonce, fresh.shares[4])
    assert "Progress     1 of 3" in progress.stdout
    assert rekey_submit(server, fresh, nonce, fresh.shares[1]).returncode == 0
    handed_out = rekey_submit(server, fresh, nonce, fresh.shares[3])
    assert handed_out.returncode == 0, handed_out.stderr
    new_shares = re.findall(r"^Unseal Key \d+: (\S+)$", handed_out.stdout, re.MULTILINE)
    assert len(new_shares) == 3 and not set(new_shares) & set(fresh.shares)
    assert "Nothing has changed yet" in handed_out.stdout
    # Until the new keys come back, nothing is stored: lost shares would cost nothing.
    assert stored(fresh.data_dir)["core/keyring"] == old_keyring
    assert sys_status(server, fresh)["threshold"] == 3
    # Giving back shares of another key is refused, and the keys can be given again.
    assert rekey_submit(server, fresh, nonce, other_init.shares[1], "verify").returncode == 0
    refused = rekey_submit(server, fresh, nonce, new_shares[1], "verify")
    assert_clean_failure(refused, "A share was refused")
    assert stored(fresh.data_dir)["core/keyring"] == old_keyring
    verifying = rekey_submit(server, fresh, nonce, new_shares[1], "verify")
    assert "Progress     1 of 2" in verifying.stdout, verifying.stderr
    done = rekey_submit(server, fresh, nonce, new_shares[0], "verify")
    assert done.returncode == 0, done.stderr
    assert "The root key is replaced" in done.stdout
    status = sys_status(server, fresh)
    assert (status["shares"], status["threshold"], status["sealed"]) == (3, 2, False)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"survives the rekey"
    # The keyring sealed under the old root key is gone from every file.
    for path, content in files_under(fresh.data_dir).items():
        assert old_keyring not in content, path

    assert operator(server, fresh, "seal", env=seal_env(fresh)).returncode == 0
    stop(server)
    restarted = start_sealed(start_server, fresh)
    # The old shares no longer unseal ...
    assert sys_status(restarted, fresh)["threshold"] == 2
    nonce = unseal(restarted, fresh, fresh.shares[0])["nonce"]
    refused = operator(restarted, fresh, "unseal", fresh.shares[1], "--nonce", nonce)
    assert_clean_failure(refused, "do not reconstruct the root key")
    assert_sealed(restarted, fresh)
    # ... and two of the new ones do.
    nonce = unseal(restarted, fresh, new_shares[2])["nonce"]
    assert unseal(restarted, fresh, new_shares[0], nonce)["sealed"] == "False"
    again = kms_of(restarted, fresh)
    assert again.decrypt(CiphertextBlob=blob)["Plaintext"] == b"survives the rekey"


def test_a_dev_server_has_nothing_to_rekey(start_server: StartServer) -> None:
    server = start_server()
    env = {
        key: value
        for key, value in server.env.items()
        if key.startswith("AWS_") and key != "AWS_ENDPOINT_URL"
    }
    from tests.e2e.production.support import clean_env

    result = run_cli(
        "operator", "rekey", "init", "--key-shares", "3", "--key-threshold", "2",
        "--address", server.endpoint_url, env=clean_env(**env),
    )  # fmt: skip
    assert_clean_failure(result, "nothing to rekey")
