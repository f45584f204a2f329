"""Key rotation: on demand, automatic (by the scheduler), and old ciphertext forever."""

from __future__ import annotations

from typing import Any

from tests.e2e.kms_support import error_of, new_key

DAY = 86400


def test_rotation_settings(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key["KeyId"])
    status = kms.get_key_rotation_status(KeyId=key["Arn"])
    assert status["KeyRotationEnabled"] is True
    assert status["RotationPeriodInDays"] == 365
    days = (status["NextRotationDate"] - key["CreationDate"]).total_seconds() / DAY
    assert 364.9 < days < 365.1
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 90
    for bad in (89, 2561):
        error = error_of(raw_kms.enable_key_rotation, KeyId=key["KeyId"], RotationPeriodInDays=bad)
        assert error["Code"] == "ValidationException"
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["RotationPeriodInDays"] == 90
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    alias = f"alias/rot-{key['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    assert error_of(kms.enable_key_rotation, KeyId=alias)["Code"] == "NotFoundException"


def test_on_demand_rotation_keeps_old_ciphertext(kms: Any) -> None:
    key = new_key(kms)
    blobs = [kms.encrypt(KeyId=key["KeyId"], Plaintext=b"v1")["CiphertextBlob"]]
    assert kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"] == []
    for generation in range(2, 5):
        assert kms.rotate_key_on_demand(KeyId=key["KeyId"])["KeyId"] == key["KeyId"]
        blobs.append(
            kms.encrypt(KeyId=key["KeyId"], Plaintext=f"v{generation}".encode())["CiphertextBlob"]
        )
    for generation, blob in enumerate(blobs, 1):
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == f"v{generation}".encode()
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"] * 3
    page = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2)
    assert len(page["Rotations"]) == 2 and page["Truncated"] is True
    rest = kms.list_key_rotations(KeyId=key["KeyId"], Limit=2, Marker=page["NextMarker"])
    assert len(rest["Rotations"]) == 1 and rest["Truncated"] is False


def test_on_demand_rotation_limit(kms: Any) -> None:
    """25 on-demand rotations per key, as the pinned botocore model documents."""
    key = new_key(kms)
    for _ in range(25):
        kms.rotate_key_on_demand(KeyId=key["KeyId"])
    error = error_of(kms.rotate_key_on_demand, KeyId=key["KeyId"])
    assert error["Code"] == "LimitExceededException"
    assert error["Message"] == (
        "The on-demand rotations limit has been reached for the given keyId. No more on-demand "
        f"rotations can be performed for this key: {key['Arn']}"
    )
    assert len(kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]) == 25


def test_disabled_key_cannot_rotate(kms: Any) -> None:
    key = new_key(kms)
    kms.disable_key(KeyId=key["KeyId"])
    assert error_of(kms.rotate_key_on_demand, KeyId=key["KeyId"])["Code"] == "DisabledException"
    assert error_of(kms.enable_key_rotation, KeyId=key["KeyId"])["Code"] == "DisabledException"


def test_scheduler_rotates_due_keys_and_destroys_expired_ones_across_restarts(
    start_server: Any, tmp_path: Any
) -> None:
    data_dir = tmp_path / "sched"
    fast = {"STRONGROOM_SCHEDULER_INTERVAL": "0.2"}
    server = start_server(data_dir, extra_env=fast)
    kms = server.client("kms")
    rotating = new_key(kms)
    kms.enable_key_rotation(KeyId=rotating["KeyId"], RotationPeriodInDays=90)
    old_blob = kms.encrypt(KeyId=rotating["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    doomed = new_key(kms)
    doomed_blob = kms.encrypt(KeyId=doomed["KeyId"], Plaintext=b"gone")["CiphertextBlob"]
    assert _stored_paths_naming(data_dir, doomed["KeyId"])
    kms.create_alias(AliasName="alias/doomed", TargetKeyId=doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    server.stop()

    # Eight days later (the dev clock offset moves the service clock only).
    later = start_server(data_dir, extra_env={**fast, "STRONGROOM_DEV_CLOCK_OFFSET": str(91 * DAY)})
    kms = later.client("kms")
    rotations = _wait_for(lambda: kms.list_key_rotations(KeyId=rotating["KeyId"])["Rotations"])
    assert [r["RotationType"] for r in rotations] == ["AUTOMATIC"]
    assert kms.decrypt(CiphertextBlob=old_blob)["Plaintext"] == b"before"
    _wait_for(lambda: not _stored_paths_naming(data_dir, doomed["KeyId"]))
    assert error_of(kms.describe_key, KeyId=doomed["KeyId"])["Code"] == "NotFoundException"
    assert error_of(kms.decrypt, CiphertextBlob=doomed_blob)["Code"] == (
        "InvalidCiphertextException"
    )
    assert "alias/doomed" not in [a["AliasName"] for a in kms.list_aliases()["Aliases"]]
    assert doomed["KeyId"] not in [k["KeyId"] for k in kms.list_keys()["Keys"]]


def _stored_paths_naming(data_dir: Any, key_id: str) -> list[str]:
    """Storage paths (readable, never secret) that still mention `key_id`."""
    import sqlite3

    with sqlite3.connect(data_dir / "strongroom.db") as db:
        rows = db.execute("SELECT path FROM entries WHERE path LIKE ?", (f"%{key_id}%",))
        return [row[0] for row in rows]


def _wait_for(probe: Any, attempts: int = 200) -> Any:
    """Poll a condition the scheduler makes true (bounded)."""
    import time

    for _ in range(attempts):
        value = probe()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("the scheduler did not act in time")
