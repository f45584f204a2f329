"""Access keys end to end: `strongroom operator access-key ...` against real servers.

The CLI runs as its own process (STRONGROOM_ADDR and AWS_* in its environment) and boto3
shows what each step did: a new key signs, a disabled or deleted one gets AWS's
UnrecognizedClientException, an enabled one signs again, on every worker of a shared
database. A dev restart with other credentials revokes the earlier dev key, and the dev
secret never appears on a server process's command line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.e2e.harness import ACCESS_KEY, REGION, SECRET_KEY, ServerProcess, client_config
from tests.e2e.kms_support import error_of
from tests.e2e.production.support import (
    assert_clean_failure,
    clean_env,
    run_cli,
    run_init,
    start_sealed,
    unseal_fully,
)

StartServer = Callable[..., ServerProcess]
Credentials = tuple[str, str]
UNKNOWN_KEY = "The security token included in the request is invalid."
DEV = (ACCESS_KEY, SECRET_KEY)
_clients: list[Any] = []


@pytest.fixture(autouse=True)
def _close_clients(start_server: StartServer) -> Iterator[None]:
    """Close boto3 clients before the servers stop (set up after start_server, so first)."""
    yield
    while _clients:
        _clients.pop().close()


def access_key(
    server: ServerProcess, signer: Credentials, *args: str, ca_cert: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`strongroom operator access-key ARGS`, signed with `signer`."""
    env = clean_env(
        STRONGROOM_ADDR=server.endpoint_url,
        AWS_ACCESS_KEY_ID=signer[0],
        AWS_SECRET_ACCESS_KEY=signer[1],
        AWS_DEFAULT_REGION=REGION,
    )
    if ca_cert is not None:
        env["AWS_CA_BUNDLE"] = str(ca_cert)
    return run_cli("operator", "access-key", *args, env=env)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def create(server: ServerProcess, signer: Credentials, **options: Any) -> Credentials:
    """A new key made through the CLI: (id, secret) as it printed them once."""
    out = ok(access_key(server, signer, "create", **options))
    key_id = re.search(r"^Access Key Id:\s+(\S+)$", out, re.MULTILINE)
    secret = re.search(r"^Secret Access Key:\s+(\S+)$", out, re.MULTILINE)
    assert key_id is not None and secret is not None, out
    return key_id.group(1), secret.group(1)


def listing(server: ServerProcess, signer: Credentials, **options: Any) -> dict[str, Any]:
    """The `list --json` output by key id."""
    out = ok(access_key(server, signer, "list", "--json", **options))
    return {key["access_key_id"]: key for key in json.loads(out)}


def kms(server: ServerProcess, key: Credentials, **options: Any) -> Any:
    """A KMS client signing with `key`, on a connection of its own."""
    client = boto3.client(
        "kms",
        endpoint_url=server.endpoint_url,
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
        region_name=REGION,
        config=client_config(),
        **options,
    )
    _clients.append(client)
    return client


def works(server: ServerProcess, key: Credentials, **options: Any) -> None:
    assert kms(server, key, **options).list_keys()["Keys"] == []


def refused(server: ServerProcess, key: Credentials, **options: Any) -> None:
    error = error_of(kms(server, key, **options).list_keys)
    assert (error["Code"], error["Message"]) == ("UnrecognizedClientException", UNKNOWN_KEY)


# --- the life cycle ------------------------------------------------------------------------


def test_create_list_disable_enable_delete_through_the_cli(start_server: StartServer) -> None:
    server = start_server()
    new = create(server, DEV)
    assert new[0] != ACCESS_KEY and re.fullmatch(r"AKIA[A-Z2-7]{16}", new[0])
    works(server, new)

    table = access_key(server, DEV, "list")
    for text in (table.stdout + table.stderr, json.dumps(listing(server, DEV))):
        assert new[1] not in text and SECRET_KEY not in text  # never a secret
    rows = {line.split()[0]: line.split() for line in ok(table).splitlines()[1:]}
    assert set(rows) == {ACCESS_KEY, new[0]}
    assert rows[new[0]][1:3] == ["root", "Active"]
    assert rows[new[0]][-2:] == [REGION, "kms"]  # last used: region and service
    described = listing(server, DEV)[new[0]]
    assert described["last_used"]["region"] == REGION
    assert described["last_used"]["service"] == "kms"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", described["last_used"]["time"])
    assert described["created"] <= described["last_used"]["time"]

    assert "is now Inactive" in ok(access_key(server, DEV, "disable", new[0]))
    refused(server, new)
    assert listing(server, DEV)[new[0]]["status"] == "Inactive"
    assert_clean_failure(access_key(server, new, "list"), "UnrecognizedClientException")
    works(server, DEV)

    assert "is now Active" in ok(access_key(server, DEV, "enable", new[0]))
    works(server, new)

    assert "is deleted" in ok(access_key(server, new, "delete", new[0]))  # by itself, even
    refused(server, new)
    assert set(listing(server, DEV)) == {ACCESS_KEY}
    assert_clean_failure(access_key(server, DEV, "delete", new[0]), "NoSuchEntity")


def test_the_last_active_key_and_the_quota_are_kept(start_server: StartServer) -> None:
    server = start_server()
    for verb in ("disable", "delete"):
        assert_clean_failure(
            access_key(server, DEV, verb, ACCESS_KEY), "DeleteConflict", "last active"
        )
        works(server, DEV)
    second = create(server, DEV)
    assert_clean_failure(access_key(server, DEV, "create"), "LimitExceeded", "AccessKeysPerUser: 2")
    ok(access_key(server, second, "delete", ACCESS_KEY))  # rotation: the new key takes over
    refused(server, DEV)
    works(server, second)
    assert_clean_failure(access_key(server, second, "disable", second[0]), "last active")
    assert set(listing(server, second)) == {second[0]}


# --- dev restarts --------------------------------------------------------------------------


def test_a_dev_restart_with_other_credentials_revokes_the_earlier_dev_key(
    start_server: StartServer, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    first = start_server(data_dir)
    made = create(first, DEV)  # `access-key create`: survives every restart below
    first.stop()

    fixed = ("AKIAE2ERESTARTKEY001", "e2e/restart/secret/000000000000000000000")
    second = start_server(
        data_dir,
        extra_args=["--access-key", fixed[0]],
        extra_env={"STRONGROOM_SECRET_KEY": fixed[1]},
    )
    refused(second, DEV)
    works(second, fixed)
    works(second, made)
    second.stop()

    third = start_server(data_dir, fixed_credentials=False)
    printed = third.printed_credentials()
    generated = (printed["AWS_ACCESS_KEY_ID"], printed["AWS_SECRET_ACCESS_KEY"])
    refused(third, fixed)
    works(third, generated)
    works(third, made)
    third.stop()

    # Another account: a new dev key there, and the two accounts cannot see each other.
    fourth = start_server(
        data_dir, fixed_credentials=False, extra_args=["--account-id", "210987654321"]
    )
    printed = fourth.printed_credentials()
    other = (printed["AWS_ACCESS_KEY_ID"], printed["AWS_SECRET_ACCESS_KEY"])
    assert printed["STRONGROOM_ACCOUNT_ID"] == "210987654321"
    refused(fourth, generated)
    works(fourth, other)
    assert_clean_failure(access_key(fourth, made, "disable", other[0]), "NoSuchEntity")
    assert_clean_failure(access_key(fourth, other, "delete", made[0]), "NoSuchEntity")
    assert set(listing(fourth, other)) == {other[0]}
    assert set(listing(fourth, made)) == {made[0]}
    works(fourth, made)


# --- several workers -----------------------------------------------------------------------


def test_with_two_workers_every_worker_follows_a_disable(start_server: StartServer) -> None:
    server = start_server(extra_args=["--workers", "2"])
    key = create(server, DEV)
    rounds = 12  # each on a new connection, so both workers answer some
    for _ in range(rounds):
        works(server, key)  # every worker now holds the key in its cache
    for _ in range(4):
        ok(access_key(server, key, "list"))  # the operator API too
    ok(access_key(server, DEV, "disable", key[0]))
    for _ in range(6):  # first through the operator API alone, then through KMS
        assert_clean_failure(access_key(server, key, "list"), "UnrecognizedClientException")
    for _ in range(rounds):
        refused(server, key)
    ok(access_key(server, DEV, "enable", key[0]))
    for _ in range(rounds):
        works(server, key)
    ok(access_key(server, DEV, "delete", key[0]))
    for _ in range(rounds):
        refused(server, key)
        works(server, DEV)
    assert_no_secret_on_a_command_line(server, SECRET_KEY, processes=3)


# --- the dev secret off the command line -------------------------------------------------


def server_processes(server: ServerProcess) -> list[int]:
    """Every process of the server's session (the server and its workers)."""
    assert server.process is not None
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except (OSError, ValueError):
            continue  # not a process, or gone
        session = int(stat.rsplit(")", 1)[1].split()[3])
        if session == server.process.pid:
            found.append(int(entry.name))
    return found


def assert_no_secret_on_a_command_line(
    server: ServerProcess, secret: str, processes: int = 1
) -> None:
    pids = server_processes(server)
    assert len(pids) >= processes
    for pid in pids:
        command_line = Path(f"/proc/{pid}/cmdline").read_bytes()
        assert b"strongroom" in command_line or b"multiprocessing" in command_line
        assert secret.encode() not in command_line, command_line


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
def test_the_dev_secret_is_never_on_the_command_line(
    start_server: StartServer, tmp_path: Path
) -> None:
    from_environment = start_server()
    works(from_environment, DEV)
    assert_no_secret_on_a_command_line(from_environment, SECRET_KEY)

    secret_file = tmp_path / "dev-secret"
    file_secret = "e2e/secret/from/a/file/0000000000000000000"
    secret_file.write_text(file_secret + "\n")
    os.chmod(secret_file, 0o600)
    from_file = start_server(extra_args=["--secret-key-file", str(secret_file)])
    works(from_file, (ACCESS_KEY, file_secret))  # the file beats the environment
    error = error_of(kms(from_file, DEV).list_keys)
    assert error["Code"] == "InvalidSignatureException"
    assert_no_secret_on_a_command_line(from_file, file_secret)


# --- production mode -------------------------------------------------------------------


def test_access_keys_on_a_production_server(start_server: StartServer, tmp_path: Path) -> None:
    init = run_init(tmp_path / "data")
    server = start_sealed(start_server, init)
    unseal_fully(server, init, init.shares[:3])
    first = (init.access_key_id, init.secret_access_key)
    tls = {"verify": str(init.ca_path)}

    new = create(server, first, ca_cert=init.ca_path)
    works(server, new, **tls)
    described = listing(server, new, ca_cert=init.ca_path)
    assert set(described) == {first[0], new[0]}
    assert described[first[0]]["status"] == "Active"
    ok(access_key(server, new, "delete", first[0], ca_cert=init.ca_path))
    refused(server, first, **tls)
    works(server, new, **tls)
    assert_clean_failure(
        access_key(server, new, "delete", new[0], ca_cert=init.ca_path), "last active"
    )
    # Without the CA the CLI refuses the server before it sends anything signed.
    untrusted = run_cli(
        "operator", "access-key", "list",
        env=clean_env(STRONGROOM_ADDR=server.endpoint_url, AWS_ACCESS_KEY_ID=new[0],
                      AWS_SECRET_ACCESS_KEY=new[1]),
    )  # fmt: skip
    assert_clean_failure(untrusted, "CERTIFICATE_VERIFY_FAILED")
