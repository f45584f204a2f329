"""Restarts keep everything; `kill -9` loses no acknowledged write."""

from __future__ import annotations

from typing import Any

from tests.e2e.crash_writers import write_until_killed
from tests.e2e.kms_support import new_key


def test_restart_keeps_keys_aliases_tags_and_ciphertext(start_server: Any, tmp_path: Any) -> None:
    data_dir = tmp_path / "restart"
    kms = start_server(data_dir).client("kms")
    key = new_key(kms, Description="survivor", Tags=[{"TagKey": "t", "TagValue": "v"}])
    kms.create_alias(AliasName="alias/survivor", TargetKeyId=key["KeyId"])
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=100)
    first = kms.encrypt(KeyId="alias/survivor", Plaintext=b"one", EncryptionContext={"a": "b"})
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    second = kms.encrypt(KeyId="alias/survivor", Plaintext=b"two")
    disabled = new_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])

    for _ in range(2):
        kms = start_server(data_dir).client("kms")
        meta = kms.describe_key(KeyId="alias/survivor")["KeyMetadata"]
        assert meta["Description"] == "survivor" and meta["KeyId"] == key["KeyId"]
        assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [
            {"TagKey": "t", "TagValue": "v"}
        ]
        status = kms.get_key_rotation_status(KeyId=key["KeyId"])
        assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 100
        assert len(kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]) == 1
        opened = kms.decrypt(CiphertextBlob=first["CiphertextBlob"], EncryptionContext={"a": "b"})
        assert opened["Plaintext"] == b"one"
        assert kms.decrypt(CiphertextBlob=second["CiphertextBlob"])["Plaintext"] == b"two"
        assert kms.describe_key(KeyId=disabled["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_kill_9_during_writes_loses_no_acknowledged_write(start_server: Any, tmp_path: Any) -> None:
    data_dir = tmp_path / "crash"
    server = start_server(data_dir)

    def write(kms: Any, worker: int, n: int) -> tuple[str, bytes, bytes]:
        key_id = kms.create_key(Description=f"w{worker}-{n}")["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName=f"alias/w{worker}-{n}", TargetKeyId=key_id)
        plaintext = f"{worker}:{n}".encode()
        return key_id, plaintext, kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]

    survived, _ = write_until_killed(server, "kms", write, threads=3, enough=40)

    kms = start_server(data_dir).client("kms")
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]}
    for key_id, plaintext, blob in survived:
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
        worker, n = plaintext.decode().split(":")
        assert aliases[f"alias/w{worker}-{n}"] == key_id
