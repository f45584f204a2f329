"""Several worker processes on one database: concurrent writes never lose an update."""

from __future__ import annotations

import subprocess
import sys
import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.concurrently import in_threads
from tests.e2e.kms_support import new_key


@pytest.fixture
def two_workers(start_server: Any) -> Any:
    return start_server(extra_args=["--workers", "2"])


def test_concurrent_rotations_lose_no_ciphertext(two_workers: Any) -> None:
    setup = two_workers.client("kms")
    keys = [new_key(setup)["KeyId"] for _ in range(3)]
    blobs: list[tuple[bytes, bytes]] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        kms = two_workers.client("kms")  # own connections: requests spread over workers
        key_id = keys[index % len(keys)]
        for round_ in range(3):
            kms.rotate_key_on_demand(KeyId=key_id)
            plaintext = f"{index}:{round_}".encode()
            blob = kms.encrypt(KeyId=key_id, Plaintext=plaintext)["CiphertextBlob"]
            with lock:
                blobs.append((plaintext, blob))

    in_threads(6, work)
    kms = two_workers.client("kms")
    for plaintext, blob in blobs:
        assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == plaintext
    for key_id in keys:
        assert len(kms.list_key_rotations(KeyId=key_id)["Rotations"]) == 6


def test_concurrent_tagging_keeps_every_tag(two_workers: Any) -> None:
    key_id = new_key(two_workers.client("kms"))["KeyId"]

    def work(index: int) -> None:
        kms = two_workers.client("kms")
        for n in range(5):
            kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"t{index}-{n}", "TagValue": "v"}])

    in_threads(6, work)
    tags = two_workers.client("kms").list_resource_tags(KeyId=key_id, Limit=50)["Tags"]
    assert len(tags) == 30


def test_one_alias_name_is_created_once(two_workers: Any) -> None:
    setup = two_workers.client("kms")
    keys = [new_key(setup)["KeyId"] for _ in range(6)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        kms = two_workers.client("kms")
        try:
            kms.create_alias(AliasName="alias/contested", TargetKeyId=keys[index])
            outcome = "created"
        except ClientError as error:
            outcome = error.response["Error"]["Code"]
        with lock:
            outcomes.append(outcome)

    in_threads(6, work)
    assert sorted(outcomes) == ["AlreadyExistsException"] * 5 + ["created"]


def _health_on_fresh_connections(server: Any, count: int) -> set[int | None]:
    """/sys/health from `count` new connections, which the kernel spreads over workers."""
    return {server.health() for _ in range(count)}


def test_sealing_one_worker_seals_them_all_until_the_server_starts_again(
    two_workers: Any,
) -> None:
    kms = two_workers.client("kms")
    key_id = new_key(kms)["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"kept")["CiphertextBlob"]
    assert _health_on_fresh_connections(two_workers, 20) == {200}

    env = {**two_workers.env, "STRONGROOM_ADDR": two_workers.endpoint_url}
    sealed = subprocess.run(
        [sys.executable, "-m", "strongroom.cli", "operator", "seal"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert sealed.returncode == 0, sealed.stderr

    assert _health_on_fresh_connections(two_workers, 40) == {503}
    for _ in range(20):  # a new client each time: new connections, either worker
        with pytest.raises(ClientError) as refused:
            two_workers.client("kms").decrypt(CiphertextBlob=blob)
        assert refused.value.response["Error"]["Code"] == "ServiceUnavailableException"

    two_workers.stop()
    two_workers.start()
    assert _health_on_fresh_connections(two_workers, 20) == {200}
    assert two_workers.client("kms").decrypt(CiphertextBlob=blob)["Plaintext"] == b"kept"
