"""GetKeyLastUsage: the latest successful cryptographic use of a key, through boto3."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.harness import ServerProcess
from tests.e2e.kms_support import error_of, new_key


def _usage(kms: Any, key_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = kms.get_key_last_usage(KeyId=key_id)
    return answer


def test_a_new_key_has_no_usage_and_tracking_starts_at_creation(kms: Any) -> None:
    key = new_key(kms)
    answer = _usage(kms, key["KeyId"])
    assert answer["KeyId"] == key["Arn"]
    assert answer.get("KeyLastUsage", {}) == {}
    assert answer["KeyCreationDate"] == key["CreationDate"]
    assert answer["TrackingStartDate"] == key["CreationDate"]


def test_each_successful_operation_is_the_latest_use(kms: Any) -> None:
    key = new_key(kms)
    before = time.time()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    usage = _usage(kms, key["Arn"])["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    assert before - 1 <= usage["Timestamp"].timestamp() <= time.time() + 1
    kms.decrypt(CiphertextBlob=blob)
    assert _usage(kms, key["KeyId"])["KeyLastUsage"]["Operation"] == "Decrypt"
    kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256")
    assert _usage(kms, key["KeyId"])["KeyLastUsage"]["Operation"] == "GenerateDataKey"


def test_failures_dry_runs_and_reads_are_not_uses(kms: Any) -> None:
    key = new_key(kms)
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    error_of(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", DryRun=True)
    error_of(kms.decrypt, CiphertextBlob=b"\x01" + b"\x00" * 60, KeyId=key["KeyId"])
    kms.describe_key(KeyId=key["KeyId"])
    assert _usage(kms, key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"


def test_sign_and_mac_are_uses(kms: Any) -> None:
    signing = new_key(kms, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    kms.sign(
        KeyId=signing["KeyId"],
        Message=b"m" * 32,
        MessageType="DIGEST",
        SigningAlgorithm="ECDSA_SHA_256",
    )
    assert _usage(kms, signing["KeyId"])["KeyLastUsage"]["Operation"] == "Sign"
    mac_key = new_key(kms, KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")
    kms.generate_mac(KeyId=mac_key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert _usage(kms, mac_key["KeyId"])["KeyLastUsage"]["Operation"] == "GenerateMac"


def test_aliases_are_refused_as_aws_does(kms: Any) -> None:
    key = new_key(kms)
    kms.create_alias(AliasName="alias/last-usage", TargetKeyId=key["KeyId"])
    assert error_of(kms.get_key_last_usage, KeyId="alias/last-usage")["Code"] == "NotFoundException"


def test_usage_survives_a_restart(start_server: Any, tmp_path: Any) -> None:
    data_dir = tmp_path / "usage"
    server: ServerProcess = start_server(data_dir)
    kms = server.client("kms")
    key = new_key(kms)
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")
    server.stop()
    kms = start_server(data_dir).client("kms")
    assert _usage(kms, key["KeyId"])["KeyLastUsage"]["Operation"] == "Encrypt"
