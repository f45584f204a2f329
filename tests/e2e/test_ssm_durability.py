"""Parameter Store durability end to end: restarts, crashes and several workers.

Invariants checked:
- a restart keeps every parameter, version, value (SecureString ciphertext byte for
  byte), label, tag, description, allowed pattern, data type and policy; a policy's due
  work survives it too (its Expiration still deletes the parameter when the clock passes);
- after `kill -9` during concurrent PutParameter Overwrite (one and two workers), every
  acknowledged version is in the history with its value, the versions are contiguous from
  1, no version number was acknowledged twice, any version beyond the last acknowledged
  one holds a write that was in flight, and the current version is the highest;
- two workers racing PutParameter Overwrite and LabelParameterVersion on one parameter
  leave versions 1..N with no gap or duplicate, each acknowledged with its value, and
  each label on exactly one version.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.answers import plain
from tests.e2e.concurrently import in_threads
from tests.e2e.crash_writers import write_until_killed
from tests.e2e.dev_clock import tick_at
from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.pages import every_entry

DAY = 86400
SECURE = "SecureString"


def _name(prefix: str) -> str:
    return f"/e2e-durable/{prefix}-{uuid.uuid4().hex[:12]}"


def _history(ssm: Any, name: str, decrypt: bool = True) -> list[dict[str, Any]]:
    return every_entry(
        ssm.get_parameter_history, "Parameters", Name=name, WithDecryption=decrypt, MaxResults=50
    )


def _snapshot(ssm: Any) -> dict[str, Any]:
    """Everything a user can see of every parameter: metadata, versions (decrypted and
    not), labels as selectors, tags."""
    described = every_entry(ssm.describe_parameters, "Parameters", MaxResults=50)
    state: dict[str, Any] = {"described": plain(described)}
    for entry in described:
        name = entry["Name"]
        history = _history(ssm, name)
        by_label = {
            label: plain(ssm.get_parameter(Name=f"{name}:{label}", WithDecryption=True))
            for version in history
            for label in version["Labels"]
        }
        state[name] = {
            "history": plain(history),
            "stored": plain(_history(ssm, name, decrypt=False)),
            "current": plain(ssm.get_parameter(Name=name, WithDecryption=True)),
            "by_label": by_label,
            "tags": plain(ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)),
        }
    return state


def _policies(expires: datetime) -> str:
    stamp = expires.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps(
        [
            {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": stamp}},
            {
                "Type": "NoChangeNotification",
                "Version": "1.0",
                "Attributes": {"After": "60", "Unit": "Days"},
            },
        ]
    )


def _populate(server: ServerProcess) -> str:
    """Parameters of every kind; the name of the one with an Expiration in 30 days."""
    ssm, kms = server.client("ssm"), server.client("kms")
    plain = _name("plain")
    for n in range(1, 5):
        ssm.put_parameter(
            Name=plain,
            Value=f"v{n}",
            Type="String",
            Overwrite=n > 1,
            Description=f"version {n}",
            AllowedPattern="^v[0-9]+$",
        )
    ssm.label_parameter_version(Name=plain, ParameterVersion=2, Labels=["blue", "old"])
    ssm.label_parameter_version(Name=plain, Labels=["green", "prod"])
    ssm.unlabel_parameter_version(Name=plain, ParameterVersion=2, Labels=["old"])
    ssm.add_tags_to_resource(
        ResourceType="Parameter",
        ResourceId=plain,
        Tags=[{"Key": "team", "Value": "core"}, {"Key": "gone", "Value": "soon"}],
    )
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=plain, TagKeys=["gone"])
    ssm.put_parameter(Name=_name("list"), Value="a,b,c", Type="StringList")
    ssm.put_parameter(Name="toplevel-durable", Value="top", Type="String")
    ssm.put_parameter(
        Name=_name("ami"), Value="ami-12345678", Type="String", DataType="aws:ec2:image"
    )
    secret = _name("secret")
    for n in range(3):
        ssm.put_parameter(Name=secret, Value=f"s{n}", Type=SECURE, Overwrite=n > 0)
    ssm.label_parameter_version(Name=secret, ParameterVersion=1, Labels=["first"])
    alias = f"alias/e2e-durable-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=new_key(kms)["KeyId"])
    ssm.put_parameter(
        Name=_name("cmk"),
        Value="x" * 6000,
        Type=SECURE,
        KeyId=alias,
        Tier="Advanced",
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    expiring = _name("expiring")
    expires = datetime.now(UTC) + timedelta(days=30)
    ssm.put_parameter(
        Name=expiring,
        Value="temporary",
        Type="String",
        Tier="Advanced",
        Policies=_policies(expires),
    )
    deleted = _name("deleted")
    ssm.put_parameter(Name=deleted, Value="gone", Type="String")
    ssm.delete_parameter(Name=deleted)
    return expiring


def test_restart_keeps_every_parameter_version_label_tag_and_policy(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "restart"
    server = start_server(data_dir)
    expiring = _populate(server)
    before = _snapshot(server.client("ssm"))
    assert len(before["described"]) == 7
    plain = next(n for n in before if isinstance(n, str) and "/plain-" in n)
    assert [v["Labels"] for v in before[plain]["history"]] == [[], ["blue"], [], ["green", "prod"]]
    assert before[plain]["tags"]["TagList"] == [{"Key": "team", "Value": "core"}]
    assert before[expiring]["current"]["Parameter"]["Value"] == "temporary"
    (policy_entry,) = [d for d in before["described"] if d["Name"] == expiring]
    assert {p["PolicyType"] for p in policy_entry["Policies"]} == {
        "Expiration",
        "NoChangeNotification",
    }
    server.stop()

    for _ in range(2):
        server = start_server(data_dir)
        assert _snapshot(server.client("ssm")) == before
        server.stop()

    server = start_server(data_dir)  # the Expiration's due work outlived the restarts
    tick_at(server, 31 * DAY)
    ssm = server.client("ssm")
    assert error_of(ssm.get_parameter, Name=expiring)["Code"] == "ParameterNotFound"
    left = {d["Name"] for d in every_entry(ssm.describe_parameters, "Parameters", MaxResults=50)}
    assert left == {d["Name"] for d in before["described"]} - {expiring}


def _put_until_killed(
    server: ServerProcess, names: list[str], threads: int, enough: int
) -> tuple[list[tuple[str, int, str]], list[tuple[str, str]]]:
    """Threads PutParameter Overwrite until `enough` are acknowledged, then the server is
    killed; (name, version, value) of every acknowledged write, and (name, value) of each
    write in flight when the server died."""

    def attempt(worker: int, n: int) -> tuple[str, str]:
        return names[(worker + n) % len(names)], f"{worker}:{n}"

    def put(ssm: Any, worker: int, n: int) -> tuple[str, int, str]:
        name, value = attempt(worker, n)
        return name, ssm.put_parameter(Name=name, Value=value, Overwrite=True)["Version"], value

    acknowledged, in_flight = write_until_killed(server, "ssm", put, threads=threads, enough=enough)
    return acknowledged, [attempt(worker, n) for worker, n in in_flight]


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_during_concurrent_puts_loses_no_acknowledged_version(
    start_server: Callable[..., ServerProcess], tmp_path: Path, workers: int
) -> None:
    data_dir = tmp_path / "crash"
    server = start_server(data_dir, extra_args=["--workers", str(workers)])
    ssm = server.client("ssm")
    names = [_name("crash-plain"), _name("crash-secure")]
    ssm.put_parameter(Name=names[0], Value="v0", Type="String")
    ssm.put_parameter(Name=names[1], Value="v0", Type=SECURE)
    acknowledged, in_flight = _put_until_killed(server, names, threads=4, enough=80)

    ssm = start_server(data_dir).client("ssm")
    for name in names:
        mine = {version: value for n, version, value in acknowledged if n == name}
        assert len(mine) == len([a for a in acknowledged if a[0] == name])  # no version twice
        history = _history(ssm, name)
        versions = [h["Version"] for h in history]
        assert versions == list(range(1, len(versions) + 1))  # contiguous, from 1
        values = {h["Version"]: h["Value"] for h in history}
        assert values[1] == "v0"
        for version, value in mine.items():
            assert values.get(version) == value, (name, version)
        unacknowledged = [values[v] for v in versions if v > 1 and v not in mine]
        assert len(set(unacknowledged)) == len(unacknowledged)  # each landed at most once
        assert set(unacknowledged) <= {value for n, value in in_flight if n == name}
        current = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
        assert current["Version"] == max(versions)
        assert current["Value"] == values[max(versions)]


def _race_on_one_parameter(
    server: ServerProcess, name: str, threads: int, rounds: int, labels: list[str]
) -> tuple[dict[int, str], int]:
    """Half the threads put new versions, half move labels onto acknowledged versions;
    (version -> value of every acknowledged put, how many label moves were acknowledged)."""
    acknowledged: dict[int, str] = {}
    duplicates: list[int] = []
    moves: list[tuple[str, int]] = []
    lock = threading.Lock()
    clients = [server.client("ssm") for _ in range(threads)]

    def put(ssm: Any, index: int) -> None:
        last = 0
        for n in range(rounds):
            value = f"{index}:{n}"
            version = ssm.put_parameter(Name=name, Value=value, Overwrite=True)["Version"]
            assert version > last, (version, last)  # one writer's versions only grow
            last = version
            with lock:
                if version in acknowledged:
                    duplicates.append(version)
                acknowledged[version] = value

    def label(ssm: Any, index: int) -> None:
        for n in range(rounds):
            with lock:
                known = sorted(acknowledged)
            target = known[(index + n) % len(known)] if known else 1
            chosen = labels[(index + n) % len(labels)]
            answer = ssm.label_parameter_version(
                Name=name, ParameterVersion=target, Labels=[chosen]
            )
            assert answer["InvalidLabels"] == [] and answer["ParameterVersion"] == target
            moves.append((chosen, target))

    def run(index: int) -> None:
        put(clients[index], index) if index % 2 == 0 else label(clients[index], index)

    in_threads(threads, run, timeout=180)
    assert not duplicates, duplicates
    return acknowledged, len(moves)


def test_two_workers_racing_puts_and_labels_keep_versions_and_labels_whole(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_args=["--workers", "2"])
    ssm = server.client("ssm")
    name = _name("race")
    ssm.put_parameter(Name=name, Value="first", Type="String")
    labels = ["blue", "green", "red"]
    acknowledged, moves = _race_on_one_parameter(server, name, threads=8, rounds=20, labels=labels)
    assert moves == 4 * 20
    acknowledged[1] = "first"
    assert sorted(acknowledged) == list(range(1, 4 * 20 + 2))  # every put, no gap

    for _ in range(6):  # fresh clients: reads spread over both workers
        reader = server.client("ssm")
        history = _history(reader, name)
        assert [h["Version"] for h in history] == sorted(acknowledged)
        assert {h["Version"]: h["Value"] for h in history} == acknowledged
        holders = {
            label: [h["Version"] for h in history if label in h["Labels"]] for label in labels
        }
        assert all(len(versions) == 1 for versions in holders.values()), holders
        for label, (version,) in holders.items():
            read = reader.get_parameter(Name=f"{name}:{label}")["Parameter"]
            assert read["Version"] == version and read["Value"] == acknowledged[version]
        current = reader.get_parameter(Name=name)["Parameter"]
        assert current["Version"] == max(acknowledged)
        assert current["Value"] == acknowledged[max(acknowledged)]
        (described,) = reader.describe_parameters(
            ParameterFilters=[{"Key": "Name", "Values": [name]}]
        )["Parameters"]
        assert described["Version"] == max(acknowledged)


def test_refused_put_during_a_race_takes_no_version_number(
    start_server: Callable[..., ServerProcess],
) -> None:
    """A put refused inside its transaction (pattern mismatch) leaves no trace even while
    other workers write: the versions stay contiguous."""
    server = start_server(extra_args=["--workers", "2"])
    name = _name("refused")
    server.client("ssm").put_parameter(Name=name, Value="1", Type="String")
    refused: list[str] = []

    def writer(index: int) -> None:
        ssm = server.client("ssm")
        for n in range(15):
            if (index + n) % 3 == 0:
                try:
                    ssm.put_parameter(
                        Name=name, Value="letters", AllowedPattern="^[0-9]+$", Overwrite=True
                    )
                except ClientError as error:
                    refused.append(error.response["Error"]["Code"])
            else:
                ssm.put_parameter(Name=name, Value=str(n), Overwrite=True)

    in_threads(4, writer)
    assert refused and set(refused) == {"ParameterPatternMismatchException"}
    history = _history(server.client("ssm"), name)
    assert [h["Version"] for h in history] == list(range(1, 60 - len(refused) + 2))
    assert all(h["Value"] != "letters" for h in history)
