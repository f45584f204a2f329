"""Key life cycle through boto3: create, describe, list, update, enable/disable, deletion."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.harness import ACCOUNT_ID, REGION
from tests.e2e.kms_support import error_of, new_key


def test_create_key_returns_aws_metadata(kms: Any) -> None:
    meta = new_key(kms, Description="payments", Tags=[{"TagKey": "team", "TagValue": "core"}])
    assert uuid.UUID(meta["KeyId"]).version == 4
    assert meta["Arn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{meta['KeyId']}"
    assert meta["AWSAccountId"] == ACCOUNT_ID
    assert meta["Description"] == "payments"
    assert meta["KeyState"] == "Enabled" and meta["Enabled"] is True
    assert meta["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert meta["KeySpec"] == "SYMMETRIC_DEFAULT"
    assert meta["Origin"] == "AWS_KMS"
    assert meta["KeyManager"] == "CUSTOMER"
    assert meta["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    tags = kms.list_resource_tags(KeyId=meta["KeyId"])["Tags"]
    assert tags == [{"TagKey": "team", "TagValue": "core"}]


def test_describe_key_by_id_arn_alias_and_alias_arn(kms: Any) -> None:
    meta = new_key(kms)
    alias = f"alias/describe-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=meta["KeyId"])
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:{alias}"
    for ref in (meta["KeyId"], meta["Arn"], alias, alias_arn):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == meta["KeyId"]


def test_describe_unknown_key_is_not_found(kms: Any) -> None:
    missing = str(uuid.uuid4())
    error = error_of(kms.describe_key, KeyId=missing)
    assert error["Code"] == "NotFoundException"
    assert missing in error["Message"]
    assert error_of(kms.describe_key, KeyId="alias/none-such")["Code"] == "NotFoundException"
    assert error_of(kms.describe_key, KeyId="not-a-key")["Code"] == "NotFoundException"


def test_key_in_another_region_is_not_visible(strongroom_server: Any) -> None:
    east = strongroom_server.client("kms", region_name="us-east-1")
    west = strongroom_server.client("kms", region_name="eu-west-1")
    meta = new_key(east)
    assert error_of(west.describe_key, KeyId=meta["KeyId"])["Code"] == "NotFoundException"
    west_meta = new_key(west)
    assert west_meta["Arn"].startswith("arn:aws:kms:eu-west-1:")


def test_china_regions_get_aws_cn_arns(strongroom_server: Any) -> None:
    client = strongroom_server.client("kms", region_name="cn-north-1")
    meta = new_key(client)
    assert meta["Arn"].startswith(f"arn:aws-cn:kms:cn-north-1:{ACCOUNT_ID}:key/")


def test_list_keys_paginates_with_marker(start_server: Any) -> None:
    server = start_server()
    kms = server.client("kms")
    created = {new_key(kms)["KeyId"] for _ in range(5)}
    seen: list[str] = []
    page = kms.list_keys(Limit=2)
    while True:
        seen += [k["KeyId"] for k in page["Keys"]]
        assert len(page["Keys"]) <= 2
        if not page["Truncated"]:
            assert "NextMarker" not in page
            break
        page = kms.list_keys(Limit=2, Marker=page["NextMarker"])
    assert sorted(seen) == sorted(created)
    assert error_of(kms.list_keys, Marker="garbage")["Code"] == "InvalidMarkerException"
    raw = server.client("kms", validate=False)
    assert error_of(raw.list_keys, Limit=0)["Code"] == "ValidationException"
    assert error_of(raw.list_keys, Limit=1001)["Code"] == "ValidationException"


def test_update_description(kms: Any) -> None:
    meta = new_key(kms, Description="old")
    kms.update_key_description(KeyId=meta["Arn"], Description="new")
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Description"] == "new"
    error = error_of(kms.update_key_description, KeyId=meta["KeyId"], Description="x" * 8193)
    assert error["Code"] == "ValidationException"
    assert kms.describe_key(KeyId=meta["KeyId"])["KeyMetadata"]["Description"] == "new"


def test_disable_and_enable(kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.disable_key(KeyId=key_id)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "Disabled" and meta["Enabled"] is False
    error = error_of(kms.encrypt, KeyId=key_id, Plaintext=b"x")
    assert error["Code"] == "DisabledException"
    kms.enable_key(KeyId=key_id)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    kms.encrypt(KeyId=key_id, Plaintext=b"x")


def test_schedule_and_cancel_deletion(kms: Any, raw_kms: Any) -> None:
    meta = new_key(kms)
    key_id = meta["KeyId"]
    ciphertext = kms.encrypt(KeyId=key_id, Plaintext=b"keep")["CiphertextBlob"]
    for bad_window in (6, 31):
        error = error_of(
            raw_kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=bad_window
        )
        assert error["Code"] == "ValidationException"
        assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    scheduled = kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    assert scheduled["KeyId"] == meta["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    described = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion"
    assert described["DeletionDate"] == scheduled["DeletionDate"]
    days = (scheduled["DeletionDate"] - meta["CreationDate"]).total_seconds() / 86400
    assert 6.99 < days < 7.01
    assert error_of(kms.encrypt, KeyId=key_id, Plaintext=b"x")["Code"] == (
        "KMSInvalidStateException"
    )
    assert error_of(kms.decrypt, CiphertextBlob=ciphertext)["Code"] == "KMSInvalidStateException"
    again = error_of(kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=7)
    assert again["Code"] == "KMSInvalidStateException"
    assert error_of(kms.enable_key, KeyId=key_id)["Code"] == "KMSInvalidStateException"
    assert kms.cancel_key_deletion(KeyId=key_id)["KeyId"] == meta["Arn"]
    after = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert after["KeyState"] == "Disabled" and "DeletionDate" not in after
    again = error_of(kms.cancel_key_deletion, KeyId=key_id)
    assert again["Code"] == "KMSInvalidStateException"
    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"keep"


def test_unsupported_key_specs_and_origins_say_so(kms: Any, raw_kms: Any) -> None:
    before = kms.list_keys(Limit=1000)["Keys"]
    error = error_of(kms.create_key, KeySpec="SM2", KeyUsage="SIGN_VERIFY")
    assert error["Code"] == "UnsupportedOperationException"
    assert "SM2" in error["Message"]
    error = error_of(kms.create_key, Origin="AWS_CLOUDHSM")
    assert error["Code"] == "UnsupportedOperationException"
    error = error_of(kms.create_key, KeySpec="HMAC_256")
    assert error["Code"] == "ValidationException"
    assert error["Message"] == (
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
    )
    error = error_of(kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="ENCRYPT_DECRYPT")
    assert error["Code"] == "ValidationException"
    error = error_of(raw_kms.create_key, KeySpec="NOT_A_SPEC")
    assert error["Code"] == "ValidationException"
    assert "enum value set" in error["Message"]
    assert kms.list_keys(Limit=1000)["Keys"] == before


def test_operations_not_built_yet_name_themselves(kms: Any) -> None:
    error = error_of(kms.create_custom_key_store, CustomKeyStoreName="hsm")
    assert error["Code"] == "UnsupportedOperationException"
    assert "CreateCustomKeyStore" in error["Message"]


def test_key_policies(kms: Any) -> None:
    meta = new_key(kms)
    assert kms.list_key_policies(KeyId=meta["KeyId"])["PolicyNames"] == ["default"]
    policy = json.loads(kms.get_key_policy(KeyId=meta["KeyId"])["Policy"])
    statement = policy["Statement"][0]
    assert policy["Version"] == "2012-10-17"
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}
    assert statement["Action"] == "kms:*" and statement["Effect"] == "Allow"
    new_policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{**statement, "Sid": "Everything for the account"}],
        }
    )
    kms.put_key_policy(KeyId=meta["Arn"], PolicyName="default", Policy=new_policy)
    assert kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"] == new_policy
    error = error_of(
        kms.put_key_policy, KeyId=meta["KeyId"], PolicyName="default", Policy="not json"
    )
    assert error["Code"] == "MalformedPolicyDocumentException"
    assert kms.get_key_policy(KeyId=meta["KeyId"])["Policy"] == new_policy
    error = error_of(kms.get_key_policy, KeyId="alias/any", PolicyName="default")
    assert error["Code"] == "NotFoundException"
