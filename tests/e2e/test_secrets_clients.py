"""Unchanged AWS clients against Strongroom's Secrets Manager: the AWS CLI, configured only
by the exported variables, and AWS's Python caching library (aws-secretsmanager-caching)
over a boto3 client.

Invariants checked: what these clients show is what was stored (string and binary values,
labels, filters, deletion); the caching library finds the AWSCURRENT version through
DescribeSecret's VersionIdsToStages and reads it by VersionId, and sees a new value once it
refreshes; errors reach the CLI user as AWS's error codes.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from aws_secretsmanager_caching import (
    InjectKeywordedSecretString,
    InjectSecretString,
    SecretCache,
    SecretCacheConfig,
)
from botocore.exceptions import ClientError

from tests.e2e.harness import ServerProcess

needs_cli = pytest.mark.skipif(shutil.which("aws") is None, reason="the AWS CLI is not installed")


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _run(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["aws", "secretsmanager", *args, "--output", "json"],
        env=server.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _aws(server: ServerProcess, *args: str) -> Any:
    """Run `aws secretsmanager ...`, which must succeed; its JSON output."""
    result = _run(server, *args)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


# --- the AWS CLI ---------------------------------------------------------------------


@needs_cli
def test_cli_secret_life_cycle(strongroom_server: ServerProcess) -> None:
    name = _unique("cli/app")
    created = _aws(
        strongroom_server,
        "create-secret",
        "--name",
        name,
        "--description",
        "from the CLI",
        "--secret-string",
        '{"user":"admin","password":"hunter2"}',
        "--tags",
        "Key=team,Value=core",
    )
    assert created["Name"] == name and created["ARN"].endswith(name + created["ARN"][-7:])
    value = _aws(strongroom_server, "get-secret-value", "--secret-id", name)
    assert json.loads(value["SecretString"]) == {"user": "admin", "password": "hunter2"}
    assert value["VersionId"] == created["VersionId"] and value["VersionStages"] == ["AWSCURRENT"]

    put = _aws(strongroom_server, "put-secret-value", "--secret-id", name, "--secret-string", "v2")
    assert put["VersionStages"] == ["AWSCURRENT"] and put["VersionId"] != created["VersionId"]
    assert (
        _aws(strongroom_server, "get-secret-value", "--secret-id", created["ARN"])["SecretString"]
        == "v2"
    )
    previous = _aws(
        strongroom_server, "get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS"
    )
    assert previous["VersionId"] == created["VersionId"]

    described = _aws(strongroom_server, "describe-secret", "--secret-id", name)
    assert described["Description"] == "from the CLI"
    assert described["Tags"] == [{"Key": "team", "Value": "core"}]
    assert described["VersionIdsToStages"] == {
        put["VersionId"]: ["AWSCURRENT"],
        created["VersionId"]: ["AWSPREVIOUS"],
    }

    listed = _aws(strongroom_server, "list-secrets", "--filters", f"Key=name,Values={name}")
    assert [s["ARN"] for s in listed["SecretList"]] == [created["ARN"]]
    assert listed["SecretList"][0]["SecretVersionsToStages"] == described["VersionIdsToStages"]
    tagged = _aws(
        strongroom_server,
        "list-secrets",
        "--filters",
        "Key=tag-key,Values=team",
        "Key=name,Values=cli/",
    )
    assert created["ARN"] in [s["ARN"] for s in tagged["SecretList"]]

    deleted = _aws(
        strongroom_server, "delete-secret", "--secret-id", name, "--recovery-window-in-days", "7"
    )
    assert deleted["ARN"] == created["ARN"]
    refused = _run(strongroom_server, "get-secret-value", "--secret-id", name)
    assert refused.returncode != 0 and "InvalidRequestException" in refused.stderr
    listed = _aws(strongroom_server, "list-secrets", "--filters", f"Key=name,Values={name}")
    assert listed["SecretList"] == []
    _aws(strongroom_server, "restore-secret", "--secret-id", name)
    assert _aws(strongroom_server, "get-secret-value", "--secret-id", name)["SecretString"] == "v2"

    _aws(strongroom_server, "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    gone = _run(strongroom_server, "describe-secret", "--secret-id", name)
    assert gone.returncode != 0 and "ResourceNotFoundException" in gone.stderr


@needs_cli
def test_cli_binary_secret_from_a_file(strongroom_server: ServerProcess, tmp_path: Path) -> None:
    payload = bytes(range(256)) * 4
    source = tmp_path / "secret.bin"
    source.write_bytes(payload)
    name = _unique("cli-bin")
    _aws(strongroom_server, "create-secret", "--name", name, "--secret-binary", f"fileb://{source}")
    value = _aws(strongroom_server, "get-secret-value", "--secret-id", name)
    assert base64.b64decode(value["SecretBinary"]) == payload and "SecretString" not in value


@needs_cli
def test_cli_shows_aws_errors_and_changes_nothing(strongroom_server: ServerProcess) -> None:
    missing = _run(strongroom_server, "get-secret-value", "--secret-id", _unique("never-made"))
    assert missing.returncode != 0 and "ResourceNotFoundException" in missing.stderr
    name = _unique("cli-dup")
    _aws(strongroom_server, "create-secret", "--name", name, "--secret-string", "one")
    again = _run(strongroom_server, "create-secret", "--name", name, "--secret-string", "two")
    assert again.returncode != 0 and "ResourceExistsException" in again.stderr
    bad = _run(strongroom_server, "create-secret", "--name", "no spaces", "--secret-string", "x")
    assert bad.returncode != 0 and "ValidationException" in bad.stderr
    assert _aws(strongroom_server, "get-secret-value", "--secret-id", name)["SecretString"] == "one"


# --- aws-secretsmanager-caching ------------------------------------------------------


def _cache(server: ServerProcess, **config: Any) -> SecretCache:
    return SecretCache(config=SecretCacheConfig(**config), client=server.client("secretsmanager"))


def test_cache_reads_the_current_value_and_refreshes(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    name = _unique("cached")
    sm.create_secret(Name=name, SecretString="first")
    cache = _cache(strongroom_server)
    assert cache.get_secret_string(name) == "first"
    sm.put_secret_value(SecretId=name, SecretString="second")
    assert cache.refresh_secret_now(name) is True
    assert cache.get_secret_string(name) == "second"
    assert cache.get_secret_string(name, "AWSPREVIOUS") == "first"
    sm.put_secret_value(SecretId=name, SecretString="blue", VersionStages=["blue"])
    cache.refresh_secret_now(name)
    assert cache.get_secret_string(name, "blue") == "blue"
    assert cache.get_secret_string(name) == "second"  # a custom label moves no AWSCURRENT
    assert cache.get_secret_string(name, "no-such-label") is None


def test_cache_with_no_refresh_interval_follows_every_put(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    name = _unique("fresh")
    arn = sm.create_secret(Name=name, SecretString="v0")["ARN"]
    cache = _cache(strongroom_server, secret_refresh_interval=0)
    for n in range(1, 4):
        sm.put_secret_value(SecretId=arn, SecretString=f"v{n}")
        assert cache.get_secret_string(name) == f"v{n}"
    current = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    previous = next(v for v, labels in current.items() if "AWSPREVIOUS" in labels)
    current_id = next(v for v, labels in current.items() if "AWSCURRENT" in labels)
    sm.update_secret_version_stage(
        SecretId=name,
        VersionStage="AWSCURRENT",
        RemoveFromVersionId=current_id,
        MoveToVersionId=previous,
    )
    assert cache.get_secret_string(name) == "v2"  # rolled back by moving the label


def test_cache_reads_binary_secrets_by_arn(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    payload = bytes(range(256))
    arn = sm.create_secret(Name=_unique("cached-bin"), SecretBinary=payload)["ARN"]
    cache = _cache(strongroom_server)
    assert cache.get_secret_binary(arn) == payload
    assert cache.get_secret_string(arn) is None


def test_cache_raises_for_a_secret_it_cannot_read(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    cache = _cache(strongroom_server)
    with pytest.raises(ClientError) as missing:
        cache.get_secret_string(_unique("absent"))
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    name = _unique("deleted")
    sm.create_secret(Name=name, SecretString="x")
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    with pytest.raises(ClientError) as deleted:
        _cache(strongroom_server).get_secret_string(name)
    assert deleted.value.response["Error"]["Code"] == "InvalidRequestException"
    empty = _unique("empty")
    sm.create_secret(Name=empty)
    assert _cache(strongroom_server).get_secret_string(empty) is None  # no version yet


def test_decorators_inject_json_fields_and_strings(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    name = _unique("db-creds")
    credentials = {"username": "app", "password": "s3cr3t!", "port": 5432}
    sm.create_secret(Name=name, SecretString=json.dumps(credentials))
    cache = _cache(strongroom_server)

    fields = {"user": "username", "secret": "password", "port": "port"}

    @InjectKeywordedSecretString(name, cache, **fields)  # type: ignore[untyped-decorator]
    def connect(user: str, secret: str, port: int, host: str = "db") -> tuple[Any, ...]:
        return user, secret, port, host

    assert connect(host="db.internal") == ("app", "s3cr3t!", 5432, "db.internal")

    @InjectSecretString(name, cache)  # type: ignore[untyped-decorator]
    def raw(secret: str, suffix: str) -> str:
        return secret + suffix

    assert json.loads(raw("")) == credentials
    sm.put_secret_value(SecretId=name, SecretString=json.dumps({**credentials, "password": "n3w"}))
    cache.refresh_secret_now(name)
    assert connect()[1] == "n3w"
