"""Aliases and tags through boto3, with AWS's error codes and messages."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.e2e.harness import ACCOUNT_ID, REGION
from tests.e2e.kms_support import error_of, new_key


def _name() -> str:
    return f"alias/t-{uuid.uuid4().hex[:10]}"


def test_alias_life_cycle(kms: Any) -> None:
    first, second = new_key(kms), new_key(kms)
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=first["Arn"])
    listed = kms.list_aliases(KeyId=first["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in listed] == [(name, first["KeyId"])]
    assert listed[0]["AliasArn"] == f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name}"
    kms.update_alias(AliasName=name, TargetKeyId=second["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == second["KeyId"]
    assert kms.list_aliases(KeyId=first["KeyId"])["Aliases"] == []
    kms.delete_alias(AliasName=name)
    assert error_of(kms.describe_key, KeyId=name)["Code"] == "NotFoundException"
    assert kms.describe_key(KeyId=second["KeyId"])["KeyMetadata"]["KeyState"] == "Enabled"


def test_alias_errors_change_nothing(kms: Any, raw_kms: Any) -> None:
    key = new_key(kms)
    name = _name()
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    before = kms.list_aliases()["Aliases"]
    duplicate = error_of(kms.create_alias, AliasName=name, TargetKeyId=key["KeyId"])
    assert duplicate["Code"] == "AlreadyExistsException"
    assert duplicate["Message"] == (
        f"An alias with the name arn:aws:kms:{REGION}:{ACCOUNT_ID}:{name} already exists"
    )
    reserved = error_of(kms.create_alias, AliasName="alias/aws/ebs", TargetKeyId=key["KeyId"])
    assert reserved["Code"] == "NotAuthorizedException"
    assert error_of(kms.create_alias, AliasName="wrong/x", TargetKeyId=key["KeyId"])["Code"] == (
        "ValidationException"
    )
    bad_chars = error_of(raw_kms.create_alias, AliasName="alias/bad!", TargetKeyId=key["KeyId"])
    assert bad_chars["Code"] == "ValidationException"
    assert "regular expression pattern" in bad_chars["Message"]
    to_alias = error_of(kms.create_alias, AliasName=_name(), TargetKeyId=name)
    assert to_alias == {
        **to_alias,
        "Code": "ValidationException",
        "Message": "Aliases must refer to keys. Not aliases",
    }
    missing_key = error_of(kms.create_alias, AliasName=_name(), TargetKeyId=str(uuid.uuid4()))
    assert missing_key["Code"] == "NotFoundException"
    missing = error_of(kms.delete_alias, AliasName="alias/never-made")
    assert missing["Code"] == "NotFoundException"
    assert missing["Message"] == (
        f"Alias arn:aws:kms:{REGION}:{ACCOUNT_ID}:alias/never-made is not found."
    )
    assert (
        error_of(kms.update_alias, AliasName="alias/never-made", TargetKeyId=key["KeyId"])["Code"]
        == "NotFoundException"
    )
    assert kms.list_aliases()["Aliases"] == before


def test_list_aliases_paginates(start_server: Any) -> None:
    kms = start_server().client("kms")
    key = new_key(kms)
    names = sorted(f"alias/page-{i}" for i in range(5))
    for name in names:
        kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    seen: list[str] = []
    page = kms.list_aliases(Limit=2)
    while True:
        seen += [a["AliasName"] for a in page["Aliases"]]
        if not page["Truncated"]:
            break
        page = kms.list_aliases(Limit=2, Marker=page["NextMarker"])
    assert seen == names


def test_tags(kms: Any, raw_kms: Any) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.tag_resource(
        KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "1"}, {"TagKey": "b", "TagValue": "2"}]
    )
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "3"}])
    tags = kms.list_resource_tags(KeyId=key_id)["Tags"]
    assert sorted((t["TagKey"], t["TagValue"]) for t in tags) == [("a", "3"), ("b", "2")]
    kms.untag_resource(KeyId=key_id, TagKeys=["a", "missing"])
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]
    reserved = error_of(kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "aws:x", "TagValue": "1"}])
    assert reserved["Code"] == "TagException"
    long_key = error_of(
        raw_kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "k" * 129, "TagValue": "1"}]
    )
    assert long_key["Code"] == "ValidationException"
    assert kms.list_resource_tags(KeyId=key_id)["Tags"] == [{"TagKey": "b", "TagValue": "2"}]


@pytest.mark.parametrize("limit", [1, 2])
def test_list_resource_tags_paginates(kms: Any, limit: int) -> None:
    key_id = new_key(kms)["KeyId"]
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": f"k{i}", "TagValue": "v"} for i in range(3)])
    seen: list[str] = []
    page = kms.list_resource_tags(KeyId=key_id, Limit=limit)
    while True:
        seen += [t["TagKey"] for t in page["Tags"]]
        if not page["Truncated"]:
            break
        page = kms.list_resource_tags(KeyId=key_id, Limit=limit, Marker=page["NextMarker"])
    assert seen == ["k0", "k1", "k2"]
