"""Restarts keep everything; `kill -9` loses no acknowledged write."""

from __future__ import annotations

import threading
from typing import Any

from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.exceptions import HTTPClientError

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
    acknowledged: list[tuple[str, bytes, bytes]] = []
    enough = threading.Event()
    failures: list[BaseException] = []

    def writer(worker: int) -> None:
        kms = server.client("kms")
        n = 0
        while True:
            try:
                key_id = kms.create_key(Description=f"w{worker}-{n}")["KeyMetadata"]["KeyId"]
                kms.create_alias(AliasName=f"alias/w{worker}-{n}", TargetKeyId=key_id)
                plaintext = f"{worker}:{n}".encode()
                blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
            except (BotoConnectionError, HTTPClientError):
                return  # the server died under us: this write was never acknowledged
            except Exception as error:  # an unexpected client failure fails the test
                if not enough.is_set():
                    failures.append(error)
                return
            acknowledged.append((key_id, plaintext, blob))
            n += 1
            if len(acknowledged) >= 40:
                enough.set()

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=120), "writers made too little progress"
    server.kill()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    survived = list(acknowledged)

    kms = start_server(data_dir).client("kms")
    aliases = {a["AliasName"]: a["TargetKeyId"] for a in kms.list_aliases()["Aliases"]}
    for key_id, plaintext, blob in survived:
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
        worker, n = plaintext.decode().split(":")
        assert aliases[f"alias/w{worker}-{n}"] == key_id
