"""Secrets Manager durability end to end: restarts, crashes, several workers, and the
recovery window that the scheduler ends.

Invariants checked:
- a restart keeps every secret, version, value, label, tag, policy, key and deletion mark;
- after `kill -9` during concurrent PutSecretValue, every acknowledged version is there
  and readable, exactly one version is AWSCURRENT, and no listed version lacks its value;
- two worker processes racing PutSecretValue and UpdateSecretVersionStage on one secret
  leave exactly one AWSCURRENT, one AWSPREVIOUS and every acknowledged version readable;
- a secret deleted with a 7-day window is restorable before the window ends, is destroyed
  by the scheduler once it has ended (not before), and its name is free again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.answers import plain
from tests.e2e.concurrently import in_threads
from tests.e2e.crash_writers import write_until_killed
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.pages import every_entry

DAY = 86400
FAST = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}
POLICY = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
    '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},'
    '"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
)


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _plain(value: Any) -> Any:
    """A response without its envelope and access dates (which move with every read)."""
    return plain(value, "LastAccessedDate")


def _all_versions(sm: Any, secret_id: str) -> list[dict[str, Any]]:
    """Every version of a secret, deprecated ones included, through every page."""
    return every_entry(
        sm.list_secret_version_ids,
        "Versions",
        SecretId=secret_id,
        IncludeDeprecated=True,
        MaxResults=100,
    )


def _holders(versions: list[dict[str, Any]], label: str) -> list[str]:
    return [v["VersionId"] for v in versions if label in v.get("VersionStages", [])]


def _snapshot(sm: Any) -> dict[str, Any]:
    """Everything a user can see of every secret: metadata, versions, values, policies."""
    listed = sm.list_secrets(IncludePlannedDeletion=True, MaxResults=100)
    assert "NextToken" not in listed
    state: dict[str, Any] = {"list": _plain(listed["SecretList"])}
    for entry in listed["SecretList"]:
        arn = entry["ARN"]
        versions = _all_versions(sm, arn)
        values = {}
        if "DeletedDate" not in entry:
            for version in versions:
                value = sm.get_secret_value(SecretId=arn, VersionId=version["VersionId"])
                values[version["VersionId"]] = _plain(value)
        state[arn] = {
            "describe": _plain(sm.describe_secret(SecretId=arn)),
            "versions": _plain(versions),
            "values": values,
            "policy": _plain(sm.get_resource_policy(SecretId=arn)),
        }
    return state


def _populate(server: ServerProcess) -> None:
    """Secrets of every kind: string, binary, customer key, labels, tags, policy, empty,
    deprecated versions, and one scheduled for deletion."""
    sm, kms = server.client("secretsmanager"), server.client("kms")
    key_id = new_key(kms)["KeyId"]
    rich = sm.create_secret(
        Name=_unique("rich"),
        Description="kept across restarts",
        SecretString="v1",
        KmsKeyId=key_id,
        Tags=[{"Key": "team", "Value": "core"}, {"Key": "env", "Value": "prod"}],
    )["ARN"]
    for n in range(2, 6):
        sm.put_secret_value(SecretId=rich, SecretString=f"v{n}")  # v1, v2, v3 end up unlabelled
    sm.put_secret_value(SecretId=rich, SecretString="pending", VersionStages=["AWSPENDING"])
    sm.put_secret_value(SecretId=rich, SecretString="blue", VersionStages=["blue", "green"])
    sm.put_resource_policy(SecretId=rich, ResourcePolicy=POLICY)
    binary = sm.create_secret(Name=_unique("binary"), SecretBinary=bytes(range(256)))["ARN"]
    sm.tag_resource(SecretId=binary, Tags=[{"Key": "kind", "Value": "bytes"}])
    sm.untag_resource(SecretId=binary, TagKeys=["kind"])  # Tags: [] from now on
    sm.create_secret(Name=_unique("empty"), Description="no value yet")
    doomed = sm.create_secret(Name=_unique("doomed"), SecretString="soon gone")["ARN"]
    sm.delete_secret(SecretId=doomed, RecoveryWindowInDays=9)


def test_restart_keeps_every_secret_version_label_tag_and_policy(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "restart"
    server = start_server(data_dir)
    _populate(server)
    before = _snapshot(server.client("secretsmanager"))
    assert len(before["list"]) == 4
    rich = next(s for s in before["list"] if s["Name"].startswith("rich-"))
    rich_state = before[rich["ARN"]]
    assert len(rich_state["versions"]) == 7 and rich_state["policy"]["ResourcePolicy"] == POLICY
    assert sorted(v["SecretString"] for v in rich_state["values"].values()) == sorted(
        ["v1", "v2", "v3", "v4", "v5", "pending", "blue"]
    )
    server.stop()

    for _ in range(2):
        server = start_server(data_dir)
        after = _snapshot(server.client("secretsmanager"))
        assert after == before
        server.stop()


def _put_until_killed(
    server: ServerProcess, secret_ids: list[str], threads: int, enough: int
) -> list[tuple[str, str, str]]:
    """Threads PutSecretValue until `enough` are acknowledged, then the server is killed;
    (secret, version id, value) of every acknowledged write."""

    def put(sm: Any, worker: int, n: int) -> tuple[str, str, str]:
        secret_id = secret_ids[(worker + n) % len(secret_ids)]
        value, token = f"{worker}:{n}", str(uuid.uuid4())
        sm.put_secret_value(SecretId=secret_id, SecretString=value, ClientRequestToken=token)
        return secret_id, token, value

    acknowledged, _ = write_until_killed(
        server, "secretsmanager", put, threads=threads, enough=enough
    )
    return acknowledged


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_during_concurrent_puts_loses_no_acknowledged_version(
    start_server: Callable[..., ServerProcess], tmp_path: Path, workers: int
) -> None:
    data_dir = tmp_path / "crash"
    server = start_server(data_dir, extra_args=["--workers", str(workers)])
    sm = server.client("secretsmanager")
    secret_ids = [sm.create_secret(Name=_unique("crash"), SecretString="v0")["ARN"] for _ in "ab"]
    acknowledged = _put_until_killed(server, secret_ids, threads=4, enough=60)

    sm = start_server(data_dir).client("secretsmanager")
    for secret_id, token, value in acknowledged:
        read = sm.get_secret_value(SecretId=secret_id, VersionId=token)
        assert read["SecretString"] == value
    for secret_id in secret_ids:
        versions = _all_versions(sm, secret_id)
        assert len(_holders(versions, "AWSCURRENT")) == 1
        assert len(_holders(versions, "AWSPREVIOUS")) == 1
        for version in versions:  # nothing listed without its value
            sm.get_secret_value(SecretId=secret_id, VersionId=version["VersionId"])
        current = _holders(versions, "AWSCURRENT")[0]
        assert sm.get_secret_value(SecretId=secret_id)["VersionId"] == current
        mine = {token for sid, token, _ in acknowledged if sid == secret_id}
        assert mine <= {v["VersionId"] for v in versions}


def _race_on_one_secret(
    server: ServerProcess, arn: str, threads: int, rounds: int
) -> tuple[dict[str, str], int]:
    """Half the threads put new versions, half move AWSCURRENT between acknowledged ones;
    (version id -> value of every acknowledged put, how many moves were acknowledged)."""
    acknowledged: dict[str, str] = {}
    moves: list[str] = []
    lock = threading.Lock()
    clients = [server.client("secretsmanager") for _ in range(threads)]

    def put(sm: Any, index: int) -> None:
        for n in range(rounds):
            value, token = f"{index}:{n}", str(uuid.uuid4())
            answer = sm.put_secret_value(SecretId=arn, SecretString=value, ClientRequestToken=token)
            assert answer["VersionStages"] == ["AWSCURRENT"]
            with lock:
                acknowledged[token] = value

    def move(sm: Any) -> None:
        for _ in range(rounds):
            stages = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
            current = next(v for v, labels in stages.items() if "AWSCURRENT" in labels)
            with lock:
                targets = [v for v in acknowledged if v != current]
            if not targets:
                continue
            try:
                sm.update_secret_version_stage(
                    SecretId=arn,
                    VersionStage="AWSCURRENT",
                    RemoveFromVersionId=current,
                    MoveToVersionId=targets[len(targets) // 2],
                )
                moves.append(current)
            except ClientError as error:  # AWSCURRENT moved since we looked: a lost race
                assert error.response["Error"]["Code"] == "InvalidParameterException", error

    def run(index: int) -> None:
        put(clients[index], index) if index % 2 == 0 else move(clients[index])

    in_threads(threads, run, timeout=180)
    return acknowledged, len(moves)


def test_two_workers_racing_puts_and_label_moves_keep_labels_whole(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_args=["--workers", "2"])
    sm = server.client("secretsmanager")
    created = sm.create_secret(Name=_unique("race"), SecretString="first")
    acknowledged, moves = _race_on_one_secret(server, created["ARN"], threads=8, rounds=10)
    assert moves > 0  # the label moves did race the puts
    acknowledged[created["VersionId"]] = "first"
    assert len(acknowledged) == 4 * 10 + 1

    for _ in range(6):  # fresh clients: reads spread over both workers
        reader = server.client("secretsmanager")
        versions = _all_versions(reader, created["ARN"])
        assert len(_holders(versions, "AWSCURRENT")) == 1
        assert len(_holders(versions, "AWSPREVIOUS")) == 1
        assert _holders(versions, "AWSCURRENT") != _holders(versions, "AWSPREVIOUS")
        assert {v["VersionId"] for v in versions} == set(acknowledged)
        stages = reader.describe_secret(SecretId=created["ARN"])["VersionIdsToStages"]
        assert stages == {
            v["VersionId"]: v["VersionStages"] for v in versions if "VersionStages" in v
        }
        current = reader.get_secret_value(SecretId=created["ARN"])
        assert current["VersionId"] == _holders(versions, "AWSCURRENT")[0]
        assert current["SecretString"] == acknowledged[current["VersionId"]]
    for token, value in acknowledged.items():
        assert (
            sm.get_secret_value(SecretId=created["ARN"], VersionId=token)["SecretString"] == value
        )


def _wait_until_gone(sm: Any, name: str, seconds: float = 15.0) -> None:
    """Poll until DescribeSecret says not found (the scheduler acts in the background)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            sm.describe_secret(SecretId=name)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "ResourceNotFoundException", error
            return
        time.sleep(0.05)
    raise AssertionError(f"{name} was not destroyed in time")


def _scheduled(sm: Any, window: int) -> dict[str, Any]:
    """A secret with a value, deleted with a recovery window of `window` days."""
    created = sm.create_secret(Name=_unique(f"window{window}"), SecretString=f"w{window}")
    asked = datetime.now(UTC)
    deleted = sm.delete_secret(SecretId=created["ARN"], RecoveryWindowInDays=window)
    days = (deleted["DeletionDate"] - asked).total_seconds() / DAY
    assert abs(days - window) < 60 / DAY
    assert "DeletedDate" in sm.describe_secret(SecretId=created["ARN"])
    assert error_of(sm.get_secret_value, SecretId=created["ARN"])["Code"] == (
        "InvalidRequestException"
    )
    return created  # type: ignore[no-any-return]


def _later(
    start_server: Callable[..., ServerProcess], data_dir: Path, days: float
) -> ServerProcess:
    """The server on `data_dir` started with its clock `days` ahead (scheduler fast)."""
    env = {**FAST, "STRONGROOM_DEV_CLOCK_OFFSET": str(int(days * DAY))}
    return start_server(data_dir, extra_env=env)


def test_recovery_window_restore_before_and_destruction_after(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "window"
    first = start_server(data_dir, extra_env=FAST)
    sm = first.client("secretsmanager")
    seven, eight, restored = _scheduled(sm, 7), _scheduled(sm, 8), _scheduled(sm, 7)
    sm.restore_secret(SecretId=restored["ARN"])
    assert sm.get_secret_value(SecretId=restored["ARN"])["SecretString"] == "w7"
    assert "DeletedDate" not in sm.describe_secret(SecretId=restored["ARN"])
    error = error_of(sm.create_secret, Name=seven["Name"], SecretString="again")
    assert error["Code"] == "InvalidRequestException"  # the name is still taken
    first.stop()

    second = _later(start_server, data_dir, 7.5)
    later = second.client("secretsmanager")
    _wait_until_gone(later, seven["Name"])
    # The scheduler ran past the 7-day window; the 8-day one is not due yet.
    assert "DeletedDate" in later.describe_secret(SecretId=eight["ARN"])
    assert later.get_secret_value(SecretId=restored["ARN"])["SecretString"] == "w7"
    again = later.create_secret(Name=seven["Name"], SecretString="reborn")
    assert again["ARN"] != seven["ARN"]
    assert later.get_secret_value(SecretId=seven["Name"])["SecretString"] == "reborn"
    assert error_of(later.get_secret_value, SecretId=seven["ARN"])["Code"] == (
        "ResourceNotFoundException"
    )
    second.stop()

    last = _later(start_server, data_dir, 8.5).client("secretsmanager")
    _wait_until_gone(last, eight["Name"])
    assert error_of(last.restore_secret, SecretId=eight["ARN"])["Code"] == (
        "ResourceNotFoundException"
    )
    names = {s["Name"] for s in last.list_secrets(IncludePlannedDeletion=True)["SecretList"]}
    assert names == {seven["Name"], restored["Name"]}
