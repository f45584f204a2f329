"""Secrets Manager encryption end to end: the AWS managed key, customer keys whose state
changes under a secret, and plaintext that never reaches a file, a log or an error.

Invariants checked:
- without KmsKeyId the first value creates `alias/aws/secretsmanager` (KeyManager AWS,
  policy `auto-secretsmanager-2`) once per account and region, however many secrets;
- a disabled or deletion-pending key makes reads fail with DecryptionFailure and writes
  with EncryptionFailure, changing nothing, while metadata stays readable; re-enabling the
  key restores access; an unknown key creates nothing;
- a random canary value (string and binary), stored, read back, or carried by a refused
  call, appears in no file of the data directory (database, `-wal`, `-shm`, anything),
  in no line the server printed and in no error message, raw or as base64 or hex; a
  force-deleted secret's stored records are scrubbed from every file.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e.at_rest import data_files, files_holding, read_only, settled, tails_of
from tests.e2e.canary import debug_server, holders, new_canary, printed
from tests.e2e.concurrently import in_threads
from tests.e2e.harness import ACCOUNT_ID, REGION, ServerProcess
from tests.e2e.kms_support import error_of, new_key
from tests.e2e.managed_keys import aws_managed_keys, managed_aliases, the_managed_key

MANAGED_ALIAS = "alias/aws/secretsmanager"


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def _versions(sm: Any, secret_id: str) -> list[dict[str, Any]]:
    """Every version of a secret, deprecated ones included (without access dates)."""
    page = sm.list_secret_version_ids(SecretId=secret_id, IncludeDeprecated=True, MaxResults=100)
    assert "NextToken" not in page
    return [{k: v for k, v in e.items() if k != "LastAccessedDate"} for e in page["Versions"]]


def _metadata(sm: Any, secret_id: str) -> dict[str, Any]:
    """DescribeSecret without the response envelope and the access date."""
    shape = sm.describe_secret(SecretId=secret_id)
    return {k: v for k, v in shape.items() if k not in ("ResponseMetadata", "LastAccessedDate")}


# --- the AWS managed key ------------------------------------------------------------


def test_first_value_creates_the_managed_key_once(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server()
    sm, kms = server.client("secretsmanager"), server.client("kms")
    assert managed_aliases(kms, MANAGED_ALIAS) == []
    first = sm.create_secret(Name=_unique("managed"), SecretString="one")
    aliases, key = the_managed_key(kms, MANAGED_ALIAS, "auto-secretsmanager-2")
    described = sm.describe_secret(SecretId=first["ARN"])
    assert "KmsKeyId" not in described  # AWS omits the default key
    versions = sm.list_secret_version_ids(SecretId=first["ARN"])["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [["DefaultEncryptionKey"]]

    for n in range(5):
        sm.create_secret(Name=_unique(f"more{n}"), SecretString=f"v{n}")
        sm.create_secret(Name=_unique(f"bin{n}"), SecretBinary=bytes([n + 1]) * 8)
    assert managed_aliases(kms, MANAGED_ALIAS) == aliases
    assert aws_managed_keys(kms) == [key["KeyId"]]
    assert sm.get_secret_value(SecretId=first["ARN"])["SecretString"] == "one"


def test_managed_key_outlives_a_restart(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir)
    before = server.client("secretsmanager").create_secret(Name=_unique("a"), SecretString="a")
    key_id = server.client("kms").describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]["KeyId"]
    server.stop()
    server = start_server(data_dir)
    sm, kms = server.client("secretsmanager"), server.client("kms")
    sm.create_secret(Name=_unique("b"), SecretString="b")
    assert [a["TargetKeyId"] for a in managed_aliases(kms, MANAGED_ALIAS)] == [key_id]
    assert aws_managed_keys(kms) == [key_id]
    assert sm.get_secret_value(SecretId=before["ARN"])["SecretString"] == "a"


def test_managed_key_is_per_region(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server()
    east_kms = server.client("kms")
    server.client("secretsmanager").create_secret(Name=_unique("east"), SecretString="e")
    east_key = east_kms.describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]
    west_kms = server.client("kms", region_name="eu-west-1")
    assert managed_aliases(west_kms, MANAGED_ALIAS) == []
    west_sm = server.client("secretsmanager", region_name="eu-west-1")
    west_sm.create_secret(Name=_unique("west"), SecretString="w")
    west_key = west_kms.describe_key(KeyId=MANAGED_ALIAS)["KeyMetadata"]
    assert west_key["Arn"].startswith("arn:aws:kms:eu-west-1:")
    assert west_key["KeyId"] != east_key["KeyId"]
    assert aws_managed_keys(east_kms) == [east_key["KeyId"]]


def test_concurrent_first_secrets_on_two_workers_make_one_managed_key(
    start_server: Callable[..., ServerProcess],
) -> None:
    server = start_server(extra_args=["--workers", "2"])
    names = [_unique(f"race{n}") for n in range(12)]
    clients = [server.client("secretsmanager") for _ in names]  # own connections each

    def create(index: int) -> None:
        clients[index].create_secret(Name=names[index], SecretString=names[index])

    in_threads(len(names), create)
    kms = server.client("kms")
    assert len(managed_aliases(kms, MANAGED_ALIAS)) == 1
    assert len(aws_managed_keys(kms)) == 1
    sm = server.client("secretsmanager")
    for name in names:
        assert sm.get_secret_value(SecretId=name)["SecretString"] == name


# --- customer keys whose state changes ----------------------------------------------


def _secret_under_new_key(strongroom_server: ServerProcess) -> tuple[Any, Any, str, str]:
    """(sm, kms, key id, secret ARN): a secret with one value under a fresh customer key."""
    sm = strongroom_server.client("secretsmanager")
    kms = strongroom_server.client("kms")
    key_id = new_key(kms)["KeyId"]
    arn = sm.create_secret(Name=_unique("cmk"), SecretString="original", KmsKeyId=key_id)["ARN"]
    return sm, kms, key_id, arn


def _refused_reads_and_writes(sm: Any, arn: str) -> None:
    """With the key unusable: reads DecryptionFailure, writes EncryptionFailure, metadata
    readable, and nothing changes."""
    before_meta, before_versions = _metadata(sm, arn), _versions(sm, arn)
    assert error_of(sm.get_secret_value, SecretId=arn)["Code"] == "DecryptionFailure"
    token = str(uuid.uuid4())
    put = error_of(sm.put_secret_value, SecretId=arn, SecretString="new", ClientRequestToken=token)
    assert put["Code"] == "EncryptionFailure"
    update = error_of(sm.update_secret, SecretId=arn, SecretString="newer")
    assert update["Code"] == "EncryptionFailure"
    assert _metadata(sm, arn) == before_meta
    assert _versions(sm, arn) == before_versions
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [before_meta["Name"]]}])
    assert [s["ARN"] for s in listed["SecretList"]] == [arn]
    batch = sm.batch_get_secret_value(SecretIdList=[arn])
    assert batch["SecretValues"] == []
    assert [e["ErrorCode"] for e in batch["Errors"]] == ["DecryptionFailure"]


def test_disabled_key_refuses_values_but_not_metadata(strongroom_server: ServerProcess) -> None:
    sm, kms, key_id, arn = _secret_under_new_key(strongroom_server)
    assert sm.describe_secret(SecretId=arn)["KmsKeyId"] == key_id
    kms.disable_key(KeyId=key_id)
    _refused_reads_and_writes(sm, arn)

    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "original"
    put = sm.put_secret_value(SecretId=arn, SecretString="second")
    assert put["VersionStages"] == ["AWSCURRENT"]
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "second"
    assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == (
        "original"
    )


def test_refused_put_leaves_its_token_unused(strongroom_server: ServerProcess) -> None:
    sm, kms, key_id, arn = _secret_under_new_key(strongroom_server)
    token = str(uuid.uuid4())
    kms.disable_key(KeyId=key_id)
    error = error_of(
        sm.put_secret_value, SecretId=arn, SecretString="lost", ClientRequestToken=token
    )
    assert error["Code"] == "EncryptionFailure"
    kms.enable_key(KeyId=key_id)
    # A half-written version under this token would make another value a conflict.
    put = sm.put_secret_value(SecretId=arn, SecretString="kept", ClientRequestToken=token)
    assert put["VersionId"] == token
    assert sm.get_secret_value(SecretId=arn, VersionId=token)["SecretString"] == "kept"


def test_switching_to_a_disabled_key_is_refused(strongroom_server: ServerProcess) -> None:
    sm, kms, _, arn = _secret_under_new_key(strongroom_server)
    disabled = new_key(kms)["KeyId"]
    kms.disable_key(KeyId=disabled)
    before = _metadata(sm, arn)
    assert error_of(sm.update_secret, SecretId=arn, KmsKeyId=disabled)["Code"] == (
        "EncryptionFailure"
    )
    assert _metadata(sm, arn) == before
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "original"


def test_key_pending_deletion_refuses_values_until_cancelled(
    strongroom_server: ServerProcess,
) -> None:
    sm, kms, key_id, arn = _secret_under_new_key(strongroom_server)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    _refused_reads_and_writes(sm, arn)
    assert sm.describe_secret(SecretId=arn)["KmsKeyId"] == key_id
    kms.cancel_key_deletion(KeyId=key_id)
    assert error_of(sm.get_secret_value, SecretId=arn)["Code"] == "DecryptionFailure"  # Disabled
    kms.enable_key(KeyId=key_id)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "original"


def test_key_named_by_alias_follows_the_key_state(strongroom_server: ServerProcess) -> None:
    sm = strongroom_server.client("secretsmanager")
    kms = strongroom_server.client("kms")
    key = new_key(kms)
    alias = f"alias/{_unique('sm')}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    arn = sm.create_secret(Name=_unique("aliased"), SecretBinary=b"\x00\x01", KmsKeyId=alias)["ARN"]
    versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    assert versions[0]["KmsKeyIds"] != ["DefaultEncryptionKey"]
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(sm.get_secret_value, SecretId=arn)["Code"] == "DecryptionFailure"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=arn)["SecretBinary"] == b"\x00\x01"


def test_unknown_key_creates_nothing(start_server: Callable[..., ServerProcess]) -> None:
    server = start_server()
    sm, kms = server.client("secretsmanager"), server.client("kms")
    name = _unique("nokey")
    missing_key = str(uuid.uuid4())
    arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{missing_key}"
    for key_ref in (missing_key, arn, "alias/never-made"):
        error = error_of(sm.create_secret, Name=name, SecretString="x", KmsKeyId=key_ref)
        assert error["Code"] == "EncryptionFailure"
        assert sm.list_secrets(IncludePlannedDeletion=True)["SecretList"] == []
        assert error_of(sm.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"
    assert kms.list_aliases()["Aliases"] == [] and kms.list_keys()["Keys"] == []
    created = sm.create_secret(Name=name, SecretString="x")  # the name is still free
    assert sm.get_secret_value(SecretId=created["ARN"])["SecretString"] == "x"


# --- plaintext reaches no file, log or error ----------------------------------------


def _refused_calls(server: ServerProcess, existing: str, token: str) -> list[dict[str, Any]]:
    """Calls that carry a fresh canary and fail; (error, canary) of each."""
    sm, raw = server.client("secretsmanager"), server.client("secretsmanager", validate=False)
    kms = server.client("kms")
    disabled = new_key(kms)["KeyId"]
    locked = sm.create_secret(Name=_unique("locked"), SecretString="l", KmsKeyId=disabled)["ARN"]
    kms.disable_key(KeyId=disabled)
    doomed = sm.create_secret(Name=_unique("doomed"), SecretString="d")["ARN"]
    sm.delete_secret(SecretId=doomed, RecoveryWindowInDays=7)
    attempts: list[tuple[Callable[..., Any], dict[str, Any], str]] = [
        (sm.put_secret_value, {"SecretId": _unique("missing")}, "ResourceNotFoundException"),
        (sm.create_secret, {"Name": "bad name*"}, "ValidationException"),
        (sm.create_secret, {"Name": existing}, "ResourceExistsException"),
        (sm.put_secret_value, {"SecretId": existing, "ClientRequestToken": token}, ""),
        (sm.put_secret_value, {"SecretId": locked}, "EncryptionFailure"),
        (sm.put_secret_value, {"SecretId": doomed}, "InvalidRequestException"),
        (sm.create_secret, {"Name": _unique("k"), "KmsKeyId": "alias/none"}, "EncryptionFailure"),
        (sm.update_secret, {"SecretId": _unique("gone")}, "ResourceNotFoundException"),
    ]
    outcomes = []
    for call, params, code in attempts:
        canary = new_canary()
        error = error_of(call, SecretString=canary, **params)
        assert code in ("", error["Code"]), (call, error)
        outcomes.append({**error, "canary": canary})
    canary = new_canary()
    error = error_of(sm.put_secret_value, SecretId=existing, SecretString=canary + "x" * 70_000)
    outcomes.append({**error, "canary": canary})
    canary = new_canary()
    error = error_of(raw.put_secret_value, SecretId=existing, SecretString={"v": canary})
    outcomes.append({**error, "canary": canary})
    binary = os.urandom(48)
    error = error_of(sm.create_secret, Name=_unique("both"), SecretString="s", SecretBinary=binary)
    outcomes.append({**error, "canary": binary})
    return outcomes


def test_canary_values_reach_no_file_log_or_error(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    server = debug_server(start_server, tmp_path)
    sm = server.client("secretsmanager")
    stored = [new_canary() for _ in range(3)]
    binary = os.urandom(48)
    name = _unique("canary")
    first = sm.create_secret(Name=name, SecretString=stored[0])
    sm.put_secret_value(SecretId=name, SecretString=stored[1])
    sm.update_secret(SecretId=name, SecretString=stored[2])
    bin_arn = sm.create_secret(Name=_unique("canary-bin"), SecretBinary=binary)["ARN"]
    assert (
        sm.get_secret_value(SecretId=name, VersionId=first["VersionId"])["SecretString"]
        == (stored[0])
    )
    assert sm.get_secret_value(SecretId=name)["SecretString"] == stored[2]
    assert sm.get_secret_value(SecretId=bin_arn)["SecretBinary"] == binary

    refused = _refused_calls(server, name, first["VersionId"])
    for outcome in refused:
        canary = outcome["canary"]
        raw = canary if isinstance(canary, bytes) else canary.encode()
        text = f"{outcome['Code']} {outcome['Message']}".encode()
        assert holders({"message": text}, [raw]) == [], outcome
    assert sm.get_secret_value(SecretId=name)["SecretString"] == stored[2]  # nothing changed

    canaries = [c.encode() for c in stored] + [binary]
    canaries += [c if isinstance(c, bytes) else c.encode() for c in (o["canary"] for o in refused)]
    data_dir = server.data_dir
    assert holders(data_files(data_dir), canaries) == []  # while running: the WAL is live
    server.stop()
    assert holders(data_files(data_dir), canaries) == []
    logs = printed(server)
    assert holders(logs, canaries) == []
    # The probe itself works: a canary it was given is found where it was put.
    probe = {"x": b"..." + base64.b64encode(b"ab" + binary) + b"..."}
    assert holders(probe, [binary]) == ["x"]


def _stored_tails(data_dir: Path, secret_name: str) -> dict[str, bytes]:
    """Path -> last 32 bytes of every stored entry of the secret: its record, its values
    and its index entries (found through the values' secret id: the server holds only
    this secret)."""
    record = f"secretsmanager/{ACCOUNT_ID}/{REGION}/secrets/{secret_name}"
    value_prefix = f"secretsmanager/{ACCOUNT_ID}/{REGION}/values/"
    with read_only(data_dir) as db:
        rows = db.execute("SELECT path, value FROM entries WHERE path = ?", (record,)).fetchall()
        values = db.execute(
            "SELECT path FROM entries WHERE path LIKE ?", (value_prefix + "%",)
        ).fetchall()
        secret_ids = {path[len(value_prefix) :].split("/")[0] for (path,) in values}
        for secret_id in secret_ids:
            rows += db.execute(
                "SELECT path, value FROM entries WHERE path LIKE ?", (f"%{secret_id}%",)
            ).fetchall()
    return tails_of(rows)


def test_force_deleted_secret_is_scrubbed_from_every_file(
    start_server: Callable[..., ServerProcess], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    server = start_server(data_dir, extra_env={"STRONGROOM_SCHEDULER_INTERVAL": "0.2"})
    sm = server.client("secretsmanager")
    name = _unique("scrub")
    canary, binary_canary = new_canary(), os.urandom(48)
    sm.create_secret(Name=name, SecretString=canary)
    sm.put_secret_value(SecretId=name, SecretString=new_canary())
    sm.put_secret_value(SecretId=name, SecretBinary=binary_canary)
    tails = _stored_tails(data_dir, name)
    assert len([p for p in tails if "/values/" in p]) == 3
    assert set(files_holding(data_dir, tails)) == set(tails)  # the probe finds them

    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert error_of(sm.describe_secret, SecretId=name)["Code"] == "ResourceNotFoundException"
    assert _stored_tails(data_dir, name) == {}
    assert settled(lambda: files_holding(data_dir, tails)) == {}
    assert holders(data_files(data_dir), [canary.encode(), binary_canary]) == []
    server.stop()
    assert files_holding(data_dir, tails) == {}


def test_changing_the_key_rewraps_labelled_versions_only(strongroom_server: ServerProcess) -> None:
    sm, kms, old_key, arn = _secret_under_new_key(strongroom_server)
    (deprecated,) = sm.describe_secret(SecretId=arn)["VersionIdsToStages"]  # "original"
    previous = sm.put_secret_value(SecretId=arn, SecretString="previous")["VersionId"]
    sm.put_secret_value(SecretId=arn, SecretString="current")
    assert deprecated not in sm.describe_secret(SecretId=arn)["VersionIdsToStages"]
    new = new_key(kms)
    sm.update_secret(SecretId=arn, KmsKeyId=new["Arn"])
    assert sm.describe_secret(SecretId=arn)["KmsKeyId"] == new["Arn"]
    listed = {v["VersionId"]: v for v in _versions(sm, arn)}
    assert all(len(listed[v]["KmsKeyIds"]) == 2 for v in listed if v != deprecated)
    assert len(listed[deprecated]["KmsKeyIds"]) == 1

    kms.disable_key(KeyId=old_key)  # labelled versions open with the new key
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "current"
    assert sm.get_secret_value(SecretId=arn, VersionId=previous)["SecretString"] == "previous"
    error = error_of(sm.get_secret_value, SecretId=arn, VersionId=deprecated)
    assert error["Code"] == "DecryptionFailure"  # left under the old key only
    put = sm.put_secret_value(SecretId=arn, SecretString="under new")  # sealed by the new key
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == "under new"
    kms.enable_key(KeyId=old_key)
    kms.disable_key(KeyId=new["KeyId"])
    assert sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")["SecretString"] == (
        "current"
    )  # still wrapped under the old key as well
    error = error_of(sm.get_secret_value, SecretId=arn, VersionId=put["VersionId"])
    assert error["Code"] == "DecryptionFailure"
    assert sm.get_secret_value(SecretId=arn, VersionId=deprecated)["SecretString"] == "original"
